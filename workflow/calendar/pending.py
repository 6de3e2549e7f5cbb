"""What a calendar does not yet state with an official source behind it: values marked ``unconfirmed``, required
support that cannot be computed (figures missing) and computed figures whose roll data is not the legal cut.

``calendar validate --strict`` lists them with their line; a document rendered while any remains is a PROYECTO and
is not published unless an administrator forces it. Published quotas that differ from the computed ones beyond
their tolerance are warnings, with both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from .model import Calendar, Demarcacion
from .quotas import quotas
from .source import Path
from .unconfirmed import collect


@dataclass(frozen=True)
class Pending:
    path: Path
    message: str  # Spanish, for people


def _n(value: int | Decimal) -> str:
    return format_decimal(value, locale="es_MX")


def figures_at_legal_cut(cal: Calendar) -> bool:
    """Are the calendar's roll figures those of the legal cut (``process.roll_cut_date``)?"""
    t = cal.territory
    if t.figures_cut_date is not None:
        return t.figures_cut_date == cal.process.roll_cut_date
    return t.figures_label is None


def pending(cal: Calendar) -> list[Pending]:
    out = [Pending(u.path, f"valor sin confirmar: {u.where} = {u.value}") for u in collect(cal)]
    legal_cut = figures_at_legal_cut(cal)
    out += _shared_municipios(cal)
    for i, cargo in enumerate(cal.cargos):
        rows = quotas(cal, cargo)
        path: Path = ("cargos", i, "threshold")
        missing = [q.demarcacion.name for q in rows if q.required is None]
        if missing:
            out.append(
                Pending(
                    path,
                    f"el apoyo requerido de «{cargo.id}» no se puede calcular en {len(missing)} demarcación(es) "
                    f"({', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}): falta su "
                    f"{'Lista Nominal' if cargo.threshold.base.value == 'lista_nominal' else 'Padrón'} y no hay cifra "
                    "publicada (threshold.published.required)",
                )
            )
        unknown = {u.unit.name for q in rows if q.dispersion for u in q.dispersion.per_unit if u.minimum is None}
        if unknown:
            out.append(
                Pending(
                    ("cargos", i, "dispersion"),
                    f"el mínimo de dispersión de «{cargo.id}» no se puede calcular en {len(unknown)} unidad(es) "
                    f"({', '.join(sorted(unknown)[:5])}{' …' if len(unknown) > 5 else ''}): falta su cifra y no hay "
                    "mínimo publicado (threshold.published.dispersion_minimums)",
                )
            )
        estimated = [q.demarcacion.name for q in rows if q.published is None and q.computed is not None]
        if estimated and not legal_cut:
            out.append(
                Pending(
                    path,
                    f"el apoyo requerido de «{cargo.id}» se calcula con cifras que no son del corte legal "
                    f"({cal.process.roll_cut_date.isoformat()}) en {len(estimated)} demarcación(es) sin cifra "
                    "publicada: es una estimación",
                )
            )
    return out


def _shared_municipios(cal: Calendar) -> list[Pending]:
    """A municipio in several districts needs, in each of them, the secciones that belong to it; until then its
    apoyos cannot be placed in a district."""
    out = []
    t = cal.territory
    for m in t.municipios:
        ids = t.districts_of(m.inegi)
        if len(ids) < 2:
            continue
        lacking = [d.id for d in t.districts if d.id in ids and not d.seccion_ranges]
        if lacking:
            i = next(i for i, d in enumerate(t.districts) if d.id == lacking[0])
            out.append(
                Pending(
                    ("territory", "districts", i, "municipios"),
                    f"el municipio {m.name} ({m.inegi}) está repartido entre los distritos {', '.join(ids)}, pero "
                    f"{'el distrito' if len(lacking) == 1 else 'los distritos'} {', '.join(lacking)} no "
                    "indica(n) sus secciones (seccion_ranges): sus apoyos no pueden asignarse a un distrito",
                )
            )
    return out


def draft_reasons(cal: Calendar) -> list[str]:
    """Why documents from this calendar are a PROYECTO (empty: they are not)."""
    return [p.message for p in pending(cal)]


def quota_warnings(cal: Calendar) -> list[Pending]:
    """Published quotas that differ from the computed ones by more than their stated tolerance."""
    out = []
    for i, cargo in enumerate(cal.cargos):
        published = cargo.threshold.published
        if published is None:
            continue
        for q in quotas(cal, cargo):
            if q.published is None or q.computed is None:
                continue
            diff = q.computed - q.published
            share = Decimal(abs(diff)) * 100 / q.published if q.published else Decimal(abs(diff))
            if share > published.tolerance_percentage:
                where = "el estado" if cargo.demarcacion is Demarcacion.estado else q.demarcacion.name
                out.append(
                    Pending(
                        ("cargos", i, "threshold", "published", "required", q.demarcacion.id),
                        f"aviso: el apoyo requerido publicado para {where} («{cargo.id}») es {_n(q.published)} "
                        f"({published.acuerdo}), pero con las cifras del archivo se calcula {_n(q.computed)} "
                        f"({'+' if diff > 0 else ''}{_n(diff)}, {_n(share.quantize(Decimal('0.01')))} %, más que la "
                        f"tolerancia de {_n(published.tolerance_percentage)} %); prevalece la cifra publicada",
                    )
                )
    return out
