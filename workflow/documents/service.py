"""Generate, store, version and publish the official documents of a process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workflow.calendar.model import Calendar
from workflow.calendar.pending import draft_reasons
from workflow.engine.store import ActiveCalendar, CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.storage.db import Database, storable_id
from workflow.storage.files import BlobStore

from .context import DOCUMENT_KINDS, Supplement, Supplier, created_at, document_gaps
from .records import DocumentSignature, DocumentVersion
from .render import DocumentRenderer
from .signing import SigningIdentity, sign


@dataclass(frozen=True)
class ForcedPublication:
    """An administrator's decision to publish a PROYECTO: who, and why (stored with the version)."""

    reason: str
    author: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise DomainError(ErrorKind.invalid, "publicar un proyecto requiere un motivo; indíquelo")
        if not self.author.strip():
            raise DomainError(ErrorKind.invalid, "publicar un proyecto requiere indicar quién lo decide")


NAMES = {"convocatoria": "la convocatoria", "protocolo": "el protocolo"}
RACE_ATTEMPTS = 3


def is_draft(cal: Calendar, kind: str) -> bool:
    """A calendar document is a PROYECTO while its calendar has unconfirmed values or lacks something the document
    must state. (A dictamen's own proyecto state is in its content and its publication is the review desk's.)"""
    return kind in DOCUMENT_KINDS and bool(draft_reasons(cal) or document_gaps(cal, kind))


def refusal(version: DocumentVersion, cal: Calendar) -> DomainError:
    reasons = draft_reasons(cal)
    gaps = document_gaps(cal, version.kind) if version.kind in DOCUMENT_KINDS else []
    return DomainError(
        ErrorKind.conflict,
        f"{NAMES.get(version.kind, version.kind)} (versión {version.number}) es un PROYECTO: su calendario tiene "
        f"{len(reasons)} valor(es) sin confirmar o cifras pendientes (vea «convoca calendar validate --strict»)"
        + (
            f" y le faltan {len(gaps)} dato(s) del documento ({'; '.join(gaps[:3])}{' …' if len(gaps) > 3 else ''})"
            if gaps
            else ""
        )
        + "; "
        "confírmelos con una enmienda del calendario, o una persona administradora puede forzar su publicación "
        "indicando el motivo",
    )


