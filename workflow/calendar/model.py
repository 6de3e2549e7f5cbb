"""The electoral calendar of one process, as an OPLE secretariat writes it in YAML.

Keys are English like the code; domain nouns (cargo, municipio, lista_nominal, …) stay Spanish. Every field carries
a Spanish description, which the JSON Schema shows in editors. Cross-references and the order of phases are checked
in ``checks.py``; this module only says what shape each piece has.
"""

from __future__ import annotations

import difflib
import math
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .document_texts import DocumentTexts, InsidePath
from .localtime import LocalMoment, end_instant, start_instant, validate_timezone
from .messages import pattern

Slug = Annotated[
    str,
    Field(
        pattern=pattern(
            r"^[a-z0-9]+(-[a-z0-9]+)*$",
            "debe usar solo minúsculas sin acentos, dígitos y guiones entre palabras (p. ej. durango-2021-2022)",
        ),
        min_length=1,
        max_length=80,
        description="Identificador en minúsculas, dígitos y guiones (por ejemplo durango-2021-2022).",
    ),
]
NonEmpty = Annotated[str, Field(min_length=1)]


def _not_bool(value: Any) -> Any:
    # pydantic's lax mode would read «lista_nominal: true» as 1; in a calendar a true/false there is always a slip.
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "se esperaba un número entero")
    return value


