"""The registral rules on a small roll and hand-made apoyos: every status, in the documented order, and the
verdict against the quota and dispersion rule."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from verification.registral import APOYOS_SCHEMA, Status, classify
from verification.service import _districts
from verification.verdict import verdicts
from workflow.calendar.model import Calendar, Territory
from workflow.storage.keys import Keyring

KEYS = Keyring(os.urandom(32))
L = KEYS.lookup
T0 = datetime(2022, 1, 10, 12, tzinfo=UTC)

# clave, ocr, cic, entidad, municipio (INEGI), sección, estatus, causa
ROLL = [
    ("VALIDO", "o1", "c1", "10", "10005", 100, "lista_nominal", None),
    ("OTRAMUN", "o2", None, "10", "10007", 300, "lista_nominal", None),
    ("BAJA", "o3", "c3", "10", "10005", 101, "baja", "defuncion"),
    ("PADRON", "o4", "c4", "10", "10005", 102, "padron_no_lista", None),
    ("FORANEO", "o5", "c5", "05", None, 7, "lista_nominal", None),
    ("COMPARTIDO", "o6", "c6", "10", "10005", 103, "lista_nominal", None),
]


@pytest.fixture
def roll(tmp_path: Path) -> str:
    cols = list(zip(*ROLL, strict=True))
    table = pa.table(
        {
            "clave_lookup": [L(v) for v in cols[0]],
            "ocr_lookup": [L(v) for v in cols[1]],
            "cic_lookup": [L(v) if v else None for v in cols[2]],
            "entidad": cols[3],
            "municipio": cols[4],
            "municipio_ine": ["000"] * len(ROLL),
            "seccion": pa.array(cols[5], pa.int32()),
            "estatus": cols[6],
            "causa_baja": cols[7],
        }
    )
    path = tmp_path / "roll.parquet"
    pq.write_table(table, path)
    return str(path)


def apoyos(rows: list[tuple]) -> pa.Table:
    """rows: (capture_id, aspirante_id, cargo, demarcación, minutes after T0, clave, ocr, cic)."""
    return pa.table(
        {
            "capture_id": [r[0] for r in rows],
            "folio": [f"IEPC-{r[0]:08d}" for r in rows],
            "aspirante_id": [r[1] for r in rows],
            "cargo_id": [r[2] for r in rows],
            "demarcacion_id": [r[3] for r in rows],
            "received_at": [T0 + timedelta(minutes=r[4]) for r in rows],
            "clave_lookup": [L(r[5]) for r in rows],
            "ocr_lookup": [L(r[6]) for r in rows],
            "cic_lookup": [L(r[7]) if r[7] else None for r in rows],
        },
        schema=APOYOS_SCHEMA,
    )


def run(table: pa.Table, roll: str, scope: str = "estado") -> dict[int, dict]:
    out = classify(duckdb.connect(), table, roll, scope=scope, entity="10", cut_date="31 de agosto de 2021")
    return {r["capture_id"]: r for r in out.to_pylist()}


def test_every_status_in_order(roll: str) -> None:
    g = ("gubernatura", "10")
    got = run(
        apoyos(
            [
                (1, 1, *g, 0, "VALIDO", "o1", "c1"),
                (2, 1, *g, 1, "VALIDO", "o1", "c1"),  # the same citizen again for the same aspirante
                (3, 1, *g, 2, "NADIE", "o9", None),
                (4, 1, *g, 3, "VALIDO", "o1", "c-vieja"),  # CIC of an earlier credential
                (5, 1, *g, 4, "OTRAMUN", "o-vieja", None),  # no CIC in the roll: the OCR decides
                (6, 1, *g, 5, "BAJA", "o3", "c3"),
                (7, 1, *g, 6, "PADRON", "o4", "c4"),
                (8, 1, *g, 7, "FORANEO", "o5", "c5"),
                (9, 2, *g, 8, "COMPARTIDO", "o6", "c6"),  # aspirante 2 first…
                (10, 1, *g, 9, "COMPARTIDO", "o6", "c6"),  # …so aspirante 1's does not count
            ]
        ),
        roll,
    )
    assert {k: v["status"] for k, v in got.items()} == {
        1: Status.valido,
        2: Status.duplicado,
        3: Status.no_encontrado,
        4: Status.credencial_no_vigente,
        5: Status.credencial_no_vigente,
        6: Status.baja,
        7: Status.padron_no_lista,
        8: Status.fuera_de_ambito,
        9: Status.valido,
        10: Status.otro_aspirante,
    }
    assert got[2]["duplicates_folio"] == "IEPC-00000001"
    assert "folio IEPC-00000001" in got[2]["reason"]
    assert got[4]["reason"].endswith("su CIC no coincide con el del Padrón Electoral")
    assert got[5]["reason"].endswith("su OCR no coincide con el del Padrón Electoral")
    assert got[6]["causa_baja"] == "defuncion" and got[6]["reason"] == "Baja del Padrón Electoral por defunción"
    assert "31 de agosto de 2021" in got[3]["reason"]
    assert got[10]["first_capture_id"] == 9
    assert got[1]["municipio"] == "10005" and got[1]["seccion"] == 100
    assert got[3]["municipio"] is None


def test_first_valid_counts_not_first_attempt(roll: str) -> None:
    """A rejected first attempt (an old credential) does not make the later valid one a duplicate."""
    g = ("gubernatura", "10")
    got = run(apoyos([(1, 1, *g, 0, "VALIDO", "o1", "vieja"), (2, 1, *g, 5, "VALIDO", "o1", "c1")]), roll)
    assert got[1]["status"] == Status.credencial_no_vigente and got[2]["status"] == Status.valido


def test_first_presented_is_by_receipt_not_by_row(roll: str) -> None:
    g = ("gubernatura", "10")
    got = run(apoyos([(1, 1, *g, 30, "COMPARTIDO", "o6", "c6"), (2, 2, *g, 10, "COMPARTIDO", "o6", "c6")]), roll)
    assert got[1]["status"] == Status.otro_aspirante and got[2]["status"] == Status.valido


def test_cross_cargo_support_is_not_a_duplicate(roll: str) -> None:
    """A citizen may support one aspirante per cargo: runs are per cargo, so each is valid in its own."""
    gub = run(apoyos([(1, 1, "gubernatura", "10", 0, "VALIDO", "o1", "c1")]), roll)
    ayu = run(apoyos([(2, 3, "ayuntamiento", "10005", 5, "VALIDO", "o1", "c1")]), roll, scope="municipio")
    assert gub[1]["status"] == Status.valido and ayu[2]["status"] == Status.valido


def test_municipal_scope(roll: str) -> None:
    a = ("ayuntamiento", "10005")
    got = run(apoyos([(1, 3, *a, 0, "VALIDO", "o1", "c1"), (2, 3, *a, 1, "OTRAMUN", "o2", None)]), roll, "municipio")
    assert got[1]["status"] == Status.valido and got[2]["status"] == Status.fuera_de_ambito


def test_verdict_counts_quota_and_dispersion(roll: str, durango: Calendar) -> None:
    cargo = durango.cargo("ayuntamiento")
    a = ("ayuntamiento", "10005")
    table = apoyos([(1, 3, *a, 0, "VALIDO", "o1", "c1"), (2, 3, *a, 1, "BAJA", "o3", "c3")])
    con = duckdb.connect()
    results = classify(con, table, roll, scope="municipio", entity="10", cut_date="31 de agosto de 2021")
    results = results.append_column("flagged", pa.array([True, False]))
    (v,) = verdicts(con, durango, cargo, results, [{"id": 3, "name": "Aspirante", "demarcacion_id": "10005"}], roll)
    assert v.received == 2 and v.valid == 1 and v.flagged == 1
    assert v.counts[Status.baja] == 1 and v.causes == {"defuncion": 1}
    assert v.required == 4821 and v.missing == 4820 and not v.quota_met and not v.meets  # the published quota
    assert v.demarcacion_name == "Durango"
    assert v.by_municipio == [{"id": "10005", "name": "Durango", "received": 2, "valid": 1}]
    # Dispersion by sección, from the roll's Lista Nominal: secciones 100 and 103 (one voter each) need 1 apoyo.
    d = v.dispersion
    assert d is not None and d.unit == "seccion" and d.available == 2 and d.needed == 1
    assert d.reached == 1 and d.met
    assert [(u.id, u.valid, u.minimum, u.reached, u.short_by) for u in d.units] == [
        ("100", 1, 1, True, 0),
        ("103", 0, 1, False, 1),
    ]


def test_a_municipio_shared_by_districts_is_placed_by_its_secciones(roll: str) -> None:
    # Durango (10005) is split: secciones 100–101 in district 01, 102–103 in district 02; Gómez Palacio (10007) is
    # wholly in district 02 (by «district» on the municipio).
    territory = Territory.model_validate(
        {
            "municipios": [
                {"inegi": "10005", "name": "Durango"},
                {"inegi": "10007", "name": "Gómez Palacio", "district": "02"},
            ],
            "districts": [
                {"id": "01", "name": "Distrito 01", "municipios": ["10005"], "seccion_ranges": ["100-101"]},
                {"id": "02", "name": "Distrito 02", "municipios": ["10005"], "seccion_ranges": ["102", "103"]},
            ],
        }
    )
    assert territory.districts_of("10005") == ["01", "02"] and territory.districts_of("10007") == ["02"]
    assert [m.inegi for m in territory.municipios_of("02")] == ["10005", "10007"]
    table = _districts(SimpleNamespace(territory=territory))  # type: ignore[arg-type]
    assert sorted(table.to_pylist(), key=str) == sorted(
        [
            {"municipio": "10007", "seccion": None, "district": "02"},
            *({"municipio": None, "seccion": n, "district": "01"} for n in (100, 101)),
            *({"municipio": None, "seccion": n, "district": "02"} for n in (102, 103)),
        ],
        key=str,
    )
    d1, d2 = ("diputacion", "01"), ("diputacion", "02")
    rows = [
        (1, 3, *d1, 0, "VALIDO", "o1", "c1"),  # sección 100: district 01
        (2, 3, *d1, 1, "COMPARTIDO", "o6", "c6"),  # sección 103 of the same municipio: district 02, not 01
        (3, 4, *d2, 2, "COMPARTIDO", "o6", "c6"),
        (4, 4, *d2, 3, "OTRAMUN", "o2", None),  # Gómez Palacio, wholly in 02, by its municipio
    ]
    out = classify(
        duckdb.connect(), apoyos(rows), roll, scope="distrito", entity="10", cut_date="-", districts=table
    ).to_pylist()
    got = {r["capture_id"]: r["status"] for r in out}
    assert got == {1: Status.valido, 2: Status.fuera_de_ambito, 3: Status.valido, 4: Status.valido}
