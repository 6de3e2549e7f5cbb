"""Rules that span several parts of a calendar: references, uniqueness, feasibility and the order of phases.

They run on whatever pieces validated on their own, so one broken phase does not hide the problems of the others,
and a broken cargo or group is not reported again wherever it is named. Each finding is ``(path, message)``; the
loader turns the path into a line and column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .localtime import LocalTimeError, day_start_utc, end_instant, start_instant
from .model import (
    Base,
    Cargo,
    Demarcacion,
    DispersionUnit,
    District,
    Group,
    Municipio,
    Phase,
    PhaseKind,
    Territory,
    phase_zone_keys,
)
from .source import Path

Finding = tuple[Path, str]

# The legal order of the independent-candidacy path; ``otra`` is free.
RANK = {
    PhaseKind.convocatoria: 0,
    PhaseKind.manifestacion_intencion: 1,
    PhaseKind.dictamen_aspirantes: 1.5,
    PhaseKind.captacion_apoyo: 2,
    PhaseKind.verificacion: 3,
    PhaseKind.verificacion_declaratoria: 3,
    PhaseKind.garantia_audiencia: 4,
    PhaseKind.dictamen: 5,
    PhaseKind.registro_candidaturas: 6,
    PhaseKind.campana: 7,
    PhaseKind.jornada_electoral: 8,
}
# Phases that may only start once the capture of support they concern has ended.
AFTER_CAPTURE = {
    PhaseKind.verificacion,
    PhaseKind.verificacion_declaratoria,
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
    """The pieces of a calendar that validated on their own, list items with their index in the file."""

    process: dict[str, Any] = field(default_factory=dict)  # the fields of «process» that are valid
    territory: Territory | None = None  # whole, for totals and feasibility: None if any municipio is broken
    groups: list[tuple[int, Group]] = field(default_factory=list)
    municipios: list[tuple[int, Municipio]] = field(default_factory=list)
    districts: list[tuple[int, District]] = field(default_factory=list)
    cargos: list[tuple[int, Cargo]] = field(default_factory=list)
    phases: list[tuple[int, Phase]] = field(default_factory=list)
    # Ids the file declares, in valid items or not; None when the list itself is missing or unreadable.
    cargo_ids: list[Any] | None = None
    group_ids: list[Any] | None = None
    district_ids: list[Any] | None = None


def _duplicates(items: Iterable[tuple[Path, object]], what: str, *, feminine: bool = False) -> Iterator[Finding]:
    items = list(items)
    counts = Counter(v for _, v in items)
    seen: set[object] = set()
    repeated = "repetida" if feminine else "repetido"
    for path, v in items:
        if counts[v] > 1 and v in seen:
            yield path, f"{what} «{v}» está {repeated}; no puede haber dos iguales, cambie uno de ellos"
        seen.add(v)


def check(parts: Parts) -> list[Finding]:
    findings: list[Finding] = []
    findings += _process(parts.process)
    findings += _territory(parts)
    findings += _cargos(parts)
    findings += _phases(parts)
    return findings


def _process(p: dict[str, Any]) -> Iterator[Finding]:
    start, election, cut = p.get("start"), p.get("election_day"), p.get("roll_cut_date")
    if start and election and election <= start:
        yield ("process", "election_day"), "la jornada electoral debe ser posterior al inicio del proceso"
    if cut and election and cut >= election:
        yield (
            ("process", "roll_cut_date"),
            "la fecha de corte de la Lista Nominal debe ser anterior a la jornada",
        )


def _territory(parts: Parts) -> Iterator[Finding]:
    muni = [(("territory", "municipios", i), m) for i, m in parts.municipios]
    yield from _duplicates((((*path, "inegi"), m.inegi) for path, m in muni), "la clave INEGI", feminine=True)
    yield from _duplicates(
        (((*path, "ine"), m.ine) for path, m in muni if m.ine is not None), "la clave INE", feminine=True
    )
    yield from _duplicates((((*path, "name"), m.name) for path, m in muni), "el municipio")
    yield from _duplicates(((("territory", "groups", i, "id"), g.id) for i, g in parts.groups), "el grupo")
    yield from _duplicates(((("territory", "districts", i, "id"), d.id) for i, d in parts.districts), "el distrito")
    entity = parts.process.get("entity_key")
    groups, districts = parts.group_ids, parts.district_ids
    for path, m in muni:
        if entity and not m.inegi.startswith(entity):
            yield (
                (*path, "inegi"),
                f"la clave INEGI {m.inegi} no corresponde a la entidad {entity}; debe empezar con «{entity}»",
            )
        if m.group is not None and groups is not None and m.group not in groups:
            yield (*path, "group"), _unknown("el grupo", m.group, groups, "territory.groups")
        if m.district is not None and districts is not None and m.district not in districts:
            yield (*path, "district"), _unknown("el distrito", m.district, districts, "territory.districts")
    yield from _district_map(parts)


def _district_map(parts: Parts) -> Iterator[Finding]:
    """Districts by municipios and secciones: known municipios, no municipio both whole in one district and listed by
    another, and no sección in two districts. (A shared municipio without its secciones is pending, not wrong.)"""
    known = {m.inegi: m for _, m in parts.municipios}
    owner: dict[int, str] = {}
    for i, d in parts.districts:
        here = ("territory", "districts", i)
        for j, key in enumerate(d.municipios):
            m = known.get(key)
            if m is None:
                yield (*here, "municipios", j), f"el municipio «{key}» no está en territory.municipios"
                continue
            if m.district is not None and m.district != d.id:
                yield (
                    (*here, "municipios", j),
                    f"el municipio {m.name} ({key}) dice pertenecer entero al distrito «{m.district}» (su clave "
                    f"«district»), pero el distrito «{d.id}» también lo incluye; quite «district» del municipio y "
                    "nombre el municipio en cada distrito que lo comparte, con sus seccion_ranges",
                )
        numbers = d.seccion_numbers()
        for j, r in enumerate(d.seccion_ranges):
            first, _, last = r.partition("-")
            if last and int(last) < int(first):
                yield (*here, "seccion_ranges", j), f"el rango de secciones «{r}» termina antes de empezar"
        for n in numbers:
            other = owner.setdefault(n, d.id)
            if other != d.id:
                yield (
                    (*here, "seccion_ranges"),
                    f"la sección {n} está en los distritos «{other}» y «{d.id}»; una sección pertenece a un solo "
                    "distrito",
                )
                break


def _unknown(what: str, value: object, known: list, where: str) -> str:
    options = ", ".join(str(k) for k in known) if known else "ninguno"
    return f"{what} «{value}» no está definido en {where} (definidos: {options})"


def _cargos(parts: Parts) -> Iterator[Finding]:
    yield from _duplicates(((("cargos", i, "id"), c.id) for i, c in parts.cargos), "el cargo")
    t = parts.territory
    for i, c in parts.cargos:
        here = ("cargos", i)
        if c.demarcacion is Demarcacion.distrito and parts.district_ids == []:
            yield (
                (*here, "demarcacion"),
                ("el cargo se elige por distrito, pero territory.districts está vacío; defina los distritos"),
            )
            continue
        rule = c.dispersion
        if rule is not None and rule.unit not in FINER[c.demarcacion]:
            yield (
                (*here, "dispersion", "unit"),
                (
                    f"la dispersión no puede medirse por {rule.unit.value} en un cargo de demarcación "
                    f"{c.demarcacion.value}: la unidad debe ser más pequeña que la demarcación; use "
                    + " o ".join(sorted(u.value for u in FINER[c.demarcacion]))
                ),
            )
            rule = None
        if t is None:
            continue
        # A threshold marked unconfirmed may lack figures: they are pending (validate --strict), not wrong.
        settled = not (c.is_unconfirmed("threshold") or c.threshold.is_unconfirmed())
        if c.threshold.base is Base.padron and settled:
            lacking = _lacking_padron(c, t, parts.process.get("entity_key"))
            if lacking:
                yield (
                    (*here, "threshold", "base"),
                    (
                        "la base «padron» requiere el Padrón de cada demarcación; falta en: "
                        + ", ".join(lacking[:5])
                        + (f" y {len(lacking) - 5} más" if len(lacking) > 5 else "")
                        + " (o publique su apoyo requerido en threshold.published.required)"
                    ),
                )
        if rule is not None:
            yield from _dispersion_feasible(i, c, t)
        yield from _published_keys(i, c, t, parts.process.get("entity_key"))


def _published_keys(i: int, c: Cargo, t: Territory, entity: str | None) -> Iterator[Finding]:
    """Published figures name demarcaciones and dispersion units the calendar defines."""
    published = c.threshold.published
    if published is None:
        return
    if c.demarcacion is Demarcacion.estado:
        demarcaciones = [entity] if entity else []
    elif c.demarcacion is Demarcacion.municipio:
        demarcaciones = [m.inegi for m in t.municipios]
    else:
        demarcaciones = [d.id for d in t.districts]
    here = ("cargos", i, "threshold", "published")
    for key in published.required:
        if key not in demarcaciones:
            shown = ", ".join(demarcaciones[:8]) + (" …" if len(demarcaciones) > 8 else "")
            yield (
                (*here, "required", key),
                f"«{key}» no es una demarcación del cargo «{c.id}» ({c.demarcacion.value}); use una de: {shown}",
            )
    if published.dispersion_minimums:
        rule = c.dispersion
        if rule is None or rule.unit is DispersionUnit.seccion:
            yield (
                (*here, "dispersion_minimums"),
                "los mínimos publicados de dispersión requieren una regla de dispersión por municipio o distrito",
            )
            return
        units = (
            [m.inegi for m in t.municipios] if rule.unit is DispersionUnit.municipio else [d.id for d in t.districts]
        )
        for key in published.dispersion_minimums:
            if key not in units:
                yield (
                    (*here, "dispersion_minimums", key),
                    f"«{key}» no es un {rule.unit.value} del calendario",
                )


def _lacking_padron(c: Cargo, t: Territory, entity: str | None) -> list[str]:
    """Demarcaciones whose Padrón the cargo needs: neither in the file nor replaced by a published figure."""
    published = c.threshold.published.required if c.threshold.published else {}
    if c.demarcacion is Demarcacion.estado:
        if t.padron is None and any(m.padron is None for m in t.municipios) and entity not in published:
            return ["territory.padron (o el de cada municipio)"]
        return []
    if c.demarcacion is Demarcacion.municipio:
        return [m.name for m in t.municipios if m.padron is None and m.inegi not in published]
    return [d.name for d in t.districts if d.padron is None and d.id not in published]


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
        counts = {f"el distrito {d.name}": len(t.municipios_of(d.id)) for d in t.districts}
    else:
        if any(d.seccion_count is None for d in t.districts):
            yield (
                ("cargos", i, "dispersion", "unit"),
                ("la dispersión por secciones requiere «secciones» en cada distrito"),
            )
            return
        counts = {f"el distrito {d.name}": d.seccion_count or 0 for d in t.districts}
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


def _fmt_end(moment: date | datetime) -> str:
    # A bare end date includes that whole day, as ``show`` prints it.
    return _fmt(moment) if isinstance(moment, datetime) else f"{moment.isoformat()} 24:00"


def _phases(parts: Parts) -> Iterator[Finding]:
    phases = parts.phases
    yield from _duplicates(((("phases", i, "id"), ph.id) for i, ph in phases), "la fase", feminine=True)
    cargo_ids, group_ids = parts.cargo_ids, parts.group_ids
    for i, ph in phases:
        for j, c in enumerate(ph.cargos):
            if cargo_ids and c not in cargo_ids:
                yield ("phases", i, "cargos", j), _unknown("el cargo", c, cargo_ids, "cargos")
        for j, g in enumerate(ph.groups):
            if group_ids is not None and g not in group_ids:
                yield ("phases", i, "groups", j), _unknown("el grupo", g, group_ids, "territory.groups")
    if "timezone" not in parts.process:
        return
    tz = ZoneInfo(parts.process["timezone"])
    cargos = {c.id: c for _, c in parts.cargos}
    # An edge that names no single instant (a clock change) is None here, so the other edge is still checked.
    spans: list[tuple[int, Phase, datetime | None, datetime | None]] = []
    for i, ph in phases:
        zones = [ZoneInfo(z) for z, _ in phase_zone_keys(ph, tz.key, parts.territory, cargos)]
        start_or_problem, end_or_problem = _instant(ph, "start", zones), _instant(ph, "end", zones)
        for edge, value in (("start", start_or_problem), ("end", end_or_problem)):
            if isinstance(value, str):
                yield ("phases", i, edge), value
        start = None if isinstance(start_or_problem, str) else start_or_problem
        end = None if isinstance(end_or_problem, str) else end_or_problem
        if start is not None and end is not None and end <= start:
            yield (
                ("phases", i, "end"),
                (
                    f"la fase «{ph.id}» termina ({_fmt(ph.end)}) antes de empezar ({_fmt(ph.start)}); "
                    "recuerde que una fecha final sin hora incluye todo ese día"
                ),
            )
            continue
        spans.append((i, ph, start, end))
    yield from _order(spans, parts.process.get("election_day"), tz)
    yield from _one_capture_window(phases)
    yield from _groups_need_municipal_cargos(phases, parts.cargos)


SCOPE = {Demarcacion.estado: "en todo el estado", Demarcacion.distrito: "por distrito"}


def _groups_need_municipal_cargos(
    phases: list[tuple[int, Phase]], cargos: list[tuple[int, Cargo]]
) -> Iterator[Finding]:
    """Municipal groups split the aspirantes of municipal cargos only: an aspirante to Gubernatura (or a district)
    belongs to no group, so a captación limited by groups could never be theirs."""
    demarcaciones = {c.id: c.demarcacion for _, c in cargos}
    for i, ph in phases:
        if ph.kind is not PhaseKind.captacion_apoyo or not ph.groups:
            continue
        concerned = ph.cargos or list(demarcaciones)
        for cargo in concerned:
            demarcacion = demarcaciones.get(cargo)
            if demarcacion is not None and demarcacion is not Demarcacion.municipio:
                yield (
                    ("phases", i, "groups"),
                    (
                        f"la fase de captación «{ph.id}» se limita a grupos de municipios, pero el cargo «{cargo}» "
                        f"se elige {SCOPE[demarcacion]} y sus aspirantes no pertenecen a ningún grupo; quite "
                        "«groups» o limite «cargos» a los cargos municipales"
                    ),
                )


def _one_capture_window(phases: list[tuple[int, Phase]]) -> Iterator[Finding]:
    """Each aspirante has one capture window: two captación phases may not cover the same cargo and group."""
    capture = [(i, ph) for i, ph in phases if ph.kind is PhaseKind.captacion_apoyo]
    for n, (i, ph) in enumerate(capture):
        other = next((q for _, q in capture[:n] if _overlap(q, ph)), None)
        if other is not None:
            yield (
                ("phases", i, "id"),
                (
                    f"las fases de captación «{other.id}» y «{ph.id}» se aplican a los mismos cargos y grupos; cada "
                    "aspirante tiene un solo periodo: para ampliarlo, mueva el fin de «" + other.id + "»"
                ),
            )


def _instant(ph: Phase, edge: str, zones: list[ZoneInfo]) -> datetime | str:
    """The earliest start, or the latest end, over the zones the phase is read in; or what is wrong with it."""
    moment = getattr(ph, edge)
    try:
        if edge == "start":
            return min(start_instant(moment, tz) for tz in zones)
        return max(end_instant(moment, tz) for tz in zones)
    except LocalTimeError as exc:
        return str(exc)


def _order(spans: list, election_day: date | None, tz: ZoneInfo) -> Iterator[Finding]:
    for i, b, b_start, _b_end in spans:
        for _j, a, a_start, a_end in spans:
            if a is b or b_start is None or not _overlap(a, b) or a.kind not in RANK or b.kind not in RANK:
                continue
            if RANK[a.kind] < RANK[b.kind] and a_start is not None and b_start < a_start:
                yield (
                    ("phases", i, "start"),
                    (
                        f"orden imposible: la fase «{b.id}» ({b.kind.value}) empieza el {_fmt(b.start)}, antes que "
                        f"«{a.id}» ({a.kind.value}, {_fmt(a.start)}), que debe precederla"
                    ),
                )
                break
            if (
                a.kind is PhaseKind.captacion_apoyo
                and b.kind in AFTER_CAPTURE
                and a_end is not None
                and b_start < a_end
            ):
                yield (
                    ("phases", i, "start"),
                    (
                        f"orden imposible: la fase «{b.id}» ({b.kind.value}) empieza el {_fmt(b.start)}, antes de que "
                        f"termine la captación «{a.id}» ({_fmt_end(a.end)})"
                    ),
                )
                break
    if election_day is None:
        return
    election = day_start_utc(election_day, tz)
    election_end = day_start_utc(date.fromordinal(election_day.toordinal() + 1), tz)
    for i, ph, start, end in spans:
        if ph.kind is PhaseKind.jornada_electoral:
            if start is not None and end is not None and not (start <= election and end >= election_end):
                yield (
                    ("phases", i, "start" if start > election else "end"),  # the edge that misses the day
                    (
                        f"la fase «{ph.id}» debe abarcar todo el día de la jornada electoral "
                        f"({election_day.isoformat()}, process.election_day)"
                    ),
                )
        elif ph.kind is not PhaseKind.otra and end is not None and end > election:
            yield (
                ("phases", i, "end"),
                (
                    f"la fase «{ph.id}» ({ph.kind.value}) termina el {_fmt_end(ph.end)}, después de iniciada la "
                    f"jornada electoral del {election_day.isoformat()}; debe concluir antes"
                ),
            )
