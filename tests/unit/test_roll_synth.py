"""The synthetic roll: totals that follow the calendar, every status and cause, realistic and unique claves de
elector, OCR and CIC, names with Ñ, accents and particles, and the same bytes for the same seed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from verification.roll import CAUSAS_BAJA, COLUMNS
from verification.synth_roll import _Claves, clave_letters, synthesize_roll
from workflow.calendar.model import Calendar
from workflow.errors import DomainError

SCALE = 0.01


def read_csv(path: Path) -> list[dict]:
    """Every column as text, as a loader must read it (leading zeros kept); empty fields as None."""
    options = pacsv.ConvertOptions(column_types=dict.fromkeys(COLUMNS, pa.string()), strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=options).to_pylist()


@pytest.fixture(scope="module")
def durango_roll(tmp_path_factory: pytest.TempPathFactory, durango: Calendar) -> tuple[Path, list[dict]]:
    path = tmp_path_factory.mktemp("synth") / "durango.csv"
    synthesize_roll(durango, path, seed=11, scale=SCALE)
    return path, read_csv(path)


def test_lista_nominal_per_municipio_and_seccion_follows_the_calendar(
    durango: Calendar, durango_roll: tuple[Path, list[dict]]
) -> None:
    _, rows = durango_roll
    ln = Counter(r["municipio"] for r in rows if r["estatus"] == "lista_nominal")
    assert ln == {m.ine: int(m.lista_nominal * SCALE + 0.5) for m in durango.territory.municipios}
    assert set(Counter(r["entidad"] for r in rows)) == {"10"}
    first = 1
    for m in durango.territory.municipios:  # contiguous ranges, in calendar order, numbered state-wide
        assert m.secciones is not None
        own = {int(r["seccion"]) for r in rows if r["municipio"] == m.ine}
        with_ln = {int(r["seccion"]) for r in rows if r["municipio"] == m.ine and r["estatus"] == "lista_nominal"}
        assert own <= set(range(first, first + m.secciones)), m.name
        if ln[m.ine] >= m.secciones:  # every sección has citizens when there are enough
            assert with_ln == set(range(first, first + m.secciones)), m.name
        first += m.secciones
    assert first - 1 == sum(m.secciones or 0 for m in durango.territory.municipios) == 1419
    per_seccion = Counter(int(r["seccion"]) for r in rows if r["municipio"] == "005")
    assert max(per_seccion.values()) > 2 * min(per_seccion.values())  # uneven


def test_padron_only_and_bajas_with_every_cause(durango_roll: tuple[Path, list[dict]]) -> None:
    _, rows = durango_roll
    estatus = Counter(r["estatus"] for r in rows)
    assert 0.02 <= estatus["padron_no_lista"] / estatus["lista_nominal"] <= 0.04
    assert 0.02 <= estatus["baja"] / estatus["lista_nominal"] <= 0.03
    assert set(estatus) == {"lista_nominal", "padron_no_lista", "baja"}
    causas = Counter(r["causa_baja"] for r in rows if r["estatus"] == "baja")
    assert set(causas) == set(CAUSAS_BAJA)
    assert causas.most_common(1)[0][0] == "defuncion"
    assert all(r["causa_baja"] is None for r in rows if r["estatus"] != "baja")


def test_every_cause_even_when_there_are_few_bajas(tmp_path: Path, durango: Calendar) -> None:
    path = tmp_path / "tiny.csv"
    summary = synthesize_roll(durango, path, seed=5, scale=0.002)
    assert summary.by_estatus["baja"] < 100
    assert all(n > 0 for n in summary.by_causa.values()), summary.by_causa
    assert Counter(r["causa_baja"] for r in read_csv(path) if r["causa_baja"]) == summary.by_causa


def test_claves_are_well_formed_unique_and_derived_from_the_person(
    durango: Calendar, durango_roll: tuple[Path, list[dict]]
) -> None:
    _, rows = durango_roll
    cut = durango.process.roll_cut_date
    pattern = re.compile(r"^[A-Z]{6}[0-9]{8}[HM][0-9]{3}$")
    states: Counter[str] = Counter()
    for r in rows:
        clave = r["clave_elector"]
        assert pattern.match(clave), clave
        letters = clave_letters(r["apellido_paterno"]) + clave_letters(r["apellido_materno"])
        assert clave[:6] == letters + clave_letters(r["nombre"]), r
        yy, mm, dd = int(clave[6:8]), int(clave[8:10]), int(clave[10:12])
        century = 1900 if yy > cut.year % 100 else 2000
        born = date(century + yy, mm, dd)  # a real date
        age = cut.year - born.year - ((cut.month, cut.day) < (born.month, born.day))
        assert 18 <= age <= 99, (clave, age)
        states[clave[12:14]] += 1
    assert len({r["clave_elector"] for r in rows}) == len(rows)
    assert states.most_common(1)[0][0] == "10" and 0.7 < states["10"] / len(rows) < 0.9
    assert states["87"] + states["88"] > 0
    assert set(states) <= {f"{i:02d}" for i in range(1, 33)} | {"87", "88"}
    sexes = Counter(r["clave_elector"][14] for r in rows)
    assert 0.4 < sexes["H"] / len(rows) < 0.6


def test_clave_letters_rule() -> None:
    assert clave_letters("GÓMEZ") == "GO"
    assert clave_letters("HERNÁNDEZ") == "HE"
    assert clave_letters("DE LA CRUZ") == "CU"  # particles left out
    assert clave_letters("DEL RÍO") == "RI"
    assert clave_letters("MUÑOZ") == "MU"
    assert clave_letters("ÑUÑEZ") == "XU"  # Ñ as X
    assert clave_letters("ÁNGEL") == "NA"
    assert clave_letters(None) == "XX"
    assert clave_letters("IAO") == "XI"


def test_colliding_claves_get_other_digits() -> None:
    claves = _Claves()
    base = np.array([7, 7, 7, 8], dtype=np.int64)
    first = claves.unique_digits(base, np.array([5, 5, 6, 999]))
    assert first.tolist() == [5, 6, 7, 999]  # the later duplicate moves up, and pushes the next one
    second = claves.unique_digits(np.array([7, 8], dtype=np.int64), np.array([5, 999]))
    assert second.tolist() == [8, 0]  # against earlier slices too, modulo 1000


def test_ocr_cic_and_names(durango_roll: tuple[Path, list[dict]]) -> None:
    _, rows = durango_roll
    for r in rows:
        assert re.fullmatch(r"[0-9]{13}", r["ocr"]) and int(r["ocr"][:4]) == int(r["seccion"]), r
        assert r["cic"] is None or re.fullmatch(r"[0-9]{9}", r["cic"]), r
        assert re.fullmatch(r"[0-9]{3}", r["municipio"])
    assert len({r["ocr"][4:] for r in rows}) == len(rows)  # citizen ids unique
    assert 0.04 < sum(r["cic"] is None for r in rows) / len(rows) < 0.12
    assert 0.01 < sum(r["apellido_materno"] is None for r in rows) / len(rows) < 0.035
    text = " ".join(f"{r['nombre']} {r['apellido_paterno']} {r['apellido_materno']}" for r in rows)
    for needle in ("Ñ", "Á", "É", "Í", "Ó", "Ú", "DE LA CRUZ", "DEL RÍO", "DE LOS SANTOS"):
        assert needle in text, needle


def test_same_seed_same_bytes_csv_and_parquet(tmp_path: Path, durango: Calendar) -> None:
    a, b, c = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    synthesize_roll(durango, a, seed=3, scale=SCALE)
    synthesize_roll(durango, b, seed=3, scale=SCALE)
    synthesize_roll(durango, c, seed=4, scale=SCALE)
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    synthesize_roll(durango, x, seed=3, scale=SCALE)
    synthesize_roll(durango, y, seed=3, scale=SCALE)
    assert x.read_bytes() == y.read_bytes()
    assert pq.read_table(a).to_pylist() == read_csv(x)  # one roll, two formats
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".tmp")] == []


def test_other_calendar_and_bad_requests(tmp_path: Path, synthetic: Calendar) -> None:
    out = tmp_path / "qroo.parquet"
    summary = synthesize_roll(synthetic, out, seed=1, scale=SCALE)
    rows = pq.read_table(out).to_pylist()
    assert summary.rows == len(rows)
    assert {r["entidad"] for r in rows} == {"23"}
    ln = Counter(r["municipio"] for r in rows if r["estatus"] == "lista_nominal")
    assert ln == {m.ine: int(m.lista_nominal * SCALE + 0.5) for m in synthetic.territory.municipios}
    with pytest.raises(DomainError, match=r"debe ser \.csv o \.parquet"):
        synthesize_roll(synthetic, tmp_path / "roll.xlsx", seed=1)
    with pytest.raises(DomainError, match="escala"):
        synthesize_roll(synthetic, tmp_path / "roll.csv", seed=1, scale=0)


def test_every_clave_goes_through_the_collision_check(
    tmp_path: Path, durango: Calendar, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Collisions are too rare at test scales to show up, so watch the check itself: every row's 3 digits are
    the ones it returned."""
    returned: list[np.ndarray] = []
    real = _Claves.unique_digits

    def spy(self: _Claves, base: np.ndarray, digits: np.ndarray) -> np.ndarray:
        returned.append(real(self, base, digits))
        return returned[-1]

    monkeypatch.setattr(_Claves, "unique_digits", spy)
    path = tmp_path / "roll.csv"
    synthesize_roll(durango, path, seed=2, scale=SCALE)
    digits = [int(r["clave_elector"][15:]) for r in read_csv(path)]
    assert digits == np.concatenate(returned).tolist()
