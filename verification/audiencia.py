"""The garantía de audiencia: during its phase, an aspirante sees every rejected apoyo with its reason and images,
and may object to each one once, with an argument and optionally a new image (e.g. of the original credential).
The objection goes to the head of the mesa de control's queue; its resolution (fundada or infundada, with the
reviewer's reasons) is a decision like any other, and counts are recomputed from it.

Whether the phase is open is decided from the calendar and the clock at the request, in the process's local
time, like a capture window; the engine's actions only record its opening and close and produce the dictamen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar, Phase, PhaseKind
from workflow.captures.images import check_image
from workflow.captures.records import Capture
from workflow.captures.windows import group_of
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante
from workflow.storage.db import Database, storable_id
from workflow.storage.files import BlobStore

from .desk import PRIORITY, ItemKind
from .outcomes import RunOutcomes, run_outcomes
from .reasons import DESK_REJECTED, REASON_LABELS, ReviewReason
from .records import Objection, ReviewDecision, ReviewItem, VerificationRun
from .registral import STATUS_LABELS, Status


@dataclass(frozen=True)
class AudienciaWindow:
    phase: Phase
    start: datetime
    end: datetime

    def state(self, now: datetime) -> str:
        """pendiente, abierta or cerrada at ``now``: objections are received only while it is open."""
        return "pendiente" if now < self.start else ("abierta" if now < self.end else "cerrada")


@dataclass(frozen=True)
class Rejected:
    """A rejected apoyo as its aspirante sees it in the audiencia."""

    capture: Capture
    status: str  # the registral status, or ``mesa_de_control``
    reason: str  # in words
    decision: ReviewDecision | None  # the desk's rejection, when it was the desk's
    objection: Objection | None
    resolution: ReviewDecision | None


def audiencia_window(cal: Calendar, aspirante: Aspirante) -> AudienciaWindow | None:
    """The aspirante's garantía de audiencia (the first phase of that kind that applies to their cargo)."""
    group = group_of(cal, aspirante.cargo_id, aspirante.demarcacion_id)
    for phase in sorted(cal.phases, key=lambda p: p.start):
        if phase.kind is PhaseKind.garantia_audiencia and phase.applies_to(aspirante.cargo_id, group):
            return AudienciaWindow(phase, phase.start_utc(cal.tz), phase.end_utc(cal.tz))
    return None


def latest_run(db: Database, process_id: str, cargo_id: str, *where: Any) -> VerificationRun | None:
    """The cargo's latest finished run (that also meets ``where``): the one counts, progress and the dictamen show."""
    with db.read_session() as s:
        return s.exec(
            select(VerificationRun)
            .where(
                VerificationRun.process_id == process_id,
                VerificationRun.cargo_id == cargo_id,
                VerificationRun.status == "done",
                *where,
            )
            .order_by(col(VerificationRun.id).desc())
        ).first()