class DocumentService:
    """``identity``: the signatory's certificate and key with which every publication signs what it publishes
    (PAdES, once per version and certificate); None, publication does not sign."""

    def __init__(
        self,
        db: Database,
        calendars: CalendarStore,
        blobs: BlobStore,
        renderer: DocumentRenderer,
        identity: SigningIdentity | None = None,
    ) -> None:
        self.db = db
        self.calendars = calendars
        self.blobs = blobs
        self.renderer = renderer
        self.identity = identity

    def latest(self, process_id: str, kind: str, *, published: bool = False) -> DocumentVersion | None:
        with self.db.read_session() as s:
            q = select(DocumentVersion).where(DocumentVersion.process_id == process_id, DocumentVersion.kind == kind)
            if published:
                q = q.where(col(DocumentVersion.published_at).is_not(None))
            return s.exec(q.order_by(col(DocumentVersion.number).desc())).first()

    def versions(self, process_id: str, *, published: bool = False) -> list[DocumentVersion]:
        with self.db.read_session() as s:
            q = select(DocumentVersion).where(DocumentVersion.process_id == process_id)
            if published:
                q = q.where(col(DocumentVersion.published_at).is_not(None))
            return list(s.exec(q.order_by(col(DocumentVersion.kind), col(DocumentVersion.number))))

    def get(self, document_id: int) -> DocumentVersion | None:
        if not storable_id(document_id):
            return None
        with self.db.read_session() as s:
            return s.get(DocumentVersion, document_id)

    def pdf(self, version: DocumentVersion) -> bytes:
        return self.blobs.read(version.sha256, ".pdf")

    def generate(
        self,
        process_id: str,
        kind: str,
        now: datetime,
        *,
        publish: bool = False,
        supplier: Supplier | None = None,
        forced: ForcedPublication | None = None,
    ) -> tuple[DocumentVersion, bool]:
        """The document as the calendar in force shows it: a new version only if what it shows changed.
        Returns the version and whether it is new. A supplemented kind (``dictamen-<cargo>``) takes its content
        from ``supplier``, called with the calendar in force; its figures are part of what it shows. ``publish``
        refuses a PROYECTO (a calendar with unconfirmed values) unless ``forced``; the version is stored anyway."""
        active = self.calendars.active(process_id)
        cal = active.calendar
        supplement = supplier(cal) if supplier is not None else None
        fingerprint = self.renderer.fingerprint(cal, kind, supplement)  # refuses an unknown or unsupplied kind
        draft = is_draft(cal, kind)
        # Two writers may make different versions of one kind at once (at a capture close, the engine's
        # verification and the background stage's each make a dictamen): the one that loses the number is the next.
        for _ in range(RACE_ATTEMPTS):
            latest = self.latest(process_id, kind)
            if latest is not None and latest.fingerprint == fingerprint:
                if publish and latest.published_at is None:
                    self._publish_one(latest, cal, now, forced)
                return latest, False
            version = self._store_new(process_id, kind, now, active, supplement, latest, draft, publish, forced)
            if version is not None:
                if publish and draft and not forced:
                    raise refusal(version, cal)
                self._sign_published(version)
                return version, True
        raise DomainError(ErrorKind.conflict, f"{NAMES.get(kind, kind)}: otra versión se generó a la vez; reintente")

    def _store_new(
        self,
        process_id: str,
        kind: str,
        now: datetime,
        active: ActiveCalendar,
        supplement: Supplement | None,
        latest: DocumentVersion | None,
        draft: bool,
        publish: bool,
        forced: ForcedPublication | None,
    ) -> DocumentVersion | None:
        """Render and store the version after ``latest``; None if another writer stored that number first."""
        cal = active.calendar
        number = (latest.number if latest else 0) + 1
        doc = self.renderer.render(
            cal,
            kind,
            calendar_text=active.loaded.text,
            # From the inputs, never the clock, so that rendering again gives the same bytes: the document's own
            # issue instant, or the amendment that made this version if it came later.
            created=supplement.created if supplement is not None else created_at(cal, kind, active.version.created_at),
            document_version=number,
            calendar_version=active.version.number,
            supplement=supplement,
        )
        sha, _ = self.blobs.put(doc.pdf, ".pdf")  # on disk and synced before the row says it exists
        version = DocumentVersion(
            process_id=process_id,
            kind=kind,
            number=number,
            calendar_version=active.version.number,
            fingerprint=doc.fingerprint,
            sha256=sha,
            size=len(doc.pdf),
            title=doc.title,
            generated_at=now,
            draft=draft,
            published_at=now if publish and (not draft or forced) else None,
            forced_reason=forced.reason if publish and draft and forced else None,
            forced_by=forced.author if publish and draft and forced else None,
        )
        with self.db.write_session() as s:
            s.add(version)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                return None
        return version

    def _publish_one(
        self, version: DocumentVersion, cal: Calendar, now: datetime, forced: ForcedPublication | None
    ) -> None:
        if version.published_at is None:
            if version.draft and forced is None:
                raise refusal(version, cal)
            self._mark_published(version, now, forced if version.draft else None)
        # Also when it was already published: a retry after a crash between publishing and signing signs it now.
        self._sign_published(version)

    def _mark_published(self, version: DocumentVersion, now: datetime, forced: ForcedPublication | None = None) -> None:
        with self.db.write_session() as s:
            row = s.get(DocumentVersion, version.id)
            if row is not None and row.published_at is None:
                row.published_at = now
                if forced is not None:
                    row.forced_reason, row.forced_by = forced.reason.strip(), forced.author.strip()
                s.add(row)
                s.commit()
                version.forced_reason, version.forced_by = row.forced_reason, row.forced_by
        version.published_at = version.published_at or now

    def publish(
        self, process_id: str, kinds: list[str] | None, now: datetime, *, forced: ForcedPublication | None = None
    ) -> list[DocumentVersion]:
        """Publish the latest version of each kind (by default the calendar documents; a dictamen is published
        when it is generated, or when named). A PROYECTO is refused unless ``forced`` (an administrator's reason,
        stored with the version); the others are published first, so a refusal never holds them back."""
        published = []
        refused: list[DomainError] = []
        cal = self.calendars.active(process_id).calendar
        for kind in kinds or DOCUMENT_KINDS:
            latest = self.latest(process_id, kind)
            if latest is None:
                continue
            try:
                self._publish_one(latest, cal, now, forced)
            except DomainError as exc:
                refused.append(exc)
                continue
            published.append(latest)
        if refused:
            raise DomainError(ErrorKind.conflict, "; ".join(e.message for e in refused))
        return published

    def _sign_published(self, version: DocumentVersion) -> None:
        """Publication signs with the configured identity what it published, unless that is a PROYECTO."""
        if self.identity is not None and version.published_at is not None and not version.draft:
            assert version.id is not None
            self.sign(version.id, self.identity)

    def sign(self, document_id: int, identity: SigningIdentity, *, reason: str | None = None) -> DocumentSignature:
        """Sign a stored version (PAdES, keeping PDF/A) as ``identity``; the signed file is stored beside the
        unsigned one and the row says who signed and when. A PROYECTO is never signed. Idempotent: a version the
        same certificate already signed keeps that signature (one row per version and certificate, a unique key,
        so two engines racing store one)."""
        version = self.get(document_id)
        if version is None:
            raise DomainError(ErrorKind.not_found, f"no existe el documento {document_id}")
        if version.draft:
            raise DomainError(
                ErrorKind.conflict,
                f"{NAMES.get(version.kind, version.kind)} (versión {version.number}) es un PROYECTO: no se firma",
            )
        existing = self._signature_by(document_id, identity.certificate_sha256)
        if existing is not None:
            return existing
        cal = self.calendars.active(version.process_id).calendar
        earlier = self.latest_signature(version)  # co-signatories sign one file: the latest signed one
        signed = sign(
            self.signed_pdf(earlier) if earlier is not None else self.pdf(version),
            identity,
            reason=reason or f"Aprobación de {NAMES.get(version.kind, version.kind)}, versión {version.number}",
            location=cal.documents.city or cal.process.state,
        )
        sha, _ = self.blobs.put(signed.pdf, ".pdf")
        row = DocumentSignature(
            document_id=document_id,
            signer=signed.signer,
            certificate_sha256=signed.certificate_sha256,
            signed_at=signed.signed_at,
            sha256=sha,
            size=len(signed.pdf),
        )
        with self.db.write_session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raced = self._signature_by(document_id, identity.certificate_sha256)
                if raced is None:
                    raise
                return raced
            s.refresh(row)
        return row

    def _signature_by(self, document_id: int, certificate_sha256: str) -> DocumentSignature | None:
        with self.db.read_session() as s:
            return s.exec(
                select(DocumentSignature).where(
                    DocumentSignature.document_id == document_id,
                    DocumentSignature.certificate_sha256 == certificate_sha256,
                )
            ).first()

    def latest_signature(self, version: DocumentVersion) -> DocumentSignature | None:
        """The newest signature of ``version``: what its download serves, if any."""
        with self.db.read_session() as s:
            return s.exec(
                select(DocumentSignature)
                .where(DocumentSignature.document_id == version.id)
                .order_by(col(DocumentSignature.id).desc())
            ).first()

    def signatures(self, process_id: str) -> dict[int, list[DocumentSignature]]:
        """The signatures of a process's versions, by document id, oldest first."""
        with self.db.read_session() as s:
            rows = s.exec(
                select(DocumentSignature)
                .join(DocumentVersion, col(DocumentVersion.id) == col(DocumentSignature.document_id))
                .where(DocumentVersion.process_id == process_id)
                .order_by(col(DocumentSignature.id))
            )
            out: dict[int, list[DocumentSignature]] = {}
            for row in rows:
                out.setdefault(row.document_id, []).append(row)
            return out

    def signed_pdf(self, signature: DocumentSignature) -> bytes:
        return self.blobs.read(signature.sha256, ".pdf")

    def refresh(self, process_id: str, now: datetime) -> list[DocumentVersion]:
        """After an amendment: regenerate every calendar document already generated; a new version of a published
        document is published at once. A dictamen is not regenerated here: it needs its verification run."""
        new = []
        cal = self.calendars.active(process_id).calendar
        for kind in DOCUMENT_KINDS:
            latest = self.latest(process_id, kind)
            if latest is None:
                continue
            # A new PROYECTO is never published on its own, even if an earlier version was forced.
            publish = latest.published_at is not None and not is_draft(cal, kind)
            version, created = self.generate(process_id, kind, now, publish=publish)
            if created:
                new.append(version)
        return new
