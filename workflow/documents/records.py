"""Stored versions of the official documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.db import UTCDateTime


class DocumentVersion(SQLModel, table=True):
    """One generated PDF. ``number`` counts versions per process and kind; the file is content-addressed by
    ``sha256``; ``fingerprint`` identifies what the document shows, so unchanged content makes no new version."""

    __tablename__ = "document_version"
    __table_args__ = (UniqueConstraint("process_id", "kind", "number", name="uq_document_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    kind: str = Field(max_length=40)
    number: int
    calendar_version: int
    fingerprint: str = Field(max_length=64)
    sha256: str = Field(max_length=64)
    size: int
    title: str
    generated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # A PROYECTO: made from a calendar with unconfirmed values. Published only when an administrator forces it,
    # and then with the reason and the author stored here.
    draft: bool = False
    forced_reason: str | None = None
    forced_by: str | None = Field(default=None, max_length=120)

    @property
    def file_name(self) -> str:
        return f"{self.kind}-{self.process_id}-v{self.number}.pdf"


class DocumentSignature(SQLModel, table=True):
    """A PAdES signature of one stored version: the signed PDF is content-addressed by ``sha256`` (its first
    ``DocumentVersion.size`` bytes are the unsigned version); ``signer`` is the certificate's subject. A
    certificate signs a version once: publication signs idempotently on this key."""

    __tablename__ = "document_signature"
    __table_args__ = (Index("uq_document_signature_certificate", "document_id", "certificate_sha256", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="document_version.id", index=True)
    signer: str = Field(max_length=400)
    certificate_sha256: str = Field(max_length=64)
    signed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sha256: str = Field(max_length=64)
    size: int
