"""Rules that span several parts of a calendar: references, uniqueness, feasibility and the order of phases.

They run on whatever pieces validated on their own, so one broken phase does not hide the problems of the others.
Each finding is ``(path, message)``; the loader turns the path into a line and column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .localtime import LocalTimeError, day_start_utc, end_instant, start_instant
from .model import Base, Cargo, Demarcacion, DispersionUnit, Phase, PhaseKind, Process, Territory
from .source import Path

Finding = tuple[Path, str]

# The legal order of the independent-candidacy path; ``otra`` is free.
RANK = {
    PhaseKind.convocatoria: 0,
    PhaseKind.manifestacion_intencion: 1,
    PhaseKind.captacion_apoyo: 2,
    PhaseKind.verificacion: 3,
    PhaseKind.garantia_audiencia: 4,
    PhaseKind.dictamen: 5,
    PhaseKind.registro_candidaturas: 6,
    PhaseKind.campana: 7,
    PhaseKind.jornada_electoral: 8,
}
# Phases that may only start once the capture of support they concern has ended.
AFTER_CAPTURE = {
    PhaseKind.verificacion,
    PhaseKind.dictamen,
    PhaseKind.registro_candidaturas,
    PhaseKind.campana,
    PhaseKind.jornada_electoral,
}
# Units that may measure dispersion inside each kind of demarcación.
FINER = {
    Demarcacion.estado: {DispersionUnit.municipio, DispersionUnit.distrito, DispersionUnit.seccion},
    Demarcacion.distrito: {DispersionUnit.municipio, DispersionUnit.seccion},
    Demarcacion.municipio: {DispersionUnit.seccion},
}
UNIT_PLURAL = {
    DispersionUnit.municipio: "municipios",
    DispersionUnit.distrito: "distritos",
    DispersionUnit.seccion: "secciones",
}


@dataclass
class Parts:
    """The pieces of a calendar that validated on their own, each with its index in the file."""

    process: Process | None = None
    territory: Territory | None = None
    cargos: list[tuple[int, Cargo]] = field(default_factory=list)
    phases: list[tuple[int, Phase]] = field(default_factory=list)


def _duplicates(items: Iterable[tuple[Path, object]], what: str) -> Iterator[Finding]:
    items = list(items)
    counts = Counter(v for _, v in items)
    seen: set[object] = set()
    for path, v in items:
        if counts[v] > 1 and v in seen:
            yield path, f"{what} «{v}» está repetido; cada uno debe ser único"
        seen.add(v)


def check(parts: Parts) -> list[Finding]:
    findings: list[Finding] = []
    findings += _process(parts.process)
    findings += _territory(parts.territory, parts.process)
    findings += _cargos(parts.cargos, parts.territory)
    findings += _phases(parts)
    return findings


def _process(p: Process | None) -> Iterator[Finding]:
    if p is None:
        return
    if p.election_day <= p.start:
        yield ("process", "election_day"), "la jornada electoral debe ser posterior al inicio del proceso"
    if p.roll_cut_date >= p.election_day:
        yield (
            ("process", "roll_cut_date"),
            "la fecha de corte de la Lista Nominal debe ser anterior a la jornada",
        )


def _territory(t: Territory | None, p: Process | None) -> Iterator[Finding]:
    if t is None:
        return
    muni = [(("territory", "municipios", i), m) for i, m in enumerate(t.municipios)]
    yield from _duplicates((((*path, "inegi"), m.inegi) for path, m in muni), "la clave INEGI")
    yield from _duplicates((((*path, "ine"), m.ine) for path, m in muni), "la clave INE")
    yield from _duplicates((((*path, "name"), m.name) for path, m in muni), "el municipio")
    groups = [g.id for g in t.groups]
    yield from _duplicates(((("territory", "groups", i, "id"), g) for i, g in enumerate(groups)), "el grupo")
    districts = [d.id for d in t.districts]
    yield from _duplicates(((("territory", "districts", i, "id"), d) for i, d in enumerate(districts)), "el distrito")
    for path, m in muni:
        if p is not None and not m.inegi.startswith(p.entity_key):
            yield (
                (*path, "inegi"),
                (
                    f"la clave INEGI {m.inegi} no corresponde a la entidad {p.entity_key}; "
                    f"debe empezar con «{p.entity_key}»"
                ),
            )
        if m.group is not None and m.group not in groups:
            yield (*path, "group"), _unknown("el grupo", m.group, groups, "territory.groups")
        if m.district is not None and m.district not in districts:
            yield (*path, "district"), _unknown("el distrito", m.district, districts, "territory.districts")


def _unknown(what: str, value: object, known: list, where: str) -> str:
    options = ", ".join(str(k) for k in known) if known else "ninguno"
    return f"{what} «{value}» no está definido en {where} (definidos: {options})"


def _cargos(cargos: list[tuple[int, Cargo]], t: Territory | None) -> Iterator[Finding]:
    yield from _duplicates(((("cargos", i, "id"), c.id) for i, c in cargos), "el cargo")
    if t is None:
        return
    for i, c in cargos:
        here = ("cargos", i)
        if c.demarcacion is Demarcacion.distrito and not t.districts:
            yield (
                (*here, "demarcacion"),
                ("el cargo se elige por distrito, pero territory.districts está vacío; defina los distritos"),
            )
            continue
        if c.threshold.base is Base.padron:
            lacking = _lacking_padron(c, t)
            if lacking:
                yield (
                    (*here, "threshold", "base"),
                    (
                        "la base «padron» requiere el Padrón de cada demarcación; falta en: "
                        + ", ".join(lacking[:5])
                        + (f" y {len(lacking) - 5} más" if len(lacking) > 5 else "")
                    ),
                )
        rule = c.dispersion
        if rule is None:
            continue
        if rule.unit not in FINER[c.demarcacion]:
            yield (
                (*here, "dispersion", "unit"),
                (
                    f"la dispersión por {rule.unit.value} no cabe en un cargo de demarcación {c.demarcacion.value}; "
                    f"use: {', '.join(sorted(u.value for u in FINER[c.demarcacion]))}"
                ),
            )
            continue
        yield from _dispersion_feasible(i, c, t)


def _lacking_padron(c: Cargo, t: Territory) -> list[str]:
    if c.demarcacion is Demarcacion.estado:
        if t.padron is None and any(m.padron is None for m in t.municipios):
            return ["territory.padron (o el de cada municipio)"]
        return []
    units = t.municipios if c.demarcacion is Demarcacion.municipio else t.districts
    return [u.name for u in units if u.padron is None]


def _dispersion_feasible(i: int, c: Cargo, t: Territory) -> Iterator[Finding]:
    rule = c.dispersion
    assert rule is not None
    plural = UNIT_PLURAL[rule.unit]
    if c.demarcacion is Demarcacion.estado:
        if rule.unit is DispersionUnit.seccion:
            if any(m.secciones is None for m in t.municipios):
                yield (
                    ("cargos", i, "dispersion", "unit"),
                    ("la dispersión por secciones requiere «secciones» en cada municipio"),
                )
                return
            counts = {"el estado": sum(m.secciones or 0 for m in t.municipios)}
        else:
            counts = {"el estado": len(t.municipios if rule.unit is DispersionUnit.municipio else t.districts)}
    elif c.demarcacion is Demarcacion.municipio:
        if any(m.secciones is None for m in t.municipios):
            yield (
                ("cargos", i, "dispersion", "unit"),
                ("la dispersión por secciones requiere «secciones» en cada municipio"),
            )
            return
        counts = {f"el municipio {m.name}": m.secciones or 0 for m in t.municipios}
    elif rule.unit is DispersionUnit.municipio:
        counts = {f"el distrito {d.name}": sum(1 for m in t.municipios if m.district == d.id) for d in t.districts}
    else:
        if any(d.secciones is None for d in t.districts):
            yield (
                ("cargos", i, "dispersion", "unit"),
                ("la dispersión por secciones requiere «secciones» en cada distrito"),
            )
            return
        counts = {f"el distrito {d.name}": d.secciones or 0 for d in t.districts}
    short = [(name, n) for name, n in counts.items() if rule.units_needed(n) > n or n == 0]
    if short:
        name, n = short[0]
        field_name = "min_units" if rule.min_units is not None else "min_fraction"
        others = f" (y {len(short) - 1} demarcaciones más)" if len(short) > 1 else ""
        yield (
            ("cargos", i, "dispersion", field_name),
            (
                f"la regla de dispersión no se puede cumplir: exige {rule.units_needed(n)} {plural}, "
                f"pero {name} tiene {n}{others}"
            ),
        )


def _overlap(a: Phase, b: Phase) -> bool:
    cargos = not a.cargos or not b.cargos or bool(set(a.cargos) & set(b.cargos))
    groups = not a.groups or not b.groups or bool(set(a.groups) & set(b.groups))
    return cargos and groups


def _fmt(moment: date | datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if isinstance(moment, datetime) else moment.isoformat()


def _phases(parts: Parts) -> Iterator[Finding]:
    phases = parts.phases
    yield from _duplicates(((("phases", i, "id"), ph.id) for i, ph in phases), "la fase")
    cargo_ids = [c.id for _, c in parts.cargos]
    group_ids = [g.id for g in parts.territory.groups] if parts.territory else None
    for i, ph in phases:
        for j, c in enumerate(ph.cargos):
            if parts.cargos and c not in cargo_ids:
                yield ("phases", i, "cargos", j), _unknown("el cargo", c, cargo_ids, "cargos")
        for j, g in enumerate(ph.groups):
            if group_ids is not None and g not in group_ids:
                yield ("phases", i, "groups", j), _unknown("el grupo", g, group_ids, "territory.groups")
    if parts.process is None:
        return
    tz = parts.process.tz
    spans: list[tuple[int, Phase, object, object]] = []
    for i, ph in phases:
        start, end = _instant(ph, "start", tz), _instant(ph, "end", tz)
        for edge, value in (("start", start), ("end", end)):
            if isinstance(value, str):
                yield ("phases", i, edge), value
        if isinstance(start, str) or isinstance(end, str):
            continue
        if end <= start:
            yield (
                ("phases", i, "end"),
                (
                    f"la fase «{ph.id}» termina ({_fmt(ph.end)}) antes de empezar ({_fmt(ph.start)}); "
                    "recuerde que una fecha final sin hora incluye todo ese día"
                ),
            )
            continue
        spans.append((i, ph, start, end))
    yield from _order(spans, parts.process, tz)


def _instant(ph: Phase, edge: str, tz: ZoneInfo) -> datetime | str:
    moment = getattr(ph, edge)
    try:
        return start_instant(moment, tz) if edge == "start" else end_instant(moment, tz)
    except LocalTimeError as exc:
        return str(exc)


def _order(spans: list, process: Process, tz: ZoneInfo) -> Iterator[Finding]:
    election = day_start_utc(process.election_day, tz)
    election_end = day_start_utc(date.fromordinal(process.election_day.toordinal() + 1), tz)
    for i, b, b_start, _b_end in spans:
        for _j, a, a_start, a_end in spans:
            if a is b or not _overlap(a, b) or a.kind not in RANK or b.kind not in RANK:
                continue
            if RANK[a.kind] < RANK[b.kind] and b_start < a_start:
                yield (
                    ("phases", i, "start"),
                    (
                        f"orden imposible: la fase «{b.id}» ({b.kind.value}) empieza el {_fmt(b.start)}, antes que "
                        f"«{a.id}» ({a.kind.value}, {_fmt(a.start)}), que debe precederla"
                    ),
                )
                break
            if a.kind is PhaseKind.captacion_apoyo and b.kind in AFTER_CAPTURE and b_start < a_end:
                yield (
                    ("phases", i, "start"),
                    (
                        f"orden imposible: la fase «{b.id}» ({b.kind.value}) empieza el {_fmt(b.start)}, antes de que "
                        f"termine la captación «{a.id}» ({_fmt(a.end)})"
                    ),
                )
                break
    for i, ph, start, end in spans:
        if ph.kind is PhaseKind.jornada_electoral:
            if not (start <= election and end >= election_end):
                yield (
                    ("phases", i, "start"),
                    (
                        f"la fase «{ph.id}» debe abarcar el día de la jornada electoral "
                        f"({process.election_day.isoformat()}, process.election_day)"
                    ),
                )
        elif ph.kind is not PhaseKind.otra and end > election:
            yield (
                ("phases", i, "end"),
                (
                    f"la fase «{ph.id}» ({ph.kind.value}) termina el {_fmt(ph.end)}, después de iniciada la jornada "
                    f"electoral del {process.election_day.isoformat()}; debe concluir antes"
                ),
            )
