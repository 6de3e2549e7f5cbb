"""Required support ⌈percentage × base ÷ 100⌉ per demarcación, and the dispersion minimums."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from workflow.calendar.model import Base, Calendar, Cargo, Dispersion, DispersionUnit, Threshold
from workflow.calendar.quotas import Quota, quotas, state_unit, sub_units


def by_name(rows: list[Quota], name: str) -> Quota:
    return next(q for q in rows if q.demarcacion.name == name)


# --- the arithmetic ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percentage", "base", "required"),
    [
        (1.5, 1_304_100, 19_562),  # Quintana Roo 2022: 19,561.5 → 19,562, the published figure
        ("1.5", 1_304_100, 19_562),
        (1, 1_000, 10),  # exact: not rounded up
        (1, 1_001, 11),  # 10.01 → 11
        (1, 496_699, 4_967),  # Durango municipio
        (1.1, 100_000, 1_100),  # exact in decimal; binary floats give 1,100.0000000000002 → 1,101
        (0.07, 10_000, 7),  # floats: 7.000000000000001 → 8
        (0.7, 100, 1),  # 0.7 → 1
        (3, 100, 3),
        (2, 0, 0),
        (100, 7, 7),
    ],
)
def test_required_support_rounds_up_exactly(percentage: object, base: int, required: int) -> None:
    threshold = Threshold.model_validate({"percentage": percentage})
    assert threshold.required(base) == required
    assert isinstance(threshold.required(base), int)


def test_float_arithmetic_would_get_it_wrong() -> None:
    # Why the threshold is a Decimal: the naive float formula rounds an exact 1,100 up to 1,101.
    assert math.ceil(1.1 * 100_000 / 100) == 1_101
    assert Threshold(percentage=Decimal("1.1")).required(100_000) == 1_100
    assert math.ceil(0.55 * 100) == 56
    assert (
        Dispersion.model_validate({"unit": "distrito", "min_fraction": 0.55, "min_percentage": 1}).units_needed(100)
        == 55
    )
    assert Threshold.model_validate({"percentage": 1.1}).percentage == Decimal("1.1")


@pytest.mark.parametrize(
    ("rule", "available", "needed"),
    [
        ({"min_fraction": 0.5}, 39, 20),  # half of 39 municipios
        ({"min_fraction": 0.5}, 40, 20),
        ({"min_fraction": 0.5}, 84, 42),  # Hidalgo 2022: half of 84
        ({"min_fraction": 0.55}, 100, 55),  # floats: 55.00000000000001 → 56
        ({"min_fraction": 0.7}, 10, 7),
        ({"min_fraction": 1}, 15, 15),
        ({"min_units": 20}, 39, 20),
        ({"min_units": 22}, 43, 22),  # Tamaulipas 2022
    ],
)
def test_dispersion_units_needed(rule: dict, available: int, needed: int) -> None:
    dispersion = Dispersion.model_validate({"unit": "municipio", "min_percentage": 1, **rule})
    assert dispersion.units_needed(available) == needed


def test_dispersion_per_unit_minimum_rounds_up() -> None:
    dispersion = Dispersion.model_validate({"unit": "municipio", "min_units": 20, "min_percentage": 1})
    assert dispersion.per_unit(496_699) == 4_967
    assert dispersion.per_unit(1_000) == 10
    assert dispersion.per_unit(1_894) == 19


# --- Durango: Lista Nominal, state and municipios ---------------------------------------------------------------


def test_durango_gubernatura(durango: Calendar) -> None:
    (q,) = quotas(durango, durango.cargo("gubernatura"))
    assert q.demarcacion.name == "Durango"
    assert q.base_count == 1_338_589  # sum of the 39 municipios' Lista Nominal
    # The published figure counts; the computed one (from the 2022 election's roll, not the legal cut) is beside it.
    assert (q.required, q.published, q.computed) == (13_079, 13_079, 13_386)
    assert q.acuerdo is not None and q.differs == 307
    d = q.dispersion
    assert d is not None
    assert (d.unit, d.available, d.needed, d.assumed) == (DispersionUnit.municipio, 39, 20, True)
    minimums = {m.unit.name: (m.base_count, m.minimum) for m in d.per_unit}
    assert len(minimums) == 39
    assert minimums["Durango"] == (496_699, 4_967)
    assert minimums["Gómez Palacio"] == (264_967, 2_650)
    assert minimums["San Luis del Cordero"] == (1_894, 19)


def test_durango_ayuntamientos(durango: Calendar) -> None:
    rows = quotas(durango, durango.cargo("ayuntamiento"))
    assert len(rows) == 39
    durango_city = by_name(rows, "Durango")
    assert (durango_city.demarcacion.id, durango_city.required, durango_city.computed) == ("10005", 4_821, 4_967)
    assert (by_name(rows, "Gómez Palacio").required, by_name(rows, "Gómez Palacio").computed) == (2_574, 2_650)
    assert by_name(rows, "Lerdo").published is None  # not published: the computed figure
    assert by_name(rows, "Lerdo").required == 1_124
    d = durango_city.dispersion
    assert d is not None
    assert (d.unit, d.available, d.needed) == (DispersionUnit.seccion, 333, 167)
    assert d.per_unit == []  # per-sección roll figures are not part of the calendar
    assert by_name(rows, "Canelas").dispersion.needed == 7  # half of 14


# --- the synthetic calendar: Padrón, districts ------------------------------------------------------------------


def test_synthetic_gubernatura_uses_the_state_padron(synthetic: Calendar) -> None:
    cargo = synthetic.cargo("gubernatura")
    assert cargo.threshold.base is Base.padron
    (q,) = quotas(synthetic, cargo)
    assert (q.demarcacion.name, q.base_count, q.required) == ("Quintana Roo", 1_304_100, 19_562)
    assert q.demarcacion.lista_nominal == 1_284_532  # not the base here
    d = q.dispersion
    assert d is not None
    assert (d.unit, d.available, d.needed) == (DispersionUnit.distrito, 15, 8)
    minimums = {m.unit.id: (m.base_count, m.minimum) for m in d.per_unit}
    assert minimums["01"] == (40_745, 612)  # 1.5 % of the district's Padrón
    assert minimums["09"] == (106_240, 1_594)


def test_synthetic_diputaciones_by_district(synthetic: Calendar) -> None:
    rows = quotas(synthetic, synthetic.cargo("diputacion"))
    assert [q.demarcacion.id for q in rows] == [f"{n:02d}" for n in range(1, 16)]
    first = rows[0]
    assert (first.base_count, first.required) == (40_745, 815)  # 2 % of 40,745 = 814.9
    assert rows[1].required == 1_891  # 2 % of 94,512 = 1,890.24
    assert first.dispersion is not None
    assert (first.dispersion.unit, first.dispersion.available, first.dispersion.needed) == (
        DispersionUnit.seccion,
        47,
        24,
    )
    assert sum(q.base_count for q in rows) == 1_304_100


def test_state_padron_explicit_wins_then_sum_then_none(synthetic: Calendar) -> None:
    t = synthetic.territory
    explicit = synthetic.model_copy(update={"territory": t.model_copy(update={"padron": 1_000_000})})
    assert state_unit(explicit).padron == 1_000_000
    summed = synthetic.model_copy(update={"territory": t.model_copy(update={"padron": None})})
    assert state_unit(summed).padron == sum(m.padron for m in t.municipios) == 1_304_100
    lacking = [t.municipios[0].model_copy(update={"padron": None}), *t.municipios[1:]]
    missing = synthetic.model_copy(update={"territory": t.model_copy(update={"padron": None, "municipios": lacking})})
    assert state_unit(missing).padron is None
    (q,) = quotas(missing, synthetic.cargo("gubernatura"))
    assert (q.base_count, q.required) == (None, None)


def test_district_cargo_dispersed_by_municipio(synthetic: Calendar) -> None:
    cargo = Cargo.model_validate(
        {
            "id": "diputacion",
            "name": "Diputación",
            "demarcacion": "distrito",
            "threshold": {"percentage": 2, "base": "padron"},
            "dispersion": {"unit": "municipio", "min_units": 1, "min_percentage": 1},
        }
    )
    rows = {q.demarcacion.id: q for q in quotas(synthetic, cargo)}
    assert [m.unit.name for m in rows["13"].dispersion.per_unit] == ["Felipe Carrillo Puerto", "José María Morelos"]
    assert [m.minimum for m in rows["13"].dispersion.per_unit] == [564, 272]
    assert rows["13"].dispersion.available == 2
    assert rows["03"].dispersion.available == 0
    district = rows["01"].demarcacion
    assert {u.name for u in sub_units(synthetic, cargo, district, DispersionUnit.municipio)} == {
        "Isla Mujeres",
        "Lázaro Cárdenas",
    }
    assert sub_units(synthetic, cargo, district, DispersionUnit.seccion) == 47
