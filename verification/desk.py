"""The mesa de control: which apoyos people look at, who holds each one, and every decision they record.

- **The queue.** After each verification run, every valid candidate that image triage flagged goes to the desk,
  with a random sample of the rest (the calendar's ``review.sample_percentage``) and, once an aspirante's sample is
  decided with more rejections than ``review.full_review_above``, every other valid apoyo of that aspirante. The
  sample is reproducible: an apoyo is in it when SHA-256 of «seed:folio» (as a 64-bit fraction) falls below the
  percentage, with a seed drawn once per aspirante and stored. Objections filed in the garantía de audiencia join
  the queue ahead of everything else.
- **Leases.** ``next`` hands a reviewer one apoyo and leases it for a few minutes with a conditional UPDATE, so two
  reviewers never hold the same apoyo at once, on SQLite or PostgreSQL, with any number of workers. A reviewer may
  hold a few at once (the app prefetches the next while the current one is on screen).
- **Decisions** are append-only: a correction is a new record naming the one it replaces.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from workflow.calendar.localtime import format_local
from workflow.captures.images import image_size
from workflow.captures.personal import PersonalData
from workflow.captures.records import Capture
from workflow.captures.service import CaptureService
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante
from workflow.storage.db import MAX_ROW_ID, Database, storable_id
from workflow.storage.files import BlobStore
from workflow.text import CleanParagraphs

from .outcomes import OBJECTION, heads
from .reasons import ACCEPTED, Resolution, ReviewReason
from .records import ApoyoResult, CaptureTriage, Objection, ReviewDecision, ReviewItem, ReviewSample, VerificationRun
from .registral import STATUS_LABELS, Status


class DeskSettings(BaseModel):
    """How the desk hands out work (CONVOCA_REVIEW__LEASE_MINUTES=…)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lease_minutes: float = Field(
        5.0, gt=0, le=240, description="Minutos que un apoyo queda asignado a quien lo revisa."
    )
    max_leases: int = Field(
        2,
        ge=1,
        le=20,
        description="Apoyos que una persona revisora puede tener asignados a la vez (el actual y los "
        "que la aplicación carga por adelantado).",
    )
    review_side: int = Field(
        1200, ge=200, le=4000, description="Lado mayor, en píxeles, de las imágenes servidas para revisión."
    )


class ItemKind:
    senalado = "senalado"
    muestra = "muestra"
    revision_total = "revision_total"
    objecion = OBJECTION


KIND_LABELS = {
    ItemKind.senalado: "Señalado por la revisión automática de imágenes",
    ItemKind.muestra: "Muestra aleatoria de apoyos válidos",
    ItemKind.revision_total: "Revisión total: la muestra superó el umbral de inconsistencias",
    ItemKind.objecion: "Objeción de la persona aspirante en la garantía de audiencia",
}
PRIORITY = {ItemKind.objecion: 0, ItemKind.senalado: 1, ItemKind.muestra: 1, ItemKind.revision_total: 2}

IMAGE_VIEWS = ("revision", "completa")


class DecisionIn(CleanParagraphs):
    """A reviewer's decision on an apoyo."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: str = Field(
        min_length=1,
        max_length=40,
        description="«aceptado» o uno de los motivos de rechazo de la mesa de control; para una objeción, «fundada» "
        "o «infundada».",
        examples=["aceptado", "fotocopia", "fundada"],
    )
    note: str | None = Field(
        None,
        max_length=2000,
        description="Explicación; obligatoria para el motivo «otro», para resolver una objeción y para corregir.",
    )
    replaces: int | None = Field(
        None,
        ge=1,
        le=MAX_ROW_ID,
        description="Número de la decisión que esta corrige (solo para corregir una decisión anterior).",
    )


@dataclass(frozen=True)
class Reviewing:
    """Who decides: the reviewer and the token they used."""

    reviewer_id: int
    token_id: int


@dataclass(frozen=True)
class ApoyoView:
    """What the desk shows of one apoyo."""

    item: ReviewItem
    capture: Capture
    personal: PersonalData
    result: ApoyoResult | None
    decisions: list[ReviewDecision]
    objection: Objection | None


def in_sample(seed: str, folio: str, percentage: Decimal) -> bool:
    """Whether an apoyo is in its aspirante's sample: reproducible from the stored seed and the folio."""
    h = int.from_bytes(hashlib.sha256(f"{seed}:{folio}".encode()).digest()[:8], "big")
    return Decimal(h) < Decimal(2**64) * percentage / 100


