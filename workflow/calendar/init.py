"""``convoca calendar init``: a new OPLE's calendar scaffolded from the shipped catalogue of entidades and
municipios, with every value the staff must still supply marked ``unconfirmed``, so that it validates from the
start and ``calendar validate --strict`` lists what is left to do."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parent / "catalogue"


@dataclass(frozen=True)
class Entidad:
    key: str
    name: str
    capital: str
    zone: str
    other_zones: tuple[str, ...]


@dataclass(frozen=True)
class CatalogueMunicipio:
    inegi: str
    name: str
    ine: str | None
    cabecera: str | None
    zone: str | None


class UnknownEntidad(ValueError):
    """An entidad the catalogue does not know, or whose municipios it does not carry."""


def _rows(name: str) -> list[dict[str, str]]:
    with (CATALOGUE / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def entidades() -> list[Entidad]:
    return [
        Entidad(r["clave_inegi"], r["entidad"], r["capital"], r["zona"], tuple(r["otras_zonas"].split()))
        for r in _rows("entidades.csv")
    ]


def municipios(entity_key: str) -> list[CatalogueMunicipio]:
    return [
        CatalogueMunicipio(
            r["clave_inegi"], r["municipio"], r["clave_ine"] or None, r["cabecera"] or None, r["zona"] or None
        )
        for r in _rows("municipios.csv")
        if r["clave_inegi"].startswith(entity_key)
    ]


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def find_entidad(query: str) -> Entidad:
    """By INEGI key («28», «5») or name, without accents or case («tamaulipas», «Estado de México» as «mexico»)."""
    q = _fold(query.strip())
    for e in entidades():
        if (q.isdigit() and int(q) == int(e.key)) or q in (_fold(e.name), _fold(e.name).split(" de ")[0]):
            return e
    options = ", ".join(f"{e.key} {e.name}" for e in entidades())
    raise UnknownEntidad(f"«{query}» no es una entidad del catálogo; use su clave INEGI o su nombre: {options}")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-")


def first_sunday_of_june(year: int) -> date:
    """Local ordinary elections are held on the first Sunday of June (LGIPE, art. 25)."""
    day = date(year, 6, 1)
    return day + timedelta(days=(6 - day.weekday()) % 7)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scaffold(query: str, election_year: int) -> str:
    """The YAML text of a new calendar for entidad ``query`` and the ordinary election of ``election_year``."""
    e = find_entidad(query)
    munis = municipios(e.key)
    if not munis:
        raise UnknownEntidad(
            f"el catálogo incluido no trae los municipios de {e.name}; copie un calendario existente y escriba los "
            "municipios con su clave INEGI (Marco Geoestadístico)"
        )
    y, p = election_year, election_year - 1
    pid = f"{slug(e.name)}-{p}-{y}"
    election = first_sunday_of_june(y)
    lines = [
        "# yaml-language-server: $schema=calendar.schema.json",
        "#",
        f"# Calendario de {e.name} generado por «convoca calendar init» a partir del catálogo incluido (claves INEGI,",
        "# capital y zona horaria). Todo lo que el OPLE debe aún fijar por acuerdo está marcado con «unconfirmed»;",
        "# las fechas son solo un punto de partida. Para ver lo pendiente:",
        f"#   convoca calendar validate --strict calendars/{pid}.yaml",
        "# Faltan también la Lista Nominal (o el Padrón) de cada municipio al corte, o el apoyo requerido publicado",
        "# (cargos[].threshold.published); mientras falten, el apoyo requerido no se calcula.",
    ]
    if e.other_zones:
        lines.append(
            f"# {e.name} tiene municipios en otra zona horaria ({', '.join(e.other_zones)}); los que el catálogo"
            " conoce ya la llevan en «timezone»: revise los demás."
        )
    lines += [
        "",
        "process:",
        f"  id: {pid}",
        f"  name: Proceso Electoral Local {p}-{y}",
        "  ople:",
        f"    name: {_q('Organismo Público Local Electoral de ' + e.name)}",
        "    acronym: OPLE",
        "    unconfirmed: [name, acronym]",
        f"  state: {_q(e.name)}",
        f'  entity_key: "{e.key}"',
        f"  timezone: {e.zone}",
        f"  start: {p}-09-01",
        f"  election_day: {election.isoformat()}",
        "  approving_acuerdo: Acuerdo del Consejo General que aprueba el calendario",
        f"  roll_cut_date: {p}-08-31",
        "  unconfirmed: [start, approving_acuerdo]",
        "",
        "territory:",
        "  municipios:",
    ]
    for m in munis:
        fields = [f'inegi: "{m.inegi}"', f"name: {_q(m.name)}"]
        if m.ine:
            fields.append(f'ine: "{m.ine}"')
        if m.cabecera:
            fields.append(f"cabecera: {_q(m.cabecera)}")
        if m.zone and m.zone != e.zone:
            fields.append(f"timezone: {m.zone}")
        lines.append("    - {" + ", ".join(fields) + "}")
    phases = [
        ("convocatoria", "Emisión y difusión de la convocatoria", "convocatoria", f"{p}-11-01", f"{p}-11-21", None),
        (
            "manifestacion-intencion",
            "Presentación de la manifestación de intención",
            "manifestacion_intencion",
            f"{p}-11-22",
            f"{p}-12-10",
            None,
        ),
        (
            "dictamen-aspirantes",
            "Resolución sobre la calidad de aspirante y expedición de constancias",
            "dictamen_aspirantes",
            f"{p}-12-15",
            f"{p}-12-15",
            None,
        ),
        (
            "captacion-gubernatura",
            "Captación del apoyo de la ciudadanía (Gubernatura)",
            "captacion_apoyo",
            f"{y}-01-02",
            f"{y}-02-10",
            "gubernatura",
        ),
        ("verificacion", "Verificación del apoyo de la ciudadanía", "verificacion", f"{y}-02-11", f"{y}-02-14", None),
        ("garantia-audiencia", "Garantía de audiencia", "garantia_audiencia", f"{y}-02-15", f"{y}-02-17", None),
        ("dictamen", "Dictamen y declaratoria", "dictamen", f"{y}-02-18", f"{y}-02-18", None),
        (
            "registro-candidaturas",
            "Registro de candidaturas independientes",
            "registro_candidaturas",
            f"{y}-03-01",
            f"{y}-03-07",
            None,
        ),
    ]
    lines += [
        "",
        "cargos:",
        "  - id: gubernatura",
        "    name: Gubernatura",
        "    demarcacion: estado",
        "    threshold: {percentage: 3, unconfirmed: [percentage]}",
        "",
        "phases:",
    ]
    for pid_, name, kind, start, end, cargo in phases:
        lines += [f"  - id: {pid_}", f"    name: {name}", f"    kind: {kind}"]
        if cargo:
            lines.append(f"    cargos: [{cargo}]")
        lines += [f"    start: {start}", f"    end: {end}", "    unconfirmed: [start, end]", ""]
    lines += [
        "  - id: jornada-electoral",
        "    name: Jornada electoral",
        "    kind: jornada_electoral",
        f"    start: {election.isoformat()}",
        f"    end: {election.isoformat()}",
        "",
        "documents:",
        f"  city: {_q(e.capital + ', ' + e.name)}",
    ]
    return "\n".join(lines) + "\n"
