"""What the convocatoria and the protocolo must state that only the OPLE can supply: one list, read by the documents
(each missing item prints «[PROYECTO: falta …]» where it goes and makes the document a PROYECTO) and by
``calendar validate --strict`` (each missing item is one line, at the calendar's ``documents`` section)."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Calendar, PhaseKind
from .source import Path

CONV, PROT, BOTH = ("convocatoria",), ("protocolo",), ("convocatoria", "protocolo")
# (key of ``documents``, what it is in words, the documents that state it). Never invented when missing.
REQUIRED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("convocatoria_acuerdo", "número, sesión y fecha del acuerdo que aprueba la convocatoria", CONV),
    (
        "legal_articles",
        "fundamento local por artículo (constitución y ley electoral del estado, lineamientos del INE, acuerdo "
        "del corte de la Lista Nominal)",
        BOTH,
    ),
    ("minimum_ages", "edad mínima de cada cargo", CONV),
    ("separation_posts", "cargos públicos que exigen separación", CONV),
    ("separation_term", "plazo de la separación del cargo", CONV),
    ("correction_term", "plazo para subsanar omisiones de la manifestación de intención", CONV),
    ("constancia_date", "fecha de expedición de la constancia de aspirante", CONV),
    ("spending_limits", "tope de gastos para la obtención del apoyo de cada cargo", CONV),
    ("spending_limits_acuerdo", "acuerdo que fija los topes de gastos", CONV),
    ("report_deadline", "plazo para presentar el informe de ingresos y egresos", CONV),
    ("official_gazette", "nombre del periódico oficial del estado", CONV),
    ("ine_lineamientos", "acuerdo del INE con los lineamientos que aplica este protocolo", PROT),
    ("training", "fechas, sedes o modalidad de la capacitación", PROT),
    ("portal_url", "dirección del portal de las personas aspirantes", PROT),
    ("device_requirements", "requisitos de los dispositivos móviles", PROT),
    ("support_contact", "teléfono, correo y horario de la mesa de ayuda", PROT),
    ("privacy_legal_basis", "fundamento del tratamiento de datos personales", BOTH),
    ("privacy_contact", "domicilio y correo de la unidad de transparencia", BOTH),
    ("privacy_retention", "plazo de conservación de los datos personales", BOTH),
)
PER_CARGO = ("minimum_ages", "spending_limits")  # keyed by cargo id: missing for any cargo is missing
ADDRESS_LABEL = "domicilio del organismo"  # process.ople.address: the responsable of the personal data


def placeholder(label: str) -> str:
    """What a document prints where a required value is missing."""
    return f"[PROYECTO: falta {label}]"


@dataclass(frozen=True)
class Gap:
    """One required item the calendar lacks."""

    path: Path  # where it goes in the file
    field: str  # dotted, as people write it: ``documents.official_gazette``
    label: str
    kinds: tuple[str, ...]  # the documents that print its placeholder
    cargos: tuple[str, ...] = ()  # for a per-cargo item: the cargos that lack it
    note: str = ""

    @property
    def reason(self) -> str:
        """The PROYECTO reason a document lists."""
        return f"falta en el calendario ({self.field}): {self.label}{self.note}"

    @property
    def strict_message(self) -> str:
        """The line of ``calendar validate --strict``."""
        docs = " y ".join(f"el {k}" if k == "protocolo" else f"la {k}" for k in self.kinds)
        which = f" para {', '.join(self.cargos)}" if self.cargos else ""
        prints = "imprimen" if len(self.kinds) > 1 else "imprime"
        return f"falta {self.field}{which}: {docs} {prints} «{placeholder(self.label)}» en su lugar (PROYECTO)"


def _lacking(cal: Calendar, key: str) -> tuple[str, ...] | None:
    """None if ``documents.<key>`` is given; else the cargos it lacks (empty for a key not per cargo)."""
    value = getattr(cal.documents, key)
    if key == "constancia_date" and any(p.kind is PhaseKind.dictamen_aspirantes for p in cal.phases):
        return None  # the phase dates it
    if key in PER_CARGO:
        lacking = tuple(c.id for c in cal.cargos if value is None or c.id not in value)
        return lacking or None
    return () if value is None else None


def gaps(cal: Calendar) -> list[Gap]:
    """Every required item ``cal`` lacks, in the order of ``REQUIRED`` (the OPLE's address last)."""
    out = []
    for key, label, kinds in REQUIRED:
        lacking = _lacking(cal, key)
        if lacking is not None:
            out.append(Gap(("documents", key), f"documents.{key}", label, kinds, lacking))
    if not cal.process.ople.address:
        out.append(
            Gap(
                ("process", "ople", "address"),
                "process.ople.address",
                ADDRESS_LABEL,
                BOTH,
                note=", responsable de los datos",
            )
        )
    return out
