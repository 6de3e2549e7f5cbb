"""Stored captures (apoyos). Images live in the capture file store, outside any public path, encrypted (``storage.py``:
a record in a group file, or four files for captures stored before revision 0006); personal data are sealed in the
row."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from workflow.storage.db import UTCDateTime


class Capture(SQLModel, table=True):
    __tablename__ = "capture"

    id: int | None = Field(default=None, primary_key=True)
    capture_id: str = Field(max_length=36, unique=True, index=True, description="the app's UUID: idempotency key")
    folio: str = Field(max_length=40, unique=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    aspirante_id: int = Field(foreign_key="aspirante.id", index=True)
    gestor_id: int = Field(foreign_key="gestor.id", index=True)
    captured_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    late: bool = False
    content_sha256: str = Field(max_length=64)
    # No personal value in clear: keyed hashes to find and join identifiers (verification joins on these three),
    # and the sealed data (``personal.py``). The sección stays clear: alone it identifies no one.
    clave_lookup: str = Field(max_length=64, index=True, description="HMAC-SHA256 of the clave de elector (hex)")
    ocr_lookup: str = Field(max_length=64, description="HMAC-SHA256 of the OCR (hex)")
    cic_lookup: str | None = Field(default=None, max_length=64, description="HMAC-SHA256 of the CIC (hex)")
    personal: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    seccion: int
    device_id: str
    app_version: str
    capture_mode: str = Field(max_length=10)
    anverso_sha256: str = Field(max_length=64)
    anverso_type: str = Field(max_length=4)
    reverso_sha256: str = Field(max_length=64)
    reverso_type: str = Field(max_length=4)
    foto_sha256: str = Field(max_length=64)
    foto_type: str = Field(max_length=4)
    firma_sha256: str = Field(max_length=64)
    firma_type: str = Field(max_length=4)
    # Where the four images are: a record of a group file (NULL for captures stored as four files, before 0006).
    images_file: str | None = Field(default=None, max_length=64)
    images_offset: int | None = Field(default=None)
    images_length: int | None = Field(default=None)
