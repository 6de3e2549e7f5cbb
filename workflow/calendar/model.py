"""The electoral calendar of one process, as an OPLE secretariat writes it in YAML.

Keys are English like the code; domain nouns (cargo, municipio, lista_nominal, …) stay Spanish. Every field carries
a Spanish description, which the JSON Schema shows in editors. Cross-references and the order of phases are checked
in ``checks.py``; this module only says what shape each piece has.
"""

from __future__ import annotations

import difflib
import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
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
from .unconfirmed import Confirmable, legacy_assumed, legacy_assumed_schema

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


class Strict(Confirmable):
    """Every mapping of a calendar: unknown keys refused, immutable, and able to mark values unconfirmed."""


class PhaseKind(StrEnum):
    convocatoria = "convocatoria"
    manifestacion_intencion = "manifestacion_intencion"
    dictamen_aspirantes = "dictamen_aspirantes"
    captacion_apoyo = "captacion_apoyo"
    verificacion = "verificacion"
    verificacion_declaratoria = "verificacion_declaratoria"
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
    PhaseKind.dictamen_aspirantes: "Resolución sobre la calidad de aspirante y expedición de constancias",
    PhaseKind.captacion_apoyo: "Captación del apoyo",
    PhaseKind.verificacion: "Verificación",
    PhaseKind.verificacion_declaratoria: "Verificación del apoyo y declaratoria",
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


class Rounding(StrEnum):
    """How a share of the roll becomes a whole number of apoyos. ``up`` (the default, and the LGIPE reading: Quintana
    Roo 2022, 1.5 % × 1,304,100 = 19,561.5 → 19,562); ``nearest`` (half up: 19,561.5 → 19,562, 19,561.4 → 19,561;
    IEQROO's district figures are consistent with it); ``down`` (the whole part only)."""

    up = "up"
    nearest = "nearest"
    down = "down"


def apply_rounding(value: Decimal, rounding: Rounding) -> int:
    if rounding is Rounding.up:
        return math.ceil(value)
    if rounding is Rounding.down:
        return math.floor(value)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share(percentage: Decimal, base_count: int, rounding: Rounding) -> int:
    """``percentage`` % of ``base_count`` apoyos, rounded by ``rounding``; exact decimal arithmetic."""
    return apply_rounding(Decimal(percentage) * base_count / 100, rounding)


class LocalTime(StrEnum):
    """Whose wall clock a phase's dates are read on."""

    demarcacion = "demarcacion"
    proceso = "proceso"
    municipio = "municipio"


