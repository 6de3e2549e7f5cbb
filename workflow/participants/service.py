"""Register aspirantes and gestores, issue and check bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import ConfigDict, Field
from sqlalchemy import bindparam
from sqlalchemy import select as sql_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.calendar.model import Calendar, Demarcacion
from workflow.captures.model import ClaveElector
from workflow.captures.personal import seal_gestor_clave, unseal_gestor_clave
from workflow.captures.windows import window_for
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.storage.db import Database, storable_id
from workflow.storage.keys import Keyring
from workflow.text import CleanText

from .records import ApiToken, Aspirante, Gestor, Reviewer, Role, hash_token, new_token


class NewAspirante(CleanText):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="Nombre completo de la persona aspirante.")
    cargo: str = Field(min_length=1, max_length=80, description="Id del cargo en el calendario.")
    demarcacion: str = Field(
        min_length=1,
        max_length=20,
        description="Clave INEGI del municipio, id del distrito o clave de la entidad, según el cargo.",
    )
    constancia_date: date = Field(description="Fecha de expedición de la constancia de aspirante.")


class NewReviewer(CleanText):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="Nombre completo de la persona revisora.")


class NewGestor(CleanText):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200, description="Nombre completo del gestor.")
    clave_elector: ClaveElector = Field(description="Clave de elector del gestor (18 caracteres).")


@dataclass(frozen=True)
class Principal:
    """Who a valid token speaks for."""

    role: Role
    token_id: int
    aspirante_id: int | None = None
    gestor_id: int | None = None
    reviewer_id: int | None = None


_TOKENS, _GESTORES, _REVIEWERS = ApiToken.__table__, Gestor.__table__, Reviewer.__table__  # type: ignore[attr-defined]
TOKEN_QUERY = (
    sql_select(_TOKENS.c.id, _TOKENS.c.role, _TOKENS.c.subject_id, _TOKENS.c.expires_at, _TOKENS.c.revoked_at)
    .add_columns(_GESTORES.c.id.label("gestor_id"), _GESTORES.c.aspirante_id, _REVIEWERS.c.id.label("reviewer_id"))
    .outerjoin(_GESTORES, (_TOKENS.c.role == Role.gestor.value) & (_GESTORES.c.id == _TOKENS.c.subject_id))
    .outerjoin(_REVIEWERS, (_TOKENS.c.role == Role.revisor.value) & (_REVIEWERS.c.id == _TOKENS.c.subject_id))
    .where(_TOKENS.c.token_hash == bindparam("token_hash"))
)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    record: ApiToken


def _token(
    s: Session, role: Role, now: datetime, subject_id: int | None, label: str, ttl: timedelta | None
) -> IssuedToken:
    token, digest = new_token()
    record = ApiToken(
        token_hash=digest,
        role=role.value,
        subject_id=subject_id,
        label=label,
        created_at=now,
        expires_at=now + ttl if ttl else None,
    )
    s.add(record)
    return IssuedToken(token, record)


def _demarcaciones(cal: Calendar, cargo) -> dict[str, str]:
    """The demarcaciones of a cargo: key → name."""
    if cargo.demarcacion is Demarcacion.municipio:
        return {m.inegi: m.name for m in cal.territory.municipios}
    if cargo.demarcacion is Demarcacion.distrito:
        return {d.id: d.name for d in cal.territory.districts}
    return {cal.process.entity_key: cal.process.state}


class Participants:
    def __init__(self, db: Database, calendars: CalendarStore, keyring: Keyring) -> None:
        self.db = db
        self.calendars = calendars
        self.keyring = keyring

    # -- tokens -------------------------------------------------------------------------------------------------

    def issue_token(
        self, role: Role, now: datetime, *, subject_id: int | None = None, label: str = "", ttl: timedelta | None = None
    ) -> IssuedToken:
        with self.db.write_session() as s:
            issued = _token(s, role, now, subject_id, label, ttl)
            s.commit()
        return issued

    def revoke(self, token_id: int, now: datetime) -> bool:
        with self.db.write_session() as s:
            record = s.get(ApiToken, token_id)
            if record is None:
                return False
            if record.revoked_at is None:
                record.revoked_at = now
                s.add(record)
                s.commit()
            return True

    def authenticate(self, token: str, now: datetime) -> Principal | None:
        # Every request of every gestor starts here: one Core query (the token and, for a gestor, its aspirante).
        with self.db.read_engine.connect() as conn:
            record = conn.execute(TOKEN_QUERY, {"token_hash": hash_token(token)}).first()
        if (
            record is None
            or record.revoked_at is not None
            or not (record.expires_at is None or now < record.expires_at)
        ):
            return None
        role = Role(record.role)
        if role is Role.gestor:
            if record.gestor_id is None:
                return None
            return Principal(role, record.id, aspirante_id=record.aspirante_id, gestor_id=record.gestor_id)
        if role is Role.aspirante:
            return Principal(role, record.id, aspirante_id=record.subject_id)
        if role is Role.revisor:
            if record.reviewer_id is None:
                return None
            return Principal(role, record.id, reviewer_id=record.reviewer_id)
        return Principal(role, record.id)

    def tokens(self) -> list[ApiToken]:
        with self.db.read_session() as s:
            return list(s.exec(select(ApiToken).order_by(col(ApiToken.id))))

    # -- the mesa de control ------------------------------------------------------------------------------------

    def create_reviewer(self, name: str, now: datetime, ttl: timedelta | None = None) -> tuple[Reviewer, IssuedToken]:
        """A reviewer and their token, together or neither (``name`` already validated at the edge)."""
        reviewer = Reviewer(name=name, created_at=now)
        with self.db.write_session() as s:
            s.add(reviewer)
            s.flush()
            token = _token(s, Role.revisor, now, reviewer.id, name, ttl)
            s.commit()
        return reviewer, token

    def reviewers(self) -> list[Reviewer]:
        with self.db.read_session() as s:
            return list(s.exec(select(Reviewer).order_by(col(Reviewer.id))))

    # -- aspirantes and gestores --------------------------------------------------------------------------------

    def create_aspirante(
        self, process_id: str, data: NewAspirante, now: datetime, ttl: timedelta | None = None
    ) -> tuple[Aspirante, IssuedToken]:
        cal = self.calendars.active(process_id).calendar
        try:
            cargo = cal.cargo(data.cargo)
        except KeyError:
            known = ", ".join(c.id for c in cal.cargos)
            raise DomainError(
                ErrorKind.invalid, f"el cargo «{data.cargo}» no existe en el calendario; cargos: {known}", "cargo"
            ) from None
        keys = _demarcaciones(cal, cargo)
        what = {
            Demarcacion.municipio: f"la clave INEGI de un municipio (p. ej. {next(iter(keys))})",
            Demarcacion.distrito: "el id de un distrito",
            Demarcacion.estado: f"la clave de la entidad ({cal.process.entity_key})",
        }[cargo.demarcacion]
        if data.demarcacion not in keys:
            raise DomainError(
                ErrorKind.invalid,
                f"la demarcación «{data.demarcacion}» no corresponde al cargo {cargo.name}: indique {what}",
                "demarcacion",
            )
        if not cal.process.start - timedelta(days=366) <= data.constancia_date <= cal.process.election_day:
            raise DomainError(
                ErrorKind.invalid,
                f"la fecha de constancia {data.constancia_date.isoformat()} no corresponde al proceso "
                f"{cal.process.name} (jornada electoral: {cal.process.election_day.isoformat()})",
                "constancia_date",
            )
        window = window_for(cal, cargo.id, data.demarcacion, data.constancia_date)
        if window is not None and window.end <= window.start:
            raise DomainError(
                ErrorKind.invalid,
                f"con constancia del {data.constancia_date.isoformat()} el periodo de captación «{window.phase.name}» "
                "ya habría concluido; revise la fecha",
                "constancia_date",
            )
        aspirante = Aspirante(
            process_id=process_id,
            name=data.name,
            cargo_id=cargo.id,
            demarcacion_id=data.demarcacion,
            constancia_date=data.constancia_date,
            created_at=now,
        )
        with self.db.write_session() as s:  # the person and their token exist together, or neither does
            s.add(aspirante)
            s.flush()
            token = _token(s, Role.aspirante, now, aspirante.id, data.name, ttl)
            s.commit()
        return aspirante, token

    @staticmethod
    def amendment_problems(s: Session, process_id: str, cal: Calendar) -> list[tuple[tuple, str]]:
        """A calendar amendment may not remove the cargo or demarcación of a registered aspirante. Runs in the
        amendment's own transaction, so no aspirante can slip in between the check and the change."""
        rows = s.exec(select(Aspirante).where(Aspirante.process_id == process_id)).all()
        problems: list[tuple[tuple, str]] = []
        cargos = {c.id: c for c in cal.cargos}
        for a in rows:
            cargo = cargos.get(a.cargo_id)
            if cargo is None:
                problems.append(
                    (
                        ("cargos",),
                        f"el cargo «{a.cargo_id}» tiene aspirantes registrados (p. ej. {a.name}) "
                        "y no puede eliminarse del calendario",
                    )
                )
            elif a.demarcacion_id not in _demarcaciones(cal, cargo):
                problems.append(
                    (
                        ("territory",),
                        f"la demarcación «{a.demarcacion_id}» de {a.name} ({cargo.name}) "
                        "no puede eliminarse del calendario",
                    )
                )
        return sorted(set(problems))

    def aspirante(self, aspirante_id: int) -> Aspirante | None:
        if not storable_id(aspirante_id):
            return None
        with self.db.read_session() as s:
            return s.get(Aspirante, aspirante_id)

    def gestor(self, gestor_id: int) -> Gestor | None:
        with self.db.read_session() as s:
            return s.get(Gestor, gestor_id)

    def gestor_clave(self, gestor: Gestor) -> str:
        """A gestor's clave de elector, unsealed: for the roles that must read it, never a public route."""
        return unseal_gestor_clave(self.keyring, gestor.process_id, gestor.clave_lookup, gestor.personal)

    def register_gestor(
        self, aspirante: Aspirante, data: NewGestor, now: datetime, ttl: timedelta | None = None
    ) -> tuple[Gestor, IssuedToken]:
        assert aspirante.id is not None  # a registered aspirante, read from the database
        lookup, sealed = seal_gestor_clave(self.keyring, aspirante.process_id, data.clave_elector)
        gestor = Gestor(
            process_id=aspirante.process_id,
            aspirante_id=aspirante.id,
            name=data.name,
            clave_lookup=lookup,
            personal=sealed,
            created_at=now,
        )
        with self.db.write_session() as s:  # the person and their token exist together, or neither does
            s.add(gestor)
            try:
                s.flush()
            except IntegrityError:
                raise DomainError(
                    ErrorKind.conflict,
                    "esa persona ya está registrada como gestor en este proceso; un gestor sirve a una sola "
                    "persona aspirante",
                    "clave_elector",
                ) from None
            token = _token(s, Role.gestor, now, gestor.id, data.name, ttl)
            s.commit()
        return gestor, token