Int = Annotated[int, BeforeValidator(_not_bool)]
# Not «Int | None»: there pydantic could not carry ge/le into the JSON Schema.
OptInt = Annotated[int | None, BeforeValidator(_not_bool)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PhaseKind(StrEnum):
    convocatoria = "convocatoria"
    manifestacion_intencion = "manifestacion_intencion"
    captacion_apoyo = "captacion_apoyo"
    verificacion = "verificacion"
    garantia_audiencia = "garantia_audiencia"
    dictamen = "dictamen"
    registro_candidaturas = "registro_candidaturas"
    campana = "campana"
    jornada_electoral = "jornada_electoral"
    otra = "otra"

    @property
    def label(self) -> str:
        """The kind as a reader sees it (documents, the .ics file)."""
        return PHASE_KIND_LABELS[self]


PHASE_KIND_LABELS = {
    PhaseKind.convocatoria: "Convocatoria",
    PhaseKind.manifestacion_intencion: "Manifestación de intención",
    PhaseKind.captacion_apoyo: "Captación del apoyo",
    PhaseKind.verificacion: "Verificación",
    PhaseKind.garantia_audiencia: "Garantía de audiencia",
    PhaseKind.dictamen: "Dictamen",
    PhaseKind.registro_candidaturas: "Registro de candidaturas",
    PhaseKind.campana: "Campaña",
    PhaseKind.jornada_electoral: "Jornada electoral",
    PhaseKind.otra: "Otra",
}


class Demarcacion(StrEnum):
    estado = "estado"
    distrito = "distrito"
    municipio = "municipio"


class DispersionUnit(StrEnum):
    distrito = "distrito"
    municipio = "municipio"
    seccion = "seccion"


class Base(StrEnum):
    lista_nominal = "lista_nominal"
    padron = "padron"


# Actions a phase edge may trigger. The engine looks implementations up by these names in a registry filled by
# the packages that provide them at start-up; this list is the vocabulary a calendar may use.
KNOWN_ACTIONS: dict[str, str] = {
    "generate_documents": "genera los documentos oficiales (convocatoria, protocolo, dictamen)",
    "publish": "publica el calendario y los documentos vigentes",
    "open_capture": "abre la captación de apoyo de la ciudadanía",
    "close_capture": "cierra la captación de apoyo de la ciudadanía",
    "run_verification": "ejecuta la verificación de los apoyos recibidos",
    "open_audiencia": "abre la garantía de audiencia: cada aspirante puede objetar sus apoyos rechazados",
    "final_dictamen": "cierra la garantía de audiencia y genera el dictamen final de cada cargo",
}


class Signatory(Strict):
    name: NonEmpty = Field(description="Nombre completo de quien firma.")
    title: NonEmpty = Field(description="Cargo de quien firma, p. ej. «Consejero Presidente».")


class Ople(Strict):
    name: NonEmpty = Field(description="Nombre oficial del organismo público local electoral.")
    acronym: NonEmpty = Field(max_length=20, description="Siglas, p. ej. IEPC.")
    address: str | None = Field(default=None, description="Domicilio de las oficinas centrales.")
    website: str | None = Field(default=None, description="Sitio web del OPLE.")
    logo: InsidePath | None = Field(
        default=None, description="Ruta del logotipo, relativa a la carpeta de calendarios."
    )


class Process(Strict):
    id: Slug
    name: NonEmpty = Field(description="Nombre del proceso, p. ej. «Proceso Electoral Local 2021-2022».")
    ople: Ople
    state: NonEmpty = Field(description="Entidad federativa, p. ej. Durango.")
    entity_key: str = Field(
        pattern=pattern(r"^(0[1-9]|[12][0-9]|3[0-2])$", "debe ser una clave de dos dígitos, de 01 a 32 (p. ej. 10)"),
        description="Clave INEGI de la entidad (01 a 32), p. ej. «10».",
    )
    timezone: Annotated[str, AfterValidator(validate_timezone)] = Field(
        description="Zona horaria IANA del OPLE, p. ej. America/Monterrey."
    )
    start: date = Field(description="Inicio del proceso electoral (fecha local).")
    election_day: date = Field(description="Día de la jornada electoral.")
    legal_basis: list[NonEmpty] = Field(
        default_factory=list, description="Fundamentos jurídicos que se citan en los documentos."
    )
    approving_acuerdo: NonEmpty = Field(description="Acuerdo del Consejo General que aprueba el calendario.")
    approved_on: date | None = Field(default=None, description="Fecha de aprobación del acuerdo.")
    roll_cut_date: date = Field(description="Fecha de corte de la Lista Nominal / Padrón para los umbrales.")
    signatories: list[Signatory] = Field(default_factory=list, description="Quienes firman los documentos.")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Group(Strict):
    id: Int = Field(ge=1, description="Número del grupo municipal.")
    name: NonEmpty


class Municipio(Strict):
    inegi: str = Field(
        pattern=pattern(r"^\d{5}$", "debe tener cinco dígitos (p. ej. 10005)"),
        description="Clave INEGI de cinco dígitos (entidad + municipio).",
    )
    ine: str = Field(
        pattern=pattern(r"^\d{3}$", "debe tener tres dígitos (p. ej. 005)"),
        description="Clave INE del municipio (tres dígitos, orden alfabético).",
    )
    name: NonEmpty
    cabecera: NonEmpty
    group: OptInt = Field(default=None, description="Grupo municipal al que pertenece.")
    lista_nominal: Int = Field(ge=0, description="Lista Nominal a la fecha de corte.")
    padron: OptInt = Field(default=None, ge=0, description="Padrón Electoral a la fecha de corte.")
    secciones: OptInt = Field(default=None, ge=0, description="Número de secciones electorales.")
    district: str | None = Field(default=None, description="Distrito local al que pertenece, si aplica.")


class District(Strict):
    id: NonEmpty = Field(description="Identificador del distrito, p. ej. «01».")
    name: NonEmpty
    cabecera: str | None = None
    lista_nominal: Int = Field(ge=0)
    padron: OptInt = Field(default=None, ge=0)
    secciones: OptInt = Field(default=None, ge=0)


class Territory(Strict):
    groups: list[Group] = Field(default_factory=list, description="Grupos municipales.")
    municipios: list[Municipio] = Field(min_length=1)
    districts: list[District] = Field(default_factory=list, description="Distritos, si algún cargo los usa.")
    lista_nominal: OptInt = Field(
        default=None, ge=0, description="Lista Nominal estatal; si se omite, es la suma de los municipios."
    )
    padron: OptInt = Field(default=None, ge=0, description="Padrón estatal; si se omite, es la suma de los municipios.")


Percentage = Annotated[Decimal, Field(gt=0, le=100, description="Porcentaje entre 0 (exclusivo) y 100.")]


class Threshold(Strict):
    percentage: Percentage
    base: Base = Field(default=Base.lista_nominal, description="lista_nominal o padron, al corte.")
    rounding: Literal["up"] = Field(default="up", description="Redondeo: siempre hacia arriba.")

    def required(self, base_count: int) -> int:
        return math.ceil(self.percentage * base_count / 100)


class Dispersion(Strict):
    unit: DispersionUnit = Field(description="Unidad territorial: municipio, distrito o seccion.")
    min_units: OptInt = Field(default=None, ge=1, description="Número mínimo de unidades.")
    min_fraction: Decimal | None = Field(
        default=None, gt=0, le=1, description="Fracción mínima de las unidades (0.5 = la mitad)."
    )
    min_percentage: Percentage = Field(description="Porcentaje mínimo de apoyo en cada unidad.")
    assumed: bool = Field(default=False, description="Verdadero si la regla no está confirmada por una fuente oficial.")

    @model_validator(mode="after")
    def _one_count(self) -> Dispersion:
        if (self.min_units is None) == (self.min_fraction is None):
            raise PydanticCustomError("dispersion_count", "indique exactamente uno de min_units o min_fraction")
        return self

    def units_needed(self, available: int) -> int:
        if self.min_units is not None:
            return self.min_units
        assert self.min_fraction is not None  # _one_count: exactly one of the two is set
        return math.ceil(self.min_fraction * available)

    def per_unit(self, base_count: int) -> int:
        return math.ceil(self.min_percentage * base_count / 100)


class Cargo(Strict):
    id: Slug
    name: NonEmpty = Field(description="Nombre del cargo, p. ej. Gubernatura.")
    demarcacion: Demarcacion = Field(description="estado, distrito o municipio.")
    threshold: Threshold
    dispersion: Dispersion | None = None
    term: str | None = Field(default=None, description="Periodo del cargo, para la convocatoria.")


def _known_action(name: str) -> str:
    # Checked on the name, not the whole call, so the error points at the name in {action: NAME, params: …}.
    if name not in KNOWN_ACTIONS:
        close = difflib.get_close_matches(name, KNOWN_ACTIONS, n=1)
        hint = f"¿quiso decir «{close[0]}»?" if close else "las acciones disponibles son: " + ", ".join(KNOWN_ACTIONS)
        raise PydanticCustomError("unknown_action", "acción desconocida «{name}»; {hint}", {"name": name, "hint": hint})
    return name


class ActionCall(Strict):
    action: Annotated[str, AfterValidator(_known_action)] = Field(description="Nombre de la acción.")
    params: dict[str, Any] = Field(default_factory=dict, description="Parámetros de la acción.")


def _action(value: Any) -> Any:
    return {"action": value} if isinstance(value, str) else value


_ACTION_NAME_SCHEMA = {"type": "string", "enum": list(KNOWN_ACTIONS)}
Action = Annotated[
    ActionCall,
    WithJsonSchema(
        {
            "description": "Acción: su nombre, o un mapa con «action» y «params».",
            "anyOf": [
                _ACTION_NAME_SCHEMA,
                {
                    "type": "object",
                    "properties": {"action": _ACTION_NAME_SCHEMA, "params": {"type": "object"}},
                    "required": ["action"],
                    "additionalProperties": False,
                },
            ],
        }
    ),
]


class Phase(Strict):
    id: Slug
    name: NonEmpty = Field(description="Nombre de la fase en español.")
    kind: PhaseKind
    cargos: list[Slug] = Field(default_factory=list, description="Cargos a los que aplica; vacío = todos.")
    groups: list[Int] = Field(default_factory=list, description="Grupos municipales; vacío = todos.")
    start: LocalMoment
    end: LocalMoment
    late_upload_grace_hours: OptInt = Field(
        default=None,
        ge=0,
        le=168,
        description="Solo captación: horas tras el cierre para subir apoyos captados dentro del periodo.",
    )
    window_from_constancia: bool = Field(
        default=False,
        description="Solo captación: el periodo de cada aspirante empieza al expedirse su constancia.",
    )
    window_days: OptInt = Field(
        default=None, ge=1, description="Solo captación por constancia: días de periodo de cada aspirante."
    )
    on_start: list[Action] = Field(default_factory=list, description="Acciones al iniciar la fase.")
    on_end: list[Action] = Field(default_factory=list, description="Acciones al concluir la fase.")
    notes: str | None = Field(default=None, description="Observaciones que se muestran en los documentos.")

    @field_validator("on_start", "on_end", mode="before")
    @classmethod
    def _action_shorthand(cls, value: Any) -> Any:
        # A bare action name is shorthand for {action: name}.
        return [_action(x) for x in value] if isinstance(value, list) else value

    @model_validator(mode="after")
    def _capture_only(self) -> Phase:
        # «field» in the error context tells the loader which key to point at.
        if self.kind != PhaseKind.captacion_apoyo:
            for name in ("late_upload_grace_hours", "window_days", "window_from_constancia"):
                value = getattr(self, name)
                if value is not None and value is not False:  # «late_upload_grace_hours: 0» is set too
                    raise PydanticCustomError(
                        "capture_only",
                        "«{field}» solo aplica a fases de kind captacion_apoyo; quite esta clave o cambie el kind",
                        {"field": name},
                    )
        if self.window_days is not None and not self.window_from_constancia:
            raise PydanticCustomError(
                "window_days",
                "«window_days» requiere «window_from_constancia: true»; agréguelo o quite window_days",
                {"field": "window_days"},
            )
        return self

    def start_utc(self, tz: ZoneInfo) -> datetime:
        return start_instant(self.start, tz)

    def end_utc(self, tz: ZoneInfo) -> datetime:
        return end_instant(self.end, tz)

    def applies_to(self, cargo: str | None = None, group: int | None = None) -> bool:
        return (not self.cargos or cargo is None or cargo in self.cargos) and (
            not self.groups or group is None or group in self.groups
        )


class ReviewRules(Strict):
    """What goes to the mesa de control besides every flagged apoyo: a random sample of the valid candidates, and
    every one of an aspirante's when the sample's inconsistency rate exceeds a threshold (INE 2018: 10 %)."""

    sample_percentage: Decimal = Field(
        Decimal(5),
        ge=0,
        le=100,
        description="Porcentaje de los apoyos válidos sin señalamientos de cada aspirante que la mesa de control "
        "revisa por muestra aleatoria.",
    )
    full_review_above: Decimal = Field(
        Decimal(10),
        ge=0,
        le=100,
        description="Porcentaje de apoyos rechazados en la muestra por encima del cual la mesa revisa uno por uno "
        "todos los apoyos válidos de esa persona aspirante.",
    )
    assumed: bool = Field(
        False, description="Verdadero si estas reglas no constan en un acuerdo del OPLE (se señalan como supuestas)."
    )


class Calendar(Strict):
    """One electoral process: who, where, which offices, and when each phase runs."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        json_schema_extra={"title": "Calendario electoral de convoca"},
    )

    process: Process
    territory: Territory
    cargos: list[Cargo] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    documents: DocumentTexts = Field(
        default_factory=DocumentTexts, description="Textos de los documentos oficiales propios de la entidad."
    )
    review: ReviewRules = Field(
        default_factory=ReviewRules, description="Qué revisa la mesa de control además de los apoyos señalados."
    )

    @property
    def tz(self) -> ZoneInfo:
        return self.process.tz

    def cargo(self, cargo_id: str) -> Cargo:
        for c in self.cargos:
            if c.id == cargo_id:
                return c
        raise KeyError(cargo_id)

    def phase(self, phase_id: str) -> Phase:
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)
