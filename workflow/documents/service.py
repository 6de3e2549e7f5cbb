"""Generate, store, version and publish the official documents of a process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workflow.engine.store import CalendarStore
from workflow.storage.db import Database, storable_id
from workflow.storage.files import BlobStore

from .context import DOCUMENT_KINDS, Supplier
from .records import DocumentVersion
from .render import DocumentRenderer


class DocumentService:
    def __init__(self, db: Database, calendars: CalendarStore, blobs: BlobStore, renderer: DocumentRenderer) -> None:
        self.db = db
        self.calendars = calendars
        self.blobs = blobs
        self.renderer = renderer

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
        self, process_id: str, kind: str, now: datetime, *, publish: bool = False, supplier: Supplier | None = None
    ) -> tuple[DocumentVersion, bool]:
        """The document as the calendar in force shows it: a new version only if what it shows changed.
        Returns the version and whether it is new. A supplemented kind (``dictamen-<cargo>``) takes its content
        from ``supplier``, called with the calendar in force; its figures are part of what it shows."""
        active = self.calendars.active(process_id)
        cal = active.calendar
        supplement = supplier(cal) if supplier is not None else None
        fingerprint = self.renderer.fingerprint(cal, kind, supplement)  # refuses an unknown or unsupplied kind
        latest = self.latest(process_id, kind)
        if latest is not None and latest.fingerprint == fingerprint:
            if publish and latest.published_at is None:
                self._mark_published(latest, now)
            return latest, False
        number = (latest.number if latest else 0) + 1
        doc = self.renderer.render(
            cal,
            kind,
            calendar_text=active.loaded.text,
            # From the inputs, never the clock, so that rendering again gives the same bytes.
            created=supplement.created if supplement is not None else active.version.created_at,
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
            published_at=now if publish else None,
        )
        with self.db.write_session() as s:
            s.add(version)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                raced = self.latest(process_id, kind)  # another engine generated the same version first
                if raced is not None and raced.fingerprint == fingerprint:
                    return raced, False
                raise
        return version, True

    def _mark_published(self, version: DocumentVersion, now: datetime) -> None:
        with self.db.write_session() as s:
            row = s.get(DocumentVersion, version.id)
            if row is not None and row.published_at is None:
                row.published_at = now
                s.add(row)
                s.commit()
        version.published_at = version.published_at or now

    def publish(self, process_id: str, kinds: list[str] | None, now: datetime) -> list[DocumentVersion]:
        """Publish the latest version of each kind (by default the calendar documents; a dictamen is published
        when it is generated, or when named)."""
        published = []
        for kind in kinds or DOCUMENT_KINDS:
            latest = self.latest(process_id, kind)
            if latest is not None:
                self._mark_published(latest, now)
                published.append(latest)
        return published

    def refresh(self, process_id: str, now: datetime) -> list[DocumentVersion]:
        """After an amendment: regenerate every calendar document already generated; a new version of a published
        document is published at once. A dictamen is not regenerated here: it needs its verification run."""
        new = []
        for kind in DOCUMENT_KINDS:
            latest = self.latest(process_id, kind)
            if latest is None:
                continue
            version, created = self.generate(process_id, kind, now, publish=latest.published_at is not None)
            if created:
                new.append(version)
        return new