def downscaled(data: bytes, side: int) -> bytes | None:
    """The image as JPEG with its long side at most ``side`` pixels; None when it is already that small (its
    header says so) or cannot be decoded."""
    size = image_size(data)
    if size is not None and max(size) <= side:
        return None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return None
    h, w = image.shape[:2]
    scale = side / max(h, w)
    if scale < 1:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    ok, out = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return out.tobytes() if ok else None


def vocabulary(kind: str) -> list[str]:
    """The decisions an item of this kind admits."""
    if kind == ItemKind.objecion:
        return [r.value for r in Resolution]
    return [ACCEPTED, *(r.value for r in ReviewReason)]


class ReviewDesk:
    def __init__(
        self,
        db: Database,
        calendars: CalendarStore,
        captures: CaptureService,
        objection_images: BlobStore,
        settings: DeskSettings | None = None,
    ) -> None:
        self.db = db
        self.calendars = calendars
        self.captures = captures
        self.objection_images = objection_images
        self.settings = settings or DeskSettings()

    # -- the queue -------------------------------------------------------------------------------------------------

    def enqueue(self, run: VerificationRun, reuse_flags: dict[int, list[dict[str, Any]]], now: datetime) -> int:
        """Send a finished run's apoyos to the desk as the calendar's review rules say. Idempotent: an apoyo goes
        to the desk once (an objection aside). Returns how many joined the queue."""
        rules = self.calendars.active(run.process_id).calendar.review
        r, t = ApoyoResult, CaptureTriage
        with self.db.read_session() as s:
            rows = s.execute(
                sa_select(col(r.capture_id), col(r.aspirante_id), col(r.flagged), col(Capture.folio), col(t.flags))
                .join(Capture, col(Capture.id) == col(r.capture_id))
                .outerjoin(t, col(t.capture_id) == col(r.capture_id))
                .where(col(r.run_id) == run.id, col(r.status) == Status.valido)
                .order_by(col(r.capture_id))
            ).all()
        if not rows:
            return 0
        samples = self._samples(run.process_id, sorted({row[1] for row in rows}), rules, now)
        with self.db.read_session() as s:
            queued = set(
                s.exec(
                    select(ReviewItem.capture_id).where(
                        col(ReviewItem.process_id) == run.process_id, col(ReviewItem.kind) != ItemKind.objecion
                    )
                )
            )
        new = []
        for capture_id, aspirante_id, flagged, folio, flags in rows:
            if capture_id in queued:
                continue
            sample = samples[aspirante_id]
            if flagged:
                kind = ItemKind.senalado
            elif in_sample(sample.seed, folio, Decimal(sample.percentage)):
                kind = ItemKind.muestra
            elif sample.full_review_at is not None:
                kind = ItemKind.revision_total
            else:
                continue
            new.append(
                {
                    "process_id": run.process_id,
                    "cargo_id": run.cargo_id,
                    "aspirante_id": aspirante_id,
                    "capture_id": capture_id,
                    "kind": kind,
                    "priority": PRIORITY[kind],
                    "run_id": run.id,
                    "flags": list(flags or []) + reuse_flags.get(capture_id, []),
                    "created_at": now,
                }
            )
        return self._insert_items(new)

    def _insert_items(self, items: list[dict[str, Any]]) -> int:
        added = 0
        with self.db.write_session() as s:
            for start in range(0, len(items), 2000):
                chunk = items[start : start + 2000]
                try:
                    with s.begin_nested():
                        s.execute(insert(ReviewItem), chunk)
                    added += len(chunk)
                except IntegrityError:  # another worker queued some of them first: one by one
                    for item in chunk:
                        try:
                            with s.begin_nested():
                                s.execute(insert(ReviewItem), [item])
                            added += 1
                        except IntegrityError:
                            pass
            s.commit()
        return added

    def _samples(self, process_id: str, aspirante_ids: list[int], rules: Any, now: datetime) -> dict[int, ReviewSample]:
        """Each aspirante's sample, drawn (its seed stored) the first time it is needed."""
        with self.db.write_session() as s:
            found = {
                x.aspirante_id: x
                for x in s.exec(select(ReviewSample).where(col(ReviewSample.aspirante_id).in_(aspirante_ids)))
            }
            for a in aspirante_ids:
                if a in found:
                    continue
                sample = ReviewSample(
                    aspirante_id=a,
                    process_id=process_id,
                    seed=secrets.token_hex(16),
                    percentage=str(rules.sample_percentage),
                    full_review_above=str(rules.full_review_above),
                    created_at=now,
                )
                try:
                    with s.begin_nested():
                        s.add(sample)
                    found[a] = sample
                except IntegrityError:  # drawn by another worker at the same time: theirs stands
                    found[a] = s.exec(select(ReviewSample).where(ReviewSample.aspirante_id == a)).one()
            s.commit()
            return found

    def pending(self, process_id: str) -> int:
        with self.db.read_session() as s:
            return s.exec(
                select(func.count())
                .select_from(ReviewItem)
                .where(col(ReviewItem.process_id) == process_id, col(ReviewItem.decision_id).is_(None))
            ).one()

    def next(self, who: Reviewing, process_id: str, now: datetime) -> ReviewItem | None:
        """Lease one apoyo to this reviewer: one they already hold if they hold as many as they may or nothing
        else is free, else the first free one (objections first, then by arrival). None when nothing is left."""
        self.calendars.active(process_id)  # an unknown process is a 404
        lease_end = now + timedelta(minutes=self.settings.lease_minutes)
        with self.db.write_session() as s:
            mine = list(
                s.exec(
                    select(ReviewItem)
                    .where(
                        col(ReviewItem.process_id) == process_id,
                        col(ReviewItem.leased_to) == who.reviewer_id,
                        col(ReviewItem.decision_id).is_(None),
                        col(ReviewItem.lease_expires_at) > now,
                    )
                    .order_by(col(ReviewItem.lease_expires_at))
                )
            )
            if len(mine) >= self.settings.max_leases:
                held = mine[0]
                return self.lease(s, held, who, now, lease_end, mine_already=True) or held
            free = or_(col(ReviewItem.lease_expires_at).is_(None), col(ReviewItem.lease_expires_at) <= now)
            for _ in range(50):  # each round loses at most a few races to other reviewers
                candidates = list(
                    s.exec(
                        select(ReviewItem)
                        .where(col(ReviewItem.process_id) == process_id, col(ReviewItem.decision_id).is_(None), free)
                        .order_by(col(ReviewItem.priority), col(ReviewItem.id))
                        .limit(10)
                    )
                )
                if not candidates:
                    break
                for item in candidates:
                    leased = self.lease(s, item, who, now, lease_end)
                    if leased is not None:
                        return leased
            # Nothing free: what this reviewer still holds, if anything.
            return self.lease(s, mine[0], who, now, lease_end, mine_already=True) if mine else None

    def keep(self, who: Reviewing, item_id: int, now: datetime) -> ReviewItem | None:
        """Renew the reviewer's lease on an item they still hold (the one prefetched while they decided the
        previous); None when it is decided, or its lease lapsed and someone else took it."""
        with self.db.write_session() as s:
            item = s.get(ReviewItem, item_id) if storable_id(item_id) else None
            if item is None:
                return None
            until = now + timedelta(minutes=self.settings.lease_minutes)
            mine = item.leased_to == who.reviewer_id
            return self.lease(s, item, who, now, until, mine_already=mine)

    def lease(
        self,
        s: Session,
        item: ReviewItem,
        who: Reviewing,
        now: datetime,
        until: datetime,
        *,
        mine_already: bool = False,
    ) -> ReviewItem | None:
        """Take (or renew) the lease with one conditional UPDATE: it succeeds for one reviewer only."""
        free = or_(col(ReviewItem.lease_expires_at).is_(None), col(ReviewItem.lease_expires_at) <= now)
        holder = col(ReviewItem.leased_to) == who.reviewer_id if mine_already else free
        done = s.execute(
            update(ReviewItem)
            .where(col(ReviewItem.id) == item.id, col(ReviewItem.decision_id).is_(None), holder)
            .values(leased_to=who.reviewer_id, lease_expires_at=until)
        )
        s.commit()
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return None
        item.leased_to, item.lease_expires_at = who.reviewer_id, until
        return item

    # -- what a reviewer sees ----------------------------------------------------------------------------------

    def view(self, item: ReviewItem) -> ApoyoView:
        with self.db.read_session() as s:
            capture = s.get(Capture, item.capture_id)
            assert capture is not None  # a foreign key
            run_id = s.exec(
                select(func.max(ApoyoResult.run_id)).where(col(ApoyoResult.capture_id) == item.capture_id)
            ).one()
            result = s.get(ApoyoResult, (run_id, item.capture_id)) if run_id is not None else None
            decisions = list(
                s.exec(
                    select(ReviewDecision)
                    .where(col(ReviewDecision.capture_id) == item.capture_id)
                    .order_by(col(ReviewDecision.id))
                )
            )
            objection = s.exec(select(Objection).where(col(Objection.capture_id) == item.capture_id)).first()
        return ApoyoView(item, capture, self.captures.personal(capture), result, decisions, objection)

    def item_for(self, capture_id: int) -> ReviewItem:
        """The apoyo's open item (else its latest one): what the desk shows of it."""
        if not storable_id(capture_id):
            raise DomainError(ErrorKind.not_found, f"el apoyo {capture_id} no está en la mesa de control", "apoyo_id")
        with self.db.read_session() as s:
            items = list(
                s.exec(
                    select(ReviewItem)
                    .where(col(ReviewItem.capture_id) == capture_id)
                    .order_by(col(ReviewItem.decision_id).is_not(None), col(ReviewItem.priority), col(ReviewItem.id))
                )
            )
        if not items:
            raise DomainError(ErrorKind.not_found, f"el apoyo {capture_id} no está en la mesa de control", "apoyo_id")
        return items[0]

    def image(self, capture_id: int, part: str, view: str) -> tuple[bytes, str]:
        """One image of an apoyo (``part`` «objecion»: the image its objection brought) and its media type,
        downscaled for review unless ``view`` is «completa». Who may see it is decided by the caller's route."""
        if not storable_id(capture_id):
            raise DomainError(ErrorKind.not_found, f"no existe el apoyo {capture_id}", "apoyo_id")
        with self.db.read_session() as s:
            capture = s.get(Capture, capture_id)
            found = s.exec(select(Objection).where(col(Objection.capture_id) == capture_id)).first()
        if capture is None:
            raise DomainError(ErrorKind.not_found, f"no existe el apoyo {capture_id}", "apoyo_id")
        try:
            if part == "objecion":
                if found is None or found.image_sha256 is None or found.image_type is None:
                    raise DomainError(
                        ErrorKind.not_found, f"la objeción del apoyo {capture.folio} no trae imagen", "part"
                    )
                data = self.objection_images.read(found.image_sha256, "." + found.image_type)
            else:
                data = self.captures.image(capture, part)
        except FileNotFoundError:
            raise DomainError(
                ErrorKind.unavailable,
                f"la imagen «{part}» del apoyo {capture.folio} no se encuentra en el almacén; avise al área técnica",
            ) from None
        small = downscaled(data, self.settings.review_side) if view != "completa" else None
        if small is not None:
            return small, "image/jpeg"
        return data, "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"

    # -- decisions ---------------------------------------------------------------------------------------------

    def decide(self, who: Reviewing, capture_id: int, body: DecisionIn, now: datetime) -> ReviewDecision:
        """Record a decision (or a correction, with ``replaces``). Refuses, changing nothing: a value outside the
        item's vocabulary, a missing note where one is needed, an apoyo another reviewer holds, an apoyo already
        decided (corrections must name the latest decision)."""
        if not storable_id(capture_id):
            raise DomainError(ErrorKind.not_found, f"no existe el apoyo {capture_id}", "apoyo_id")
        with self.db.write_session() as s:
            capture = s.get(Capture, capture_id)
            if capture is None:
                raise DomainError(ErrorKind.not_found, f"no existe el apoyo {capture_id}", "apoyo_id")
            if body.replaces is None:
                item = self._open_item(s, capture, who, now)
                replaced = None
            else:
                replaced = self._replaceable(s, capture, body.replaces)
                found = s.get(ReviewItem, replaced.item_id)
                assert found is not None  # a foreign key
                item = found
            self._check(s, item, body, capture, replaced)
            assert item.id is not None  # stored
            decision = ReviewDecision(
                process_id=capture.process_id,
                aspirante_id=capture.aspirante_id,
                capture_id=capture_id,
                item_id=item.id,
                objection_id=item.objection_id,
                reviewer_id=who.reviewer_id,
                token_id=who.token_id,
                decided_at=now,
                decision=body.decision,
                note=body.note or None,
                replaces_id=replaced.id if replaced is not None else None,
            )
            s.add(decision)
            try:
                s.flush()
            except IntegrityError:  # another correction of the same decision won
                s.rollback()
                raise DomainError(
                    ErrorKind.conflict,
                    f"la decisión {body.replaces} acaba de ser corregida por otra persona; consulte la más reciente",
                    "replaces",
                ) from None
            if replaced is None:
                closed = s.execute(
                    update(ReviewItem)
                    .where(col(ReviewItem.id) == item.id, col(ReviewItem.decision_id).is_(None))
                    .values(decision_id=decision.id, leased_to=None, lease_expires_at=None)
                )
                if closed.rowcount != 1:  # type: ignore[attr-defined]
                    s.rollback()
                    raise DomainError(
                        ErrorKind.conflict,
                        f"otra persona acaba de decidir el apoyo {capture.folio}; para corregirla indique «replaces»",
                    )
            s.commit()
            s.refresh(decision)
        if item.kind == ItemKind.muestra:
            self._full_review_if_needed(capture.aspirante_id, now)
        return decision

    def _open_item(self, s: Session, capture: Capture, who: Reviewing, now: datetime) -> ReviewItem:
        item = s.exec(
            select(ReviewItem)
            .where(col(ReviewItem.capture_id) == capture.id, col(ReviewItem.decision_id).is_(None))
            .order_by(col(ReviewItem.priority))
        ).first()
        if item is None:
            last = heads_of(s, capture)
            if last:
                raise DomainError(
                    ErrorKind.conflict,
                    f"el apoyo {capture.folio} ya tiene la decisión {last[-1].id} («{last[-1].decision}»); para "
                    f"corregirla envíe «replaces»: {last[-1].id} con una nota",
                    "replaces",
                )
            raise DomainError(
                ErrorKind.conflict,
                f"el apoyo {capture.folio} no está en la mesa de control: solo se deciden los apoyos que la "
                "verificación envía a revisión y los que una persona aspirante objeta",
            )
        if item.leased_to not in (None, who.reviewer_id) and item.lease_expires_at and item.lease_expires_at > now:
            cal = self.calendars.active(capture.process_id).calendar
            raise DomainError(
                ErrorKind.conflict,
                f"el apoyo {capture.folio} está asignado a otra persona revisora hasta "
                f"{format_local(item.lease_expires_at, cal.tz)}; pida otro con /review/next",
            )
        return item

    def _replaceable(self, s: Session, capture: Capture, replaces: int) -> ReviewDecision:
        old = s.get(ReviewDecision, replaces)
        if old is None or old.capture_id != capture.id:
            raise DomainError(
                ErrorKind.invalid, f"la decisión {replaces} no existe o no es del apoyo {capture.folio}", "replaces"
            )
        newer = s.exec(select(ReviewDecision).where(col(ReviewDecision.replaces_id) == old.id)).first()
        if newer is not None:
            raise DomainError(
                ErrorKind.conflict,
                f"la decisión {old.id} ya fue corregida por la {newer.id}: corrija la más reciente",
                "replaces",
            )
        return old

    @staticmethod
    def _check(
        s: Session, item: ReviewItem, body: DecisionIn, capture: Capture, replaced: ReviewDecision | None
    ) -> None:
        allowed = vocabulary(item.kind)
        if body.decision not in allowed:
            what = "una objeción" if item.kind == ItemKind.objecion else "un apoyo"
            raise DomainError(
                ErrorKind.invalid,
                f"«{body.decision}» no es una decisión para {what}; use una de: {', '.join(allowed)}",
                "decision",
            )
        if not body.note:
            if body.decision == ReviewReason.otro:
                raise DomainError(ErrorKind.invalid, "el motivo «otro» requiere una nota que lo explique", "note")
            if item.kind == ItemKind.objecion:
                raise DomainError(
                    ErrorKind.invalid,
                    "la resolución de una objeción requiere una nota con sus razones: la persona aspirante la leerá",
                    "note",
                )
            if replaced is not None:
                raise DomainError(ErrorKind.invalid, "una corrección requiere una nota que diga por qué", "note")
        if item.kind == ItemKind.objecion and body.decision == Resolution.fundada:
            objection = s.get(Objection, item.objection_id)
            if objection is not None and objection.rejection in (Status.duplicado, Status.otro_aspirante):
                raise DomainError(
                    ErrorKind.conflict,
                    f"el apoyo {capture.folio} fue rechazado como «{STATUS_LABELS[Status(objection.rejection)]}»: "
                    "la misma persona ya se computa una vez, así que la objeción no puede declararse fundada",
                    "decision",
                )

    def _full_review_if_needed(self, aspirante_id: int, now: datetime) -> None:
        """Once an aspirante's whole sample is decided, a rejection rate above the threshold sends every other
        valid apoyo of theirs to the desk."""
        with self.db.read_session() as s:
            sample = s.get(ReviewSample, aspirante_id)
            if sample is None or sample.full_review_at is not None:
                return
            undecided = s.exec(
                select(func.count())
                .select_from(ReviewItem)
                .where(
                    col(ReviewItem.aspirante_id) == aspirante_id,
                    col(ReviewItem.kind) == ItemKind.muestra,
                    col(ReviewItem.decision_id).is_(None),
                )
            ).one()
            if undecided:  # one cheap count per decision until the sample is complete
                return
            aspirante = s.get(Aspirante, aspirante_id)
            items = list(
                s.exec(
                    select(ReviewItem).where(
                        col(ReviewItem.aspirante_id) == aspirante_id, col(ReviewItem.kind) == ItemKind.muestra
                    )
                )
            )
            if aspirante is None or not items:
                return
            latest = {d.capture_id: d for d in heads(s, aspirante.process_id, [aspirante_id]) if d.objection_id is None}
        sampled = [latest[i.capture_id] for i in items if i.capture_id in latest]
        rejected = sum(d.decision != ACCEPTED for d in sampled)
        rate = Decimal(rejected * 100) / len(sampled)
        if rate <= Decimal(sample.full_review_above):
            return
        with self.db.write_session() as s:
            marked = s.execute(
                update(ReviewSample)
                .where(col(ReviewSample.aspirante_id) == aspirante_id, col(ReviewSample.full_review_at).is_(None))
                .values(full_review_at=now, full_review_rate=f"{rate.quantize(Decimal('0.01'))}")
            )
            s.commit()
        if marked.rowcount != 1:  # type: ignore[attr-defined]
            return  # another worker saw it first
        with self.db.read_session() as s:
            run = s.exec(
                select(VerificationRun)
                .where(
                    VerificationRun.process_id == aspirante.process_id,
                    VerificationRun.cargo_id == aspirante.cargo_id,
                    VerificationRun.status == "done",
                )
                .order_by(col(VerificationRun.id).desc())
            ).first()
        if run is not None:
            self.enqueue(run, {}, now)

    # -- reading ------------------------------------------------------------------------------------------------

    def decisions(self, capture_id: int) -> list[ReviewDecision]:
        with self.db.read_session() as s:
            return list(
                s.exec(
                    select(ReviewDecision)
                    .where(col(ReviewDecision.capture_id) == capture_id)
                    .order_by(col(ReviewDecision.id))
                )
            )


def heads_of(s: Session, capture: Capture) -> list[ReviewDecision]:
    return heads(s, capture.process_id, [], capture.id)
