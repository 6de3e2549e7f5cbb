"""Receive a capture: decide on its window, validate everything, store it durably and exactly once.

Order matters: every check runs before anything is written (nothing partial is stored); images are written and
synced before the row is committed; the receipt exists only after the commit. The app's ``capture_id`` is the
idempotency key: the same id with the same content gets the original receipt, with other content a conflict.

Captures arriving together are stored together (``workflow.storage.groups``): their images go into one synced group
file, their rows into one transaction, and each request is answered once its group is committed. Images are checked
from their headers and structure only (``images.py``); verification's triage stage decodes them as they arrive.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflow.calendar.model import Calendar
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante
from workflow.records import ProcessRecord
from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore
from workflow.storage.groups import GroupCommit
from workflow.storage.keys import Keyring

from .images import check_image
from .model import IMAGE_PARTS, CaptureData, CaptureMode, Receipt
from .personal import PersonalData, seal_personal, unseal_personal
from .records import Capture
from .storage import CaptureImages
from .windows import Window, decide, window_for

CAPTURE = Capture.__table__  # type: ignore[attr-defined]
RECEIPT_COLUMNS = [CAPTURE.c[n] for n in ("capture_id", "folio", "gestor_id", "received_at", "content_sha256", "late")]
REPLAY_QUERY = select(*RECEIPT_COLUMNS).where(CAPTURE.c.capture_id == bindparam("capture_id"))
ASPIRANTE = Aspirante.__table__  # type: ignore[attr-defined]
PROCESS = ProcessRecord.__table__  # type: ignore[attr-defined]
# What a capture is checked against, in one statement: the sender's aspirante, the calendar version in force and,
# if this capture_id was stored before, its receipt (a replay).
CHECK_QUERY = (
    select(
        ASPIRANTE.c.process_id,
        ASPIRANTE.c.cargo_id,
        ASPIRANTE.c.demarcacion_id,
        ASPIRANTE.c.constancia_date,
        PROCESS.c.active_version,
        *(c.label(f"stored_{c.name}") for c in RECEIPT_COLUMNS),
    )
    .select_from(
        ASPIRANTE.join(PROCESS, PROCESS.c.id == ASPIRANTE.c.process_id).outerjoin(
            CAPTURE, CAPTURE.c.capture_id == bindparam("capture_id")
        )
    )
    .where(ASPIRANTE.c.id == bindparam("aspirante_id"))
)
MAX_GROUP = 64  # captures per group at most: bounds a group's latency and its file


class Sender(Protocol):
    """Who sends a capture: a stored ``Gestor``, or the ids its authenticated token carries (``GestorRef``)."""

    @property
    def id(self) -> int | None: ...

    @property
    def aspirante_id(self) -> int: ...


@dataclass(frozen=True)
class GestorRef:
    id: int
    aspirante_id: int


@dataclass
class _Pending:
    """A validated capture waiting for its group: the row to insert (folio aside) and its images."""

    row: dict[str, Any]
    images: Mapping[str, bytes]
    folio_prefix: str


@dataclass(frozen=True)
class _Stored:
    """What a receipt needs of a stored row; for a replay, also who sent it."""

    folio: str
    capture_id: str
    received_at: datetime
    content_sha256: str
    late: bool
    gestor_id: int | None = None


def content_hash(data: CaptureData, image_hashes: dict[str, str]) -> str:
    """SHA-256 of the capture as stored: its validated data (canonical JSON, instants in UTC) and its images'
    hashes. This is the receipt's hash: the recipe is public (README, the receipt's OpenAPI description) and the
    reference client recomputes it independently (``convoca/gestor/receipt.py``). Changing it breaks every app."""
    payload = data.model_dump(mode="json")
    payload["captured_at"] = data.captured_at.astimezone(UTC).isoformat()
    payload["images"] = image_hashes
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _receipt(c: Any) -> Receipt:
    return Receipt(
        folio=c.folio, capture_id=c.capture_id, received_at=c.received_at, sha256=c.content_sha256, late=c.late
    )


class CaptureService:
    def __init__(
        self,
        db: Database,
        calendars: CalendarStore,
        blobs: SealedBlobStore,
        keyring: Keyring,
        checkpoint: Callable[[str], None] = lambda point: None,
        secciones: Callable[[str], frozenset[int] | None] = lambda process_id: None,
    ) -> None:
        self.db = db
        self.calendars = calendars
        self.blobs = blobs
        self.images = CaptureImages(blobs)
        self.keyring = keyring
        # Called at the two instants a crash is hardest on ("images_written": files synced, row not committed;
        # "committed": row committed, receipt not sent), so that tests can kill the server exactly there.
        self.checkpoint = checkpoint
        # The secciones of the process's state, from the roll in force (None while no roll is loaded): a sección
        # that does not exist is refused at receipt. Given by the composition root: the roll is verification's.
        self.secciones = secciones
        self._calendars: dict[tuple[str, int], Calendar] = {}
        self._windows: dict[tuple[Any, ...], Window | None] = {}
        self.groups: GroupCommit[_Pending, tuple[Receipt, bool]] = GroupCommit(self._store, max_group=MAX_GROUP)

    def personal(self, capture: Capture) -> PersonalData:
        """The supporter's personal data, unsealed: for the roles that must read them, never a public route."""
        return unseal_personal(self.keyring, capture.capture_id, capture.personal)

    def image(self, capture: Capture, part: str) -> bytes:
        """One stored image of a capture (``part`` in ``IMAGE_PARTS``), decrypted: for the review desk and the
        aspirante's audiencia only. Raises ``FileNotFoundError`` when the store has lost it."""
        if part not in IMAGE_PARTS:
            raise ValueError(part)
        return self.images.read(capture, (part,))[part]

    def submit(
        self, gestor: Sender, data: CaptureData, images: dict[str, bytes], received_at: datetime
    ) -> tuple[Receipt, bool]:
        """Store a capture; returns its receipt and whether it is new. Raises ``DomainError``."""
        checked = self._check(gestor, data, images, received_at)
        return checked if isinstance(checked, tuple) else self.groups.submit(checked)

    async def submit_async(
        self, gestor: Sender, data: CaptureData, images: dict[str, bytes], received_at: datetime
    ) -> tuple[Receipt, bool]:
        """``submit`` on an event loop: the checks run on it (a few hundred microseconds of reads and hashing), and
        the loop serves other requests while the capture's group is made durable in the writer thread."""
        checked = self._check(gestor, data, images, received_at)
        return checked if isinstance(checked, tuple) else await self.groups.submit_async(checked)

    def _check(
        self, gestor: Sender, data: CaptureData, images: dict[str, bytes], received_at: datetime
    ) -> tuple[Receipt, bool] | _Pending:
        """Everything before storing: a replay's receipt, a refusal (raised), or the capture ready for its group."""
        for part in IMAGE_PARTS:
            if part not in images:
                raise DomainError(ErrorKind.invalid, f"falta la imagen «{part}»", part)
        image_hashes = {part: hashlib.sha256(images[part]).hexdigest() for part in IMAGE_PARTS}
        digest = content_hash(data, image_hashes)

        # A replay is answered before checking anything: equal hashes mean the very bytes validated the first time,
        # and a phone back online resends its whole queue. One prepared statement reads that and the aspirante's
        # window inputs (SQLAlchemy Core, built once: every capture of a storm passes here).
        with self.db.read_engine.connect() as conn:
            aspirante = conn.execute(
                CHECK_QUERY, {"capture_id": str(data.capture_id), "aspirante_id": gestor.aspirante_id}
            ).one()
        if aspirante.stored_capture_id is not None:
            stored = _Stored(**{c.name: getattr(aspirante, f"stored_{c.name}") for c in RECEIPT_COLUMNS})
            return self._same_or_conflict(stored, gestor.id, digest), False

        image_types: dict[str, str] = {}
        for part in IMAGE_PARTS:
            image_types[part] = check_image(part, images[part])

        assert gestor.id is not None  # a stored gestor
        cal = self._calendar(aspirante.process_id, aspirante.active_version)
        if data.capture_mode is CaptureMode.papel and cal.documents.paper_exception is None:
            raise DomainError(
                ErrorKind.invalid,
                "la convocatoria no prevé el régimen de excepción: el apoyo en papel no se admite",
                "capture_mode",
            )
        known = self.secciones(aspirante.process_id)
        if known is not None and data.seccion not in known:
            raise DomainError(
                ErrorKind.invalid,
                f"la sección {data.seccion} no existe en {cal.process.state} según la Lista Nominal cargada; "
                "revise la sección y el OCR de la credencial",
                "seccion",
            )
        window = self._window(cal, aspirante)
        decision = decide(window, data.captured_at, received_at, cal.tz)
        if not decision.accepted:
            assert decision.kind is not None
            field = "captured_at" if decision.kind is ErrorKind.invalid else None
            raise DomainError(decision.kind, decision.reason, field)

        image_columns: dict[str, Any] = {f"{p}_sha256": image_hashes[p] for p in IMAGE_PARTS}
        image_columns |= {f"{p}_type": image_types[p] for p in IMAGE_PARTS}
        row = {
            "capture_id": str(data.capture_id),
            "process_id": aspirante.process_id,
            "aspirante_id": gestor.aspirante_id,
            "gestor_id": gestor.id,
            "captured_at": data.captured_at,
            "received_at": received_at,
            "late": decision.late,
            "content_sha256": digest,
            "clave_lookup": self.keyring.lookup(data.clave_elector),
            "ocr_lookup": self.keyring.lookup(data.ocr),
            "cic_lookup": self.keyring.lookup(data.cic) if data.cic is not None else None,
            "personal": seal_personal(
                self.keyring, str(data.capture_id), PersonalData.model_validate(data, from_attributes=True)
            ),
            "seccion": data.seccion,
            "device_id": data.device_id,
            "app_version": data.app_version,
            "capture_mode": data.capture_mode.value,
            **image_columns,
        }
        return _Pending(row, images, cal.process.ople.acronym)

    def _window(self, cal: Calendar, aspirante: Row) -> Window | None:
        """The aspirante's capture window under the calendar in force, computed once: a version never changes."""
        key = (
            aspirante.process_id,
            aspirante.active_version,
            aspirante.cargo_id,
            aspirante.demarcacion_id,
            aspirante.constancia_date,
        )
        if key not in self._windows:
            self._windows[key] = window_for(
                cal, aspirante.cargo_id, aspirante.demarcacion_id, aspirante.constancia_date
            )
        return self._windows[key]

    def _calendar(self, process_id: str, version: int) -> Calendar:
        """The process's calendar in force (``version``), parsed once: a stored version never changes."""
        cal = self._calendars.get((process_id, version))
        if cal is None:
            active = self.calendars.active(process_id)
            cal = self._calendars[(process_id, active.version.number)] = active.calendar
        return cal

    def _store(self, group: list[_Pending]) -> list[tuple[Receipt, bool] | BaseException]:
        """Store a group of validated captures: their images in one synced file, then their rows in one commit.
        Runs in the thread of the group's leader (``GroupCommit``); a result per capture, in order."""
        first: dict[str, int] = {}  # the same capture_id twice in a group (a retry racing its original): store once
        for i, pending in enumerate(group):
            first.setdefault(pending.row["capture_id"], i)
        fresh = sorted(set(first.values()))
        places = self.images.write_group([(group[i].row["capture_id"], group[i].images) for i in fresh])
        for _ in fresh:  # on disk and synced before the rows that point at them
            self.checkpoint("images_written")
        rows = {i: {**group[i].row, **place} for i, place in zip(fresh, places, strict=True)}
        inserted = self._insert(group, rows)
        for _ in inserted:
            self.checkpoint("committed")
        results: list[tuple[Receipt, bool] | BaseException] = []
        for i, pending in enumerate(group):
            row = pending.row
            if i in inserted:
                results.append((_receipt(inserted[i]), True))
                continue
            existing = self._by_capture_id(row["capture_id"])  # stored by a concurrent post of the same id
            try:
                if existing is None:
                    raise RuntimeError(f"capture {row['capture_id']} neither inserted nor found")
                results.append((self._same_or_conflict(existing, row["gestor_id"], row["content_sha256"]), False))
            except Exception as exc:
                results.append(exc)
        return results

    def _insert(self, group: list[_Pending], rows: dict[int, dict[str, Any]]) -> dict[int, _Stored]:
        """Insert ``rows`` (by position in the group) in one transaction and give each its folio; rows whose
        capture_id another transaction stored meanwhile are left out. Returns the inserted rows' receipts."""
        while rows:
            order = list(rows)
            try:
                with self.db.engine.begin() as conn:
                    # The folio is the row's number, known once inserted: a unique placeholder until then.
                    ids = (
                        conn.execute(
                            insert(CAPTURE).returning(CAPTURE.c.id, sort_by_parameter_order=True),
                            [{**rows[i], "folio": rows[i]["capture_id"]} for i in order],
                        )
                        .scalars()
                        .all()
                    )
                    folios = [f"{group[i].folio_prefix}-{row_id:08d}" for i, row_id in zip(order, ids, strict=True)]
                    conn.execute(
                        update(CAPTURE).where(CAPTURE.c.id == bindparam("row_id")).values(folio=bindparam("new")),
                        [{"row_id": r, "new": f} for r, f in zip(ids, folios, strict=True)],
                    )
                return {
                    i: _Stored(
                        folio=folio,
                        capture_id=rows[i]["capture_id"],
                        received_at=rows[i]["received_at"],
                        content_sha256=rows[i]["content_sha256"],
                        late=rows[i]["late"],
                    )
                    for i, folio in zip(order, folios, strict=True)
                }
            except IntegrityError:
                # A capture_id of the group was committed meanwhile (by another worker): leave it out, retry the
                # rest. Its images stay in the group file, unreferenced: a few sealed bytes, never read.
                taken = self._taken([rows[i]["capture_id"] for i in order])
                if not taken:
                    raise
                rows = {i: r for i, r in rows.items() if r["capture_id"] not in taken}
        return {}

    def _taken(self, capture_ids: list[str]) -> set[str]:
        with self.db.read_engine.connect() as conn:
            return set(
                conn.execute(select(CAPTURE.c.capture_id).where(CAPTURE.c.capture_id.in_(capture_ids))).scalars()
            )

    def _by_capture_id(self, capture_id: str) -> Row | None:
        with self.db.read_engine.connect() as conn:
            return conn.execute(REPLAY_QUERY, {"capture_id": capture_id}).first()

    def _same_or_conflict(self, existing: Any, gestor_id: int | None, digest: str) -> Receipt:
        if existing.gestor_id != gestor_id:  # say nothing about another gestor's capture
            raise DomainError(
                ErrorKind.conflict,
                f"el capture_id {existing.capture_id} ya está en uso; cada captura debe tener su propio capture_id",
                "capture_id",
            )
        if existing.content_sha256 != digest:
            raise DomainError(
                ErrorKind.conflict,
                f"el capture_id {existing.capture_id} ya se recibió con otro contenido (folio {existing.folio}); "
                "cada captura debe tener su propio capture_id",
                "capture_id",
            )
        return _receipt(existing)
