"""Who takes part in a process: aspirantes (registered by the OPLE once their constancia is issued), the gestores
each aspirante registers, and the bearer tokens of OPLE administrators, aspirantes and gestores."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.db import UTCDateTime


class Role(StrEnum):
    admin = "admin"
    aspirante = "aspirante"
    gestor = "gestor"
    revisor = "revisor"  # the mesa de control


class Aspirante(SQLModel, table=True):
    __tablename__ = "aspirante"

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    name: str
    cargo_id: str = Field(max_length=80)
    demarcacion_id: str = Field(max_length=20, description="INEGI key of the municipio, district id, or entity key")
    constancia_date: date
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Gestor(SQLModel, table=True):
    """One gestor serves one aspirante: the person (by the keyed hash of their clave de elector) is unique within a
    process. The clave itself is sealed (``workflow.captures.personal``)."""

    __tablename__ = "gestor"
    __table_args__ = (UniqueConstraint("process_id", "clave_lookup", name="uq_gestor_person"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    aspirante_id: int = Field(foreign_key="aspirante.id", index=True)
    name: str
    clave_lookup: str = Field(max_length=64)
    personal: bytes = Field(sa_column=Column(LargeBinary(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Reviewer(SQLModel, table=True):
    """A person of the mesa de control, created by an administrator: every review decision names one."""

    __tablename__ = "reviewer"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ApiToken(SQLModel, table=True):
    """A bearer token, stored only as its SHA-256. ``subject_id`` is the aspirante, gestor or reviewer it speaks
    for."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    role: str = Field(max_length=10)
    subject_id: int | None = None
    label: str = ""
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    def active_at(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


TOKEN_PREFIX = "cvk_"


def new_token() -> tuple[str, str]:
    """A random token (shown once) and the hash that is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