class Audiencia:
    def __init__(self, db: Database, calendars: CalendarStore, images: BlobStore) -> None:
        self.db = db
        self.calendars = calendars
        self.images = images  # objections' images, sealed like captures' (a store of their own: the capture
        # store's start-up sweep removes every file no capture refers to)

    def _aspirante(self, aspirante_id: int) -> Aspirante:
        with self.db.read_session() as s:
            a = s.get(Aspirante, aspirante_id)
        if a is None:
            raise DomainError(ErrorKind.not_found, f"no existe la persona aspirante {aspirante_id}", "aspirante_id")
        return a

    def outcomes(self, aspirante: Aspirante, capture_id: int | None = None) -> RunOutcomes | None:
        """The aspirante's apoyos (or one of them) in the latest run of their cargo, with their outcomes."""
        run = latest_run(self.db, aspirante.process_id, aspirante.cargo_id)
        if run is None:
            return None
        assert aspirante.id is not None
        with self.db.read_session() as s:
            return run_outcomes(s, run, [aspirante.id], capture_id)

    def is_rejected(self, aspirante_id: int, capture_id: int) -> bool:
        """Whether this apoyo is the aspirante's and was rejected before the audiencia (what they may see)."""
        if not storable_id(capture_id):
            return False
        found = self.outcomes(self._aspirante(aspirante_id), capture_id)
        return bool(found and found.rows and found.rows[0]["before"] != Status.valido)

    def rejected(self, aspirante_id: int, capture_id: int | None = None) -> list[Rejected]:
        """Every apoyo of the aspirante rejected before the audiencia (or just ``capture_id``, if it is one), with
        its reason and what became of any objection (empty until a verification has run)."""
        aspirante = self._aspirante(aspirante_id)
        found = self.outcomes(aspirante, capture_id)
        if found is None:
            return []
        rows = [r for r in found.rows if r["before"] != Status.valido]
        with self.db.read_session() as s:
            captures = {
                c.id: c for c in s.exec(select(Capture).where(col(Capture.id).in_([r["capture_id"] for r in rows])))
            }
        out = []
        for r in rows:
            t = r["touch"]
            desk = t.desk if t is not None and r["before"] == DESK_REJECTED else None
            if desk is not None:
                label = REASON_LABELS[ReviewReason(desk.decision)]
                reason = f"{label}: {desk.note}" if desk.note else label
            else:
                label = STATUS_LABELS[Status(r["registral"])]
                # «Baja del Padrón Electoral por defunción» needs no «Baja del Padrón Electoral: » before it.
                reason = r["reason"] if r["reason"].startswith(label) else f"{label}: {r['reason']}"
            out.append(
                Rejected(
                    captures[r["capture_id"]],
                    r["before"],
                    reason,
                    desk,
                    t.objection if t is not None else None,
                    t.resolution if t is not None else None,
                )
            )
        return out

    def file(
        self,
        aspirante_id: int,
        capture_id: int,
        argument: str,
        image: bytes | None,
        token_id: int,
        now: datetime,
    ) -> tuple[Objection, str]:
        """File the aspirante's objection to one rejected apoyo. Refused, changing nothing, outside the phase (the
        message gives its opening or close in local time), for an apoyo that is not theirs or not rejected, and a
        second time for the same apoyo. Returns the objection and the apoyo's folio."""
        aspirante = self._aspirante(aspirante_id)
        cal = self.calendars.active(aspirante.process_id).calendar
        window = audiencia_window(cal, aspirante)
        if window is None:
            raise DomainError(
                ErrorKind.conflict,
                "el calendario no prevé garantía de audiencia para el cargo de esta persona aspirante",
            )
        if now < window.start:
            raise DomainError(
                ErrorKind.conflict,
                f"la garantía de audiencia «{window.phase.name}» abre el {format_local(window.start, cal.tz)}; "
                "las objeciones se reciben desde entonces",
            )
        if now >= window.end:
            raise DomainError(
                ErrorKind.conflict,
                f"la garantía de audiencia «{window.phase.name}» cerró el "
                f"{format_local(window.end, cal.tz, is_end=True)}; ya no se reciben objeciones",
            )
        found = self.outcomes(aspirante, capture_id) if storable_id(capture_id) else None
        row = found.rows[0] if found and found.rows else None
        if row is None:
            raise DomainError(
                ErrorKind.not_found,
                f"el apoyo {capture_id} no es de esta persona aspirante o no fue verificado",
                "apoyo_id",
            )
        if row["before"] == Status.valido:
            raise DomainError(
                ErrorKind.conflict,
                f"el apoyo {row['folio']} se computa como válido: no hay rechazo que objetar",
                "apoyo_id",
            )
        if self._objected(capture_id):
            raise DomainError(
                ErrorKind.conflict,
                f"ya se presentó una objeción al apoyo {row['folio']}; solo cabe una por apoyo",
                "apoyo_id",
            )
        stored: tuple[str | None, str | None] = (None, None)
        if image:
            kind = check_image("imagen", image)
            stored = (self.images.put(image, "." + kind)[0], kind)
        objection = Objection(
            process_id=aspirante.process_id,
            aspirante_id=aspirante_id,
            capture_id=capture_id,
            filed_at=now,
            rejection=row["before"] if row["before"] == DESK_REJECTED else row["registral"],
            argument=argument,
            image_sha256=stored[0],
            image_type=stored[1],
            token_id=token_id,
        )
        with self.db.write_session() as s:
            s.add(objection)
            try:
                s.flush()
            except IntegrityError:
                s.rollback()
                raise DomainError(
                    ErrorKind.conflict,
                    f"ya se presentó una objeción al apoyo {row['folio']}; solo cabe una por apoyo",
                    "apoyo_id",
                ) from None
            s.add(
                ReviewItem(
                    process_id=aspirante.process_id,
                    cargo_id=aspirante.cargo_id,
                    aspirante_id=aspirante_id,
                    capture_id=capture_id,
                    kind=ItemKind.objecion,
                    priority=PRIORITY[ItemKind.objecion],
                    objection_id=objection.id,
                    flags=[],
                    created_at=now,
                )
            )
            s.commit()
            s.refresh(objection)
        return objection, row["folio"]

    def _objected(self, capture_id: int) -> bool:
        with self.db.read_session() as s:
            return s.exec(select(Objection.id).where(Objection.capture_id == capture_id)).first() is not None

    def objections(self, aspirante_id: int) -> list[Objection]:
        with self.db.read_session() as s:
            return list(
                s.exec(select(Objection).where(Objection.aspirante_id == aspirante_id).order_by(col(Objection.id)))
            )
