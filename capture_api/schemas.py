"""What the API returns: response models, separate from the database records."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from litestar.params import PathParameter
from pydantic import BaseModel, Field


class Problem(BaseModel):
    field: str | None = Field(default=None, description="Campo o parte de la solicitud con el problema.")
    line: int | None = Field(default=None, description="Línea del calendario con el problema (cambios de calendario).")
    column: int | None = Field(default=None, description="Columna del calendario con el problema.")
    message: str


class ErrorBody(BaseModel):
    """Every error: a Spanish detail, and where it applies the list of problems."""

    status_code: int
    detail: str
    errors: list[Problem] = Field(default_factory=list)


class ProcessSummary(BaseModel):
    id: str
    name: str
    ople: str
    timezone: str
    calendar_version: int


class ZoneSpanOut(BaseModel):
    zone: str = Field(description="Zona horaria IANA en que se leen estas fechas.")
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    demarcaciones: list[str] = Field(description="Demarcaciones que siguen esa zona.")


class PhaseOut(BaseModel):
    id: str
    name: str
    kind: str
    cargos: list[str]
    groups: list[int]
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    state: str = Field(description="pendiente, abierta o cerrada, ahora")
    window_from_constancia: bool = False
    late_upload_grace_hours: int | None = None
    timezone: str = Field("", description="Zona de start_local y end_local (la del proceso).")
    zones: list[ZoneSpanOut] = Field(
        default_factory=list,
        description="Si algunas demarcaciones tienen su propia zona (p. ej. la franja fronteriza), la fase en cada "
        "una.",
    )
    unconfirmed: list[str] = Field(default_factory=list, description="Claves de la fase sin confirmar.")


class OpenWindow(BaseModel):
    phase_id: str
    name: str
    cargos: list[str]
    closes_utc: datetime
    closes_local: str = Field(description="Cierre en hora local, p. ej. «2022-02-10 24:00 CST».")


class ProcessDetail(ProcessSummary):
    state: str
    now: datetime
    election_day: date
    phases: list[PhaseOut]
    open_windows: list[OpenWindow]


class SignatureOut(BaseModel):
    signer: str = Field(description="Nombre de quien firma, tomado de su certificado.")
    signed_at: datetime = Field(description="Fecha y hora de la firma, en la hora local del proceso.")
    signed_local: str = Field(description="La misma, como se lee: «2021-11-01 10:15 CST».")
    sha256: str = Field(description="SHA-256 del PDF firmado (el que se descarga).")
    size: int


class DocumentOut(BaseModel):
    id: int
    kind: str
    number: int
    title: str
    calendar_version: int
    sha256: str
    size: int
    generated_at: datetime
    published_at: datetime | None
    url: str
    draft: bool = Field(False, description="PROYECTO: su calendario tiene valores sin confirmar.")
    forced_reason: str | None = Field(None, description="Motivo por el que se publicó un proyecto, si se forzó.")
    signatures: list[SignatureOut] = Field(
        default_factory=list,
        description="Firmas electrónicas (PAdES), la más antigua primero; si hay alguna, la descarga es el PDF firmado "
        "por todas y «sha256» sigue identificando el documento sin firmar.",
    )


class PublishIn(BaseModel):
    force: bool = Field(False, description="Publicar aunque sea un PROYECTO (valores sin confirmar).")
    reason: str | None = Field(
        None, max_length=2000, description="Motivo de la publicación forzada; obligatorio con force."
    )


class CalendarApplied(BaseModel):
    process_id: str
    calendar_version: int
    sha256: str


class AspiranteCreated(BaseModel):
    id: int
    process_id: str
    name: str
    cargo: str
    demarcacion: str
    constancia_date: date
    token: str = Field(description="Token de acceso de la persona aspirante; se muestra solo esta vez.")
    token_expires_at: datetime | None


class GestorCreated(BaseModel):
    id: int
    aspirante_id: int
    name: str
    token: str = Field(description="Token de acceso del gestor; se muestra solo esta vez.")
    token_expires_at: datetime | None


# Process ids in paths are slugs: anything else is refused before it reaches the database.
ProcessId = Annotated[str, PathParameter(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]

# Row ids in paths: positive integers. One beyond what the database can hold names no row: 404 (services check).
RowId = Annotated[int, PathParameter(ge=1)]


class VerificationRunOut(BaseModel):
    id: int
    cargo: str
    kind: str = Field(description="preliminar, final o manual")
    complete: bool = Field(description="Todos los periodos del cargo (con el plazo de gracia) habían cerrado al corte.")
    status: str = Field(description="running, done o failed")
    reused: bool = Field(default=False, description="Las mismas entradas que una verificación anterior: sin cambios.")
    received_before_utc: datetime
    captures_up_to: int
    roll_version_id: int
    rules_version: str
    inputs_sha256: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    apoyos: int | None
    by_status: dict[str, int] = Field(default_factory=dict)
    aspirantes: list[dict] = Field(default_factory=list, description="Resultado por aspirante: conteos y dictamen.")


class ReviewerCreated(BaseModel):
    id: int
    name: str
    token: str = Field(description="Token de acceso de la persona revisora; se muestra solo esta vez.")
    token_expires_at: datetime | None


class Choice(BaseModel):
    value: str
    label: str


class ReviewFlag(BaseModel):
    """What image triage measured, against which threshold, and the reason it suggests."""

    code: str
    part: str
    value: float | None
    threshold: float | None
    suggested_reason: str
    message: str


class DecisionOut(BaseModel):
    id: int
    apoyo_id: int
    decision: str
    label: str = Field(description="La decisión en palabras.")
    note: str | None
    reviewer_id: int
    reviewer: str
    decided_at: datetime
    replaces: int | None = Field(description="La decisión que esta corrige.")
    replaced_by: int | None = Field(default=None, description="La decisión que corrigió a esta, si la hay.")
    objection_id: int | None = Field(description="La objeción que esta decisión resuelve, si la hay.")


class ImageLinks(BaseModel):
    """Each image at review size; add «?vista=completa» for the original."""

    anverso: str
    reverso: str
    foto: str
    firma: str
    objecion: str | None = Field(default=None, description="La imagen que trajo la objeción, si trajo una.")


class Supporter(BaseModel):
    """Personal data of the person who gave the apoyo: only for the mesa de control."""

    nombre: str
    apellido_paterno: str
    apellido_materno: str | None
    clave_elector: str
    ocr: str
    cic: str | None
    numero_emision: str | None


class RegistralOut(BaseModel):
    status: str
    label: str
    reason: str
    municipio: str | None
    seccion: int | None
    run_id: int


class ObjectionOut(BaseModel):
    id: int
    apoyo_id: int
    folio: str
    filed_at: datetime
    rejection: str = Field(description="El rechazo objetado: estatus registral o «mesa_de_control».")
    argument: str
    has_image: bool
    resolution: DecisionOut | None


class ReviewApoyoOut(BaseModel):
    apoyo_id: int
    folio: str
    process_id: str
    aspirante_id: int
    cargo: str
    kind: str = Field(description="senalado, muestra, revision_total u objecion")
    kind_label: str
    leased_until: datetime | None
    captured_at: datetime
    received_at: datetime
    late: bool
    seccion: int
    capture_mode: str
    supporter: Supporter
    registral: RegistralOut | None
    flags: list[ReviewFlag]
    objection: ObjectionOut | None
    decisions: list[DecisionOut] = Field(description="Todas las decisiones sobre el apoyo, la más antigua primero.")
    choices: list[Choice] = Field(description="Las decisiones que admite este apoyo.")
    images: ImageLinks
    queue_pending: int = Field(description="Apoyos del proceso que esperan decisión en la mesa de control.")


class RejectedOut(BaseModel):
    apoyo_id: int
    folio: str
    captured_at: datetime
    received_at: datetime
    status: str = Field(description="Estatus registral, o «mesa_de_control» si la mesa lo rechazó.")
    reason: str = Field(description="El motivo del rechazo, en palabras.")
    decided_at: datetime | None = Field(description="Cuándo lo rechazó la mesa de control, si fue ella.")
    images: ImageLinks
    objection: ObjectionOut | None
    can_object: bool = Field(description="La garantía de audiencia está abierta y el apoyo aún no tiene objeción.")
