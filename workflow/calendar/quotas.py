"""Required citizen support per demarcación and the dispersion minimums, from a cargo's threshold rule.

A figure the OPLE published by acuerdo (``threshold.published``) is the one that counts everywhere: ``required`` and
``minimum`` are it when there is one; ``computed`` is what the calendar's roll figures give, shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Base, Calendar, Cargo, Demarcacion, DispersionUnit, District, Municipio


@dataclass(frozen=True)
class Unit:
    """A territorial unit with its roll figures at the cut (a state, district or municipio)."""

    id: str
    name: str
    lista_nominal: int | None
    padron: int | None
    secciones: int | None

    def base(self, base: Base) -> int | None:
        return self.lista_nominal if base is Base.lista_nominal else self.padron


@dataclass(frozen=True)
class UnitMinimum:
    unit: Unit
    base_count: int | None
    minimum: int | None  # the one that counts: published, else computed; None for secciones (no roll figures)
    computed: int | None = None
    published: int | None = None


@dataclass(frozen=True)
class DispersionQuota:
    unit: DispersionUnit
    available: int
    needed: int
    min_percentage: object
    per_unit: list[UnitMinimum]
    assumed: bool


@dataclass(frozen=True)
class Quota:
    demarcacion: Unit
    base_count: int | None
    required: int | None  # the one that counts: the published figure, else the computed one
    dispersion: DispersionQuota | None
    computed: int | None = None  # from the calendar's figures and the rule
    published: int | None = None
    acuerdo: str | None = None  # that approved ``published``

    @property
    def differs(self) -> int | None:
        """Computed minus published, when both exist."""
        if self.computed is None or self.published is None:
            return None
        return self.computed - self.published


def _total(values: list[int | None]) -> int | None:
    """The sum of ``values``, or None if any of them is unknown."""
    known = [v for v in values if v is not None]
    return sum(known) if len(known) == len(values) else None


def state_unit(cal: Calendar) -> Unit:
    t = cal.territory
    ln = t.lista_nominal if t.lista_nominal is not None else _total([m.lista_nominal for m in t.municipios])
    padron = t.padron if t.padron is not None else _total([m.padron for m in t.municipios])
    secciones = _total([m.secciones for m in t.municipios])
    return Unit(cal.process.entity_key, cal.process.state, ln, padron, secciones)


def _municipio_unit(m: Municipio) -> Unit:
    return Unit(m.inegi, m.name, m.lista_nominal, m.padron, m.secciones)


def _district_unit(d: District) -> Unit:
    return Unit(d.id, d.name, d.lista_nominal, d.padron, d.seccion_count)


def demarcaciones(cal: Calendar, cargo: Cargo) -> list[Unit]:
    if cargo.demarcacion is Demarcacion.estado:
        return [state_unit(cal)]
    if cargo.demarcacion is Demarcacion.municipio:
        return [_municipio_unit(m) for m in cal.territory.municipios]
    return [Unit(d.id, d.name, d.lista_nominal, d.padron, d.secciones) for d in cal.territory.districts]


def sub_units(cal: Calendar, cargo: Cargo, demarcacion: Unit, unit: DispersionUnit) -> list[Unit] | int | None:
    """The dispersion units inside a demarcación: a list of units, or only a count for secciones."""
    t = cal.territory
    if unit is DispersionUnit.seccion:
        return demarcacion.secciones
    if cargo.demarcacion is Demarcacion.estado:
        if unit is DispersionUnit.municipio:
            return [_municipio_unit(m) for m in t.municipios]
        return [_district_unit(d) for d in t.districts]
    if cargo.demarcacion is Demarcacion.distrito and unit is DispersionUnit.municipio:
        return [_municipio_unit(m) for m in t.municipios_of(demarcacion.id)]
    return None  # a unit not finer than the demarcación; rejected by the checks


def quotas(cal: Calendar, cargo: Cargo) -> list[Quota]:
    result = []
    published = cargo.threshold.published
    required_by = published.required if published else {}
    minimum_by = published.dispersion_minimums if published else {}
    for dem in demarcaciones(cal, cargo):
        base_count = dem.base(cargo.threshold.base)
        computed = cargo.threshold.required(base_count) if base_count is not None else None
        official = required_by.get(dem.id)
        disp = None
        rule = cargo.dispersion
        if rule is not None:
            units = sub_units(cal, cargo, dem, rule.unit)
            if isinstance(units, list):
                per_unit = []
                for u in units:
                    b = u.base(cargo.threshold.base)
                    own = rule.per_unit(b) if b is not None else None
                    pub = minimum_by.get(u.id)
                    per_unit.append(UnitMinimum(u, b, pub if pub is not None else own, own, pub))
                available = len(units)
            else:
                per_unit, available = [], units or 0
            disp = DispersionQuota(
                rule.unit,
                available,
                rule.units_needed(available),
                rule.min_percentage,
                per_unit,
                rule.assumed,
            )
        result.append(
            Quota(
                dem,
                base_count,
                official if official is not None else computed,
                disp,
                computed,
                official,
                published.acuerdo if published is not None and official is not None else None,
            )
        )
    return result