Timezone = Annotated[str, AfterValidator(validate_timezone)]


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
    timezone: Timezone = Field(
        description="Zona horaria IANA del OPLE, p. ej. America/Monterrey; los municipios con otra hora oficial la "
        "indican en su propio «timezone»."
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
    ine: str | None = Field(
        default=None,
        pattern=pattern(r"^\d{3}$", "debe tener tres dígitos (p. ej. 005)"),
        description="Clave INE del municipio (tres dígitos, orden alfabético); la carga del padrón la necesita.",
    )
    name: NonEmpty
    cabecera: str | None = Field(default=None, description="Cabecera municipal.")
    group: OptInt = Field(default=None, description="Grupo municipal al que pertenece.")
    lista_nominal: OptInt = Field(
        default=None,
        ge=0,
        description="Lista Nominal (ver territory.figures_label para el corte al que corresponde); puede omitirse "
        "mientras no se conozca, y entonces el apoyo requerido del municipio no se calcula.",
    )
    padron: OptInt = Field(default=None, ge=0, description="Padrón Electoral a la fecha de corte.")
    secciones: OptInt = Field(default=None, ge=0, description="Número de secciones electorales.")
    district: str | None = Field(
        default=None,
        description="Distrito local al que pertenece entero, si aplica; un municipio repartido entre varios "
        "distritos se nombra en el «municipios» de cada uno, que indica sus secciones.",
    )
    timezone: Timezone | None = Field(
        default=None,
        description="Zona horaria IANA propia del municipio si difiere de la del proceso (p. ej. los municipios "
        "fronterizos de Tamaulipas, America/Matamoros).",
    )


SECCION_RANGE = r"^\d{1,4}(-\d{1,4})?$"


class District(Strict):
    id: NonEmpty = Field(description="Identificador del distrito, p. ej. «01».")
    name: NonEmpty
    cabecera: str | None = None
    lista_nominal: OptInt = Field(
        default=None,
        ge=0,
        description="Lista Nominal del distrito; opcional si cada cargo por distrito publica su apoyo requerido.",
    )
    padron: OptInt = Field(default=None, ge=0)
    secciones: OptInt = Field(
        default=None, ge=0, description="Número de secciones; si se omite y hay seccion_ranges, se cuentan de ahí."
    )
    municipios: list[Annotated[str, Field(pattern=pattern(r"^\d{5}$", "debe tener cinco dígitos (p. ej. 23005)"))]] = (
        Field(
            default_factory=list,
            description="Claves INEGI de los municipios que abarca, enteros o en parte (alternativa a «district» en "
            "cada municipio).",
        )
    )
    seccion_ranges: list[
        Annotated[str, Field(pattern=pattern(SECCION_RANGE, "debe ser una sección o un rango, p. ej. «412-480»"))]
    ] = Field(
        default_factory=list,
        description="Secciones del distrito en los municipios que comparte con otros distritos: números o rangos "
        "inclusivos «412-480».",
    )
    timezone: Timezone | None = Field(
        default=None, description="Zona horaria IANA propia del distrito si difiere de la del proceso."
    )

    def seccion_numbers(self) -> list[int]:
        out: list[int] = []
        for r in self.seccion_ranges:
            first, _, last = r.partition("-")
            out.extend(range(int(first), int(last or first) + 1))
        return out

    @property
    def seccion_count(self) -> int | None:
        if self.secciones is not None:
            return self.secciones
        return len(self.seccion_numbers()) if self.seccion_ranges else None


class Territory(Strict):
    groups: list[Group] = Field(default_factory=list, description="Grupos municipales.")
    municipios: list[Municipio] = Field(min_length=1)
    districts: list[District] = Field(default_factory=list, description="Distritos, si algún cargo los usa.")
    lista_nominal: OptInt = Field(
        default=None, ge=0, description="Lista Nominal estatal; si se omite, es la suma de los municipios."
    )
    padron: OptInt = Field(default=None, ge=0, description="Padrón estatal; si se omite, es la suma de los municipios.")
    figures_label: str | None = Field(
        default=None,
        description="Qué son en realidad las cifras de Lista Nominal y Padrón de este archivo, tal como lo dirán los "
        "documentos, p. ej. «Lista Nominal publicada para la jornada electoral del 5 de junio de 2022»; úselo cuando "
        "no sean las del corte legal (process.roll_cut_date).",
    )
    figures_cut_date: date | None = Field(
        default=None,
        description="Fecha de corte a la que corresponden las cifras de este archivo; por omisión, "
        "process.roll_cut_date.",
    )

    def municipios_of(self, district_id: str) -> list[Municipio]:
        """The municipios a district spans, wholly or in part."""
        listed = {m for d in self.districts if d.id == district_id for m in d.municipios}
        return [m for m in self.municipios if m.district == district_id or m.inegi in listed]

    def districts_of(self, inegi: str) -> list[str]:
        """The districts a municipio belongs to (several when they share it by secciones)."""
        own = [m.district for m in self.municipios if m.inegi == inegi and m.district]
        return own + [d.id for d in self.districts if inegi in d.municipios and d.id not in own]

    def municipio(self, inegi: str) -> Municipio | None:
        return next((m for m in self.municipios if m.inegi == inegi), None)


Percentage = Annotated[Decimal, Field(gt=0, le=100, description="Porcentaje entre 0 (exclusivo) y 100.")]


class PublishedQuotas(Strict):
    """The required support the OPLE approved by acuerdo: it is what documents, progress and the verdict use."""

    acuerdo: NonEmpty = Field(description="Acuerdo del Consejo General que aprobó las cifras, p. ej. IEPC/CG150/2021.")
    approved_on: date | None = Field(default=None, description="Fecha de aprobación del acuerdo.")
    required: dict[str, Int] = Field(
        default_factory=dict,
        description="Apoyo requerido publicado por demarcación: la clave INEGI de la entidad (p. ej. «10») para un "
        "cargo estatal, la del municipio (p. ej. «10005») o el id del distrito.",
    )
    dispersion_minimums: dict[str, Int] = Field(
        default_factory=dict,
        description="Mínimo publicado de apoyo en cada unidad de dispersión (clave INEGI del municipio o id del "
        "distrito).",
    )
    tolerance_percentage: Decimal = Field(
        Decimal(1),
        ge=0,
        le=100,
        description="Diferencia, en % de la cifra publicada, a partir de la cual la validación avisa que la cifra "
        "calculada con los datos del archivo no coincide.",
    )


class Threshold(Strict):
    percentage: Percentage
    base: Base = Field(default=Base.lista_nominal, description="lista_nominal o padron, al corte.")
    rounding: Rounding = Field(
        default=Rounding.up, description="Redondeo: up (hacia arriba, por omisión), nearest (al más cercano) o down."
    )
    published: PublishedQuotas | None = Field(
        default=None, description="Cifras publicadas por acuerdo; prevalecen sobre las calculadas."
    )

    def required(self, base_count: int) -> int:
        return share(self.percentage, base_count, self.rounding)


class LegacyAssumed(Strict):
    """A mapping that used to take ``assumed: true``: still accepted, as ``unconfirmed: true``."""

    model_config = ConfigDict(json_schema_extra=legacy_assumed_schema)

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        return legacy_assumed(data)

    @property
    def assumed(self) -> bool:
        """Unconfirmed, wholly or in part (``assumed: true`` is the older spelling of ``unconfirmed``)."""
        return self.is_unconfirmed()


class Dispersion(LegacyAssumed):
    unit: DispersionUnit = Field(description="Unidad territorial: municipio, distrito o seccion.")
    min_units: OptInt = Field(default=None, ge=1, description="Número mínimo de unidades.")
    min_fraction: Decimal | None = Field(
        default=None, gt=0, le=1, description="Fracción mínima de las unidades (0.5 = la mitad)."
    )
    min_percentage: Percentage = Field(description="Porcentaje mínimo de apoyo en cada unidad.")
    rounding: Rounding = Field(default=Rounding.up, description="Redondeo del mínimo de cada unidad.")

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
        return share(self.min_percentage, base_count, self.rounding)


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
    local_time: LocalTime | None = Field(
        default=None,
        description="Hora en que se leen start y end: «demarcacion» (por omisión: la zona de cada demarcación si la "
        "fase solo aplica a cargos municipales o distritales, si no la del proceso), «proceso» (siempre la del "
        "proceso) o «municipio» (la hora local de cada municipio, también en una fase estatal).",
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
        """The start read on the wall clock of ``tz``; ``Calendar.phase_start`` takes the phase's zones into account."""
        return start_instant(self.start, tz)

    def end_utc(self, tz: ZoneInfo) -> datetime:
        return end_instant(self.end, tz)

    def applies_to(self, cargo: str | None = None, group: int | None = None) -> bool:
        return (not self.cargos or cargo is None or cargo in self.cargos) and (
            not self.groups or group is None or group in self.groups
        )


class ReviewRules(LegacyAssumed):
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

    def demarcacion_zone(self, cargo: Cargo, demarcacion_id: str) -> ZoneInfo:
        """The wall clock of a demarcación: its own zone if the calendar gives one, else the process's."""
        return ZoneInfo(demarcacion_zone_key(self.process.timezone, self.territory, cargo, demarcacion_id))

    def edge_zone(self, phase: Phase, cargo: Cargo, demarcacion_id: str) -> ZoneInfo:
        """The zone an aspirante's edges of ``phase`` are read in: their demarcación's when the phase is read per
        demarcación (or per municipio), else the process's."""
        if per_demarcacion(phase, {c.id: c for c in self.cargos}):
            return self.demarcacion_zone(cargo, demarcacion_id)
        return self.tz

    def phase_zones(self, phase: Phase) -> list[tuple[str, list[str]]]:
        """The zones ``phase``'s dates are read in, each with the demarcaciones on it (process zone first)."""
        return phase_zone_keys(phase, self.process.timezone, self.territory, {c.id: c for c in self.cargos})

    def phase_start(self, phase: Phase) -> datetime:
        """The phase's first start instant over its zones (UTC)."""
        return min(start_instant(phase.start, ZoneInfo(z)) for z, _ in self.phase_zones(phase))

    def phase_end(self, phase: Phase) -> datetime:
        """The phase's last end instant over its zones (UTC): once passed, it is closed everywhere."""
        return max(end_instant(phase.end, ZoneInfo(z)) for z, _ in self.phase_zones(phase))

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


def demarcacion_zone_key(process_zone: str, territory: Territory, cargo: Cargo, demarcacion_id: str) -> str:
    if cargo.demarcacion is Demarcacion.municipio:
        units: list[Municipio] | list[District] = territory.municipios
        key = "inegi"
    elif cargo.demarcacion is Demarcacion.distrito:
        units, key = territory.districts, "id"
    else:
        return process_zone
    own = next((u.timezone for u in units if getattr(u, key) == demarcacion_id), None)
    return own or process_zone


def per_demarcacion(phase: Phase, cargos: dict[str, Cargo]) -> bool:
    """Are ``phase``'s dates read on each demarcación's (or municipio's) own clock? A phase for municipal or district
    cargos only is, unless it says ``local_time: proceso``; a state-wide one only with ``local_time: municipio``."""
    if phase.local_time is LocalTime.municipio:
        return True
    if phase.local_time is LocalTime.proceso or not phase.cargos:
        return False
    known = [cargos[c] for c in phase.cargos if c in cargos]
    return bool(known) and all(c.demarcacion is not Demarcacion.estado for c in known)


def phase_zone_keys(
    phase: Phase, process_zone: str, territory: Territory | None, cargos: dict[str, Cargo]
) -> list[tuple[str, list[str]]]:
    """The IANA zones ``phase``'s dates are read in, each with the names of the demarcaciones on it; the process's
    zone first. One zone, the process's, unless some demarcación the phase applies to keeps its own."""
    if territory is None or not per_demarcacion(phase, cargos):
        return [(process_zone, [])]
    names: dict[str, list[str]] = {}
    kinds = {cargos[c].demarcacion for c in phase.cargos if c in cargos}
    if phase.local_time is LocalTime.municipio or Demarcacion.municipio in kinds or Demarcacion.estado in kinds:
        for m in territory.municipios:
            if not phase.groups or m.group in phase.groups:
                names.setdefault(m.timezone or process_zone, []).append(m.name)
    if Demarcacion.distrito in kinds and phase.local_time is not LocalTime.municipio:
        for d in territory.districts:
            names.setdefault(d.timezone or process_zone, []).append(d.name)
    if not names or set(names) == {process_zone}:
        return [(process_zone, [])]
    ordered = sorted(names.items(), key=lambda kv: kv[0] != process_zone)
    return [(zone, members if zone != process_zone or len(names) > 1 else []) for zone, members in ordered]
