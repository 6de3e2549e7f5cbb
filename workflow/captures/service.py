"""Receive a capture: decide on its window, validate everything, store it durably and exactly once.

Order matters: every check runs before anything is written (nothing partial is stored); images are written and
synced before the row is committed; the receipt exists only after the commit. The app's ``capture_id`` is the
idempotency key: the same id with the same content gets the original receipt, with other content a conflict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante, Gestor
from workflow.storage.db import Database
from workflow.storage.files import BlobStore
from workflow.storage.keys import Keyring

from .images import check_image
from .model import IMAGE_PARTS, CaptureData, CaptureMode, Receipt
from .personal import PersonalData, seal_personal, unseal_personal
from .records import Capture
from .windows import decide, window_for


def content_hash(data: CaptureData, image_hashes: dict[str, str]) -> str:
    """SHA-256 of the capture as stored: its validated data (canonical JSON, instants in UTC) and its images'
    hashes. This is the receipt's hash: the recipe is public (README, the receipt's OpenAPI description) and the
    reference client recomputes it independently (``convoca/gestor/receipt.py``). Changing it breaks every app."""
    payload = data.model_dump(mode="json")
    payload["captured_at"] = data.captured_at.astimezone(UTC).isoformat()
    payload["images"] = image_hashes
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _receipt(c: Capture) -> Receipt:
    return Receipt(
        folio=c.folio, capture_id=c.capture_id, received_at=c.received_at, sha256=c.content_sha256, late=c.late
    )


class CaptureService:
    def __init__(
        self,
        db: Database,
        calendars: CalendarStore,
        blobs: BlobStore,
        keyring: Keyring,
        checkpoint: Callable[[str], None] = lambda point: None,
        secciones: Callable[[str], frozenset[int] | None] = lambda process_id: None,
    ) -> None:
        self.db = db
        self.calendars = calendars
        self.blobs = blobs
        self.keyring = keyring
        # Called at the two instants a crash is hardest on ("images_written": files synced, row not committed;
        # "committed": row committed, receipt not sent), so that tests can kill the server exactly there.
        self.checkpoint = checkpoint
        # The secciones of the process's state, from the roll in force (None while no roll is loaded): a sección
        # that does not exist is refused at receipt. Given by the composition root: the roll is verification's.
        self.secciones = secciones

    def personal(self, capture: Capture) -> PersonalData:
        """The supporter's personal data, unsealed: for the roles that must read them, never a public route."""
        return unseal_personal(self.keyring, capture.capture_id, capture.personal)

    def image(self, capture: Capture, part: str) -> bytes:
        """One stored image of a capture (``part`` in ``IMAGE_PARTS``), decrypted: for the review desk and the
        aspirante's audiencia only. Raises ``FileNotFoundError`` when the store has lost it."""
        if part not in IMAGE_PARTS:
            raise ValueError(part)
        return self.blobs.read(getattr(capture, f"{part}_sha256"), "." + getattr(capture, f"{part}_type"))

    def submit(
        self, gestor: Gestor, data: CaptureData, images: dict[str, bytes], received_at: datetime
    ) -> tuple[Receipt, bool]:
        """Store a capture; returns its receipt and whether it is new. Raises ``CaptureRefused``."""
        for part in IMAGE_PARTS:
            if part not in images:
                raise DomainError(ErrorKind.invalid, f"falta la imagen «{part}»", part)
        image_hashes = {part: hashlib.sha256(images[part]).hexdigest() for part in IMAGE_PARTS}
        digest = content_hash(data, image_hashes)

        # A replay is answered before decoding anything: equal hashes mean the very bytes validated the first time,
        # and a phone back online resends its whole queue.
        existing = self._by_capture_id(str(data.capture_id))
        if existing is not None:
            return self._same_or_conflict(existing, gestor, digest), False

        image_types: dict[str, str] = {}
        for part in IMAGE_PARTS:
            image_types[part] = check_image(part, images[part])

        with self.db.read_session() as s:
            aspirante = s.get(Aspirante, gestor.aspirante_id)
        assert aspirante is not None and aspirante.id is not None and gestor.id is not None  # stored rows
        cal = self.calendars.active(aspirante.process_id).calendar
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
        window = window_for(cal, aspirante.cargo_id, aspirante.demarcacion_id, aspirante.constancia_date)
        decision = decide(window, data.captured_at, received_at, cal.tz)
        if not decision.accepted:
            assert decision.kind is not None
            field = "captured_at" if decision.kind is ErrorKind.invalid else None
            raise DomainError(decision.kind, decision.reason, field)

        for part in IMAGE_PARTS:  # on disk and synced before the row that points at them
            self.blobs.put(images[part], "." + image_types[part])
        self.checkpoint("images_written")
        image_columns: dict[str, Any] = {f"{p}_sha256": image_hashes[p] for p in IMAGE_PARTS}
        image_columns |= {f"{p}_type": image_types[p] for p in IMAGE_PARTS}
        capture = Capture(
            capture_id=str(data.capture_id),
            folio=str(data.capture_id),  # unique placeholder until the row has its number, below
            process_id=aspirante.process_id,
            aspirante_id=aspirante.id,
            gestor_id=gestor.id,
            captured_at=data.captured_at,
            received_at=received_at,
            late=decision.late,
            content_sha256=digest,
            clave_lookup=self.keyring.lookup(data.clave_elector),
            ocr_lookup=self.keyring.lookup(data.ocr),
            cic_lookup=self.keyring.lookup(data.cic) if data.cic is not None else None,
            personal=seal_personal(
                self.keyring, str(data.capture_id), PersonalData.model_validate(data, from_attributes=True)
            ),
            seccion=data.seccion,
            device_id=data.device_id,
            app_version=data.app_version,
            capture_mode=data.capture_mode.value,
            **image_columns,
        )
        with self.db.write_session() as s:
            s.add(capture)
            try:
                s.flush()
                # The folio is the row's number: short, unique, and assigned in the same transaction.
                capture.folio = f"{cal.process.ople.acronym}-{capture.id:08d}"
                s.commit()
            except IntegrityError:
                s.rollback()
                raced = self._by_capture_id(str(data.capture_id))  # a concurrent post of the same id won
                if raced is None:
                    raise
                return self._same_or_conflict(raced, gestor, digest), False
        self.checkpoint("committed")
        return _receipt(capture), True

    def _by_capture_id(self, capture_id: str) -> Capture | None:
        with self.db.read_session() as s:
            return s.exec(select(Capture).where(Capture.capture_id == capture_id)).first()

    def _same_or_conflict(self, existing: Capture, gestor: Gestor, digest: str) -> Receipt:
        if existing.gestor_id != gestor.id:  # say nothing about another gestor's capture
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
