"""Loading the roll: what is stored (keyed hashes only, no names), versions and idempotency, the cut date, a
national extract, every kind of bad row reported with its number and nothing stored, and the command line."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from convoca.cli import main
from convoca.settings import get_settings
from verification.roll import COLUMNS, MAX_REPORTED, RollStore
from verification.synth_roll import synthesize_roll
from workflow.calendar.model import Calendar
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.storage.db import Database
from workflow.storage.keys import Keyring

ROOT = Path(__file__).resolve().parents[2]
PROCESS = "durango-2021-2022"
CUT = date(2021, 8, 31)
NOW = datetime(2021, 9, 15, 12, tzinfo=UTC)
KEY = bytes(range(32))
STORED_SCHEMA = [
    ("clave_lookup", "VARCHAR"),
    ("ocr_lookup", "VARCHAR"),
    ("cic_lookup", "VARCHAR"),
    ("entidad", "VARCHAR"),
    ("municipio", "VARCHAR"),
    ("municipio_ine", "VARCHAR"),
    ("seccion", "INTEGER"),
    ("estatus", "VARCHAR"),
    ("causa_baja", "VARCHAR"),
]


@pytest.fixture(scope="module")
def synth_csv(tmp_path_factory: pytest.TempPathFactory, durango: Calendar) -> Path:
    path = tmp_path_factory.mktemp("rolls") / "lista-nominal.csv"
    synthesize_roll(durango, path, seed=21, scale=0.01)
    return path


def rows_of(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return [{k: v or None for k, v in r.items()} for r in csv.DictReader(f)]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)
    return path


@pytest.fixture
def store(tmp_path: Path, db: Database) -> RollStore:
    calendars = CalendarStore(db)
    calendars.seed(ROOT / "calendars", NOW)
    return RollStore(db, tmp_path / "var", Keyring(KEY), calendars)


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_url: str) -> Iterator[RollStore]:
    from workflow.storage.migrate import upgrade

    database = Database(sqlite_url)
    upgrade(database)
    calendars = CalendarStore(database)
    calendars.seed(ROOT / "calendars", NOW)
    yield RollStore(database, tmp_path / "var", Keyring(KEY), calendars)
    database.dispose()


def stored(store: RollStore, version) -> list[dict]:
    return duckdb.sql(f"SELECT * FROM read_parquet('{store.parquet_path(version)}')").to_arrow_table().to_pylist()


def roll_files(store: RollStore) -> list[Path]:
    folder = store.data_dir / "roll"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


# --- what is stored ----------------------------------------------------------------------------------------------


def test_load_stores_keyed_hashes_and_no_names(store: RollStore, synth_csv: Path, durango: Calendar) -> None:
    source = rows_of(synth_csv)
    version = store.load(synth_csv, PROCESS, CUT, NOW)
    assert (version.number, version.rows, version.cut_date) == (1, len(source), CUT)
    assert version.source_name == synth_csv.name
    assert version.source_sha256 == hashlib.sha256(synth_csv.read_bytes()).hexdigest()
    path = store.parquet_path(version)
    assert path.parent == store.data_dir / "roll" / PROCESS and not Path(version.stored_path).is_absolute()
    assert version.stored_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert store.warnings(version) == []

    described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
    assert [(c[0], c[1]) for c in described] == STORED_SCHEMA
    out = stored(store, version)
    assert len(out) == len(source)
    # Nothing in clear: no clave, OCR, CIC or name appears anywhere in the file.
    secrets = {r[c] for r in source for c in ("clave_elector", "ocr", "cic", "nombre", "apellido_paterno")} - {None}
    assert not secrets & {v for r in out for v in r.values()}
    raw = path.read_bytes()
    assert not any(s.encode() in raw for s in list(secrets)[:2000])
    # The hashes are the keyring's, row by row.
    keyring = Keyring(KEY)
    by_hash = {r["clave_lookup"]: r for r in out}
    for r in source:
        got = by_hash[keyring.lookup(r["clave_elector"])]
        assert got["ocr_lookup"] == keyring.lookup(r["ocr"])
        assert got["cic_lookup"] == (keyring.lookup(r["cic"]) if r["cic"] else None)
        assert (got["entidad"], got["municipio_ine"]) == (r["entidad"], r["municipio"])
        assert got["seccion"] == int(r["seccion"])
        assert (got["estatus"], got["causa_baja"]) == (r["estatus"], r["causa_baja"])
    inegi = {m.ine: m.inegi for m in durango.territory.municipios}
    assert all(r["municipio"] == inegi[r["municipio_ine"]] for r in out)
    assert inegi["017"] == "10039"  # Nuevo Ideal: the INE key is not the INEGI one
    assert [r["clave_lookup"] for r in out] == sorted(by_hash)  # sorted for join locality

    estatus = Counter(r["estatus"] for r in source)
    causas = Counter(r["causa_baja"] for r in source if r["causa_baja"])
    assert version.counts["estatus"] == dict(estatus)
    assert {k: n for k, n in version.counts["causa_baja"].items() if n} == dict(causas)
    assert len(causas) == 9


def test_versions_idempotency_and_cut_date(store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    first = store.load(synth_csv, PROCESS, CUT, NOW)
    files = roll_files(store)
    again = store.load(synth_csv, PROCESS, CUT, datetime(2021, 9, 16, tzinfo=UTC))
    assert again.id == first.id and again.number == 1
    assert roll_files(store) == files and len(store.versions(PROCESS)) == 1

    later = store.load(synth_csv, PROCESS, date(2021, 9, 30), NOW)  # same file, another cut: a new version
    assert later.number == 2 and store.current(PROCESS).id == later.id  # type: ignore[union-attr]
    assert store.warnings(later) == ["la fecha de corte 2021-09-30 no es la del calendario (2021-08-31)"]
    assert [v.number for v in store.versions(PROCESS)] == [1, 2]
    assert store.current("synthetic-quintana-roo-2022") is None


def test_a_killed_loads_leftovers_are_swept(sqlite_store: RollStore, synth_csv: Path) -> None:
    folder = sqlite_store.data_dir / "roll" / PROCESS
    old_spill, fresh_spill = folder / ".tmp-load-old", folder / ".tmp-load-fresh"
    for d in (old_spill, fresh_spill):
        d.mkdir(parents=True)
        (d / "duckdb_temp_block-0.block").write_text("GOMEJU85031210H300")
    old_parquet = folder / ".tmp-abc.parquet"
    old_parquet.write_text("half")
    two_days_ago = time.time() - 2 * 24 * 3600
    for p in (old_spill, old_parquet):
        os.utime(p, (two_days_ago, two_days_ago))
    sqlite_store.load(synth_csv, PROCESS, CUT, NOW)
    assert sorted(p.name for p in folder.glob(".tmp-*")) == [".tmp-load-fresh"]  # it may be another load's
    assert (folder.stat().st_mode & 0o777) == 0o700


def test_concurrent_loads(store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    """Loads of two files at once get their own numbers; on SQLite, whose writes take turns, two loads of one file
    at once record it once and leave one file."""
    other = write_csv(tmp_path / "otro.csv", rows_of(synth_csv)[:100])
    with ThreadPoolExecutor(2) as pool:
        got = list(pool.map(lambda p: store.load(p, PROCESS, CUT, NOW), [synth_csv, other]))
    assert sorted(v.number for v in got) == [1, 2]
    assert len(roll_files(store)) == 2
    if store.db.engine.dialect.name == "sqlite":
        later = date(2022, 1, 1)
        with ThreadPoolExecutor(2) as pool:
            same = list(pool.map(lambda _: store.load(synth_csv, PROCESS, later, NOW), range(2)))
        assert same[0].id == same[1].id and same[0].number == 3
        assert len(roll_files(store)) == 3 and store.parquet_path(same[0]).is_file()


def test_parquet_source_gives_the_same_roll(sqlite_store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    as_parquet = tmp_path / "lista-nominal.parquet"
    strings = pa.schema([(c, pa.string()) for c in COLUMNS])
    pq.write_table(pa.Table.from_pylist(rows_of(synth_csv), schema=strings), as_parquet)
    from_csv = sqlite_store.load(synth_csv, PROCESS, CUT, NOW)
    from_parquet = sqlite_store.load(as_parquet, PROCESS, CUT, NOW)
    assert from_parquet.number == 2 and from_parquet.source_name == "lista-nominal.parquet"
    assert stored(sqlite_store, from_parquet) == stored(sqlite_store, from_csv)
    assert from_parquet.counts == from_csv.counts


def test_national_extract_keeps_other_states_without_inegi_municipio(
    sqlite_store: RollStore, synth_csv: Path, tmp_path: Path
) -> None:
    rows = rows_of(synth_csv)[:50]
    rows[3] |= {"entidad": "05", "municipio": "017"}  # Coahuila: INE 017 is not Nuevo Ideal there
    rows[4] |= {"municipio": "099"}  # Durango has no municipio 099
    version = sqlite_store.load(write_csv(tmp_path / "nacional.csv", rows), PROCESS, CUT, NOW)
    by_hash = {r["clave_lookup"]: r for r in stored(sqlite_store, version)}
    lookup = Keyring(KEY).lookup
    other = by_hash[lookup(rows[3]["clave_elector"])]
    assert (other["entidad"], other["municipio"], other["municipio_ine"]) == ("05", None, "017")
    unknown = by_hash[lookup(rows[4]["clave_elector"])]
    assert (unknown["municipio"], unknown["municipio_ine"]) == (None, "099")
    assert by_hash[lookup(rows[5]["clave_elector"])]["municipio"] is not None
    assert version.counts["otras_entidades"] == 1
    assert sqlite_store.warnings(version) == [
        "claves INE de municipio de Durango que el calendario no tiene: 099 (1 filas); "
        "esas filas quedan sin municipio INEGI"
    ]


def test_file_variants_that_are_fine(sqlite_store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    """A BOM, Windows line ends, capitalised headers in another order, a quoted line break inside a name, and a
    Parquet file with typed columns all load; row numbers count records, not lines."""
    rows = rows_of(synth_csv)[:6]
    rows[2]["nombre"] = "ANA\nMARÍA"
    order = list(reversed(COLUMNS))

    def variant(rows: list[dict]) -> Path:
        lines = [",".join(c.upper() for c in order)]
        lines += [",".join(f'"{r[c]}"' if c == "nombre" else (r[c] or "") for c in order) for r in rows]
        path = tmp_path / "variante.csv"
        path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
        return path

    version = sqlite_store.load(variant(rows), PROCESS, CUT, NOW)
    assert version.rows == 6
    lookup = Keyring(KEY).lookup
    assert {r["clave_lookup"] for r in stored(sqlite_store, version)} == {lookup(r["clave_elector"]) for r in rows}
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(variant([*rows[:4], rows[4] | {"seccion": "0"}, rows[5]]), PROCESS, CUT, NOW)
    assert [d.message.split(":")[0] for d in caught.value.details] == ["fila 5"]  # on the file's 7th line

    typed = pa.table(
        {
            c.upper(): pa.array([int(r[c]) for r in rows]) if c == "seccion" else pa.array([r[c] for r in rows])
            for c in COLUMNS
        }
    )
    pq.write_table(typed, tmp_path / "tipado.parquet")
    assert sqlite_store.load(tmp_path / "tipado.parquet", PROCESS, CUT, NOW).rows == 6


# --- bad input ---------------------------------------------------------------------------------------------------

# Data row (1-based, header excluded) → what is wrong with it, and the words the error must say.
BAD: dict[int, tuple[dict, list[str]]] = {
    3: ({"clave_elector": "gomeju85031210h300"}, ["clave de elector «gomeju85031210h300» no tiene el formato"]),
    5: ({"clave_elector": None}, ["falta la clave de elector"]),
    6: ({"ocr": "12345"}, ["el OCR «12345» debe tener 13 dígitos"]),
    8: ({"ocr": "9999012345678"}, ["no empieza con la sección"]),
    9: ({"cic": "12AB"}, ["el CIC «12AB» debe tener 9 dígitos"]),
    11: ({"entidad": "33"}, ["la entidad «33» debe ser una clave de dos dígitos"]),
    12: ({"municipio": "5"}, ["el municipio «5» debe ser la clave INE de tres dígitos"]),
    13: ({"seccion": "0"}, ["la sección «0» debe ser un número entero de 1 a 9999"]),
    14: ({"seccion": "doce"}, ["la sección «doce»"]),
    15: ({"estatus": "activo"}, ["el estatus «activo» no es válido"]),
    16: ({"estatus": "baja", "causa_baja": None}, ["una baja debe indicar su causa de baja"]),
    17: ({"estatus": "baja", "causa_baja": "muerte"}, ["la causa de baja «muerte» no es válida"]),
    18: ({"estatus": "lista_nominal", "causa_baja": "defuncion"}, ["solo se indica cuando el estatus es baja"]),
    19: ({"nombre": None}, ["falta el nombre"]),
    20: ({"apellido_paterno": None, "apellido_materno": None}, ["faltan los dos apellidos"]),
    22: ({"ocr": "1", "estatus": None}, ["el OCR «1»", "falta el estatus"]),  # two problems, one row
}
DUPLICATE = 25  # repeats row 2's clave


def bad_rows(synth_csv: Path) -> list[dict]:
    rows = [r | {"estatus": "lista_nominal", "causa_baja": None} for r in rows_of(synth_csv)[:30]]
    for n, (change, _) in BAD.items():
        rows[n - 1] |= change
    rows[DUPLICATE - 1]["clave_elector"] = rows[1]["clave_elector"]
    return rows


def assert_reports_every_bad_row(exc: DomainError, name: str) -> None:
    assert exc.kind == ErrorKind.invalid
    assert exc.message == f"el padrón «{name}» tiene {len(BAD) + 1} filas con errores; no se cargó nada"
    by_row = {int(d.message.split(":")[0].removeprefix("fila ")): d.message for d in exc.details}
    assert sorted(by_row) == sorted([*BAD, DUPLICATE])
    for n, (_, words) in BAD.items():
        for w in words:
            assert w in by_row[n], (n, by_row[n])
    assert by_row[DUPLICATE] == f"fila {DUPLICATE}: la clave de elector se repite: ya aparece en la fila 2"


def test_every_bad_row_is_reported_with_its_number_and_nothing_is_stored(
    sqlite_store: RollStore, synth_csv: Path, tmp_path: Path
) -> None:
    rows = bad_rows(synth_csv)
    path = write_csv(tmp_path / "malo.csv", rows)
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(path, PROCESS, CUT, NOW)
    assert_reports_every_bad_row(caught.value, "malo.csv")
    as_parquet = tmp_path / "malo.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=pa.schema([(c, pa.string()) for c in COLUMNS])), as_parquet)
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(as_parquet, PROCESS, CUT, NOW)
    assert_reports_every_bad_row(caught.value, "malo.parquet")
    assert sqlite_store.versions(PROCESS) == [] and roll_files(sqlite_store) == []


def test_many_bad_rows_are_capped_with_the_total(sqlite_store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    rows = rows_of(synth_csv)[:200]
    for r in rows[100:180]:
        r["seccion"] = "-1"
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(write_csv(tmp_path / "muchos.csv", rows), PROCESS, CUT, NOW)
    assert "tiene 80 filas con errores" in caught.value.message and f"primeras {MAX_REPORTED}" in caught.value.message
    assert len(caught.value.details) == MAX_REPORTED
    assert caught.value.details[0].message.startswith("fila 101: ")


def test_columns_and_file_problems(sqlite_store: RollStore, synth_csv: Path, tmp_path: Path) -> None:
    rows = [{k: v for k, v in r.items() if k != "cic"} | {"curp": "X"} for r in rows_of(synth_csv)[:3]]
    with pytest.raises(DomainError, match=r"faltan las columnas: cic; columnas que no se esperaban: «curp»"):
        sqlite_store.load(write_csv(tmp_path / "columnas.csv", rows), PROCESS, CUT, NOW)

    text = synth_csv.read_text(encoding="utf-8").splitlines()
    broken = tmp_path / "roto.csv"
    broken.write_text("\n".join([*text[:4], text[4] + ",extra", *text[5:8], "solo,dos", *text[8:10]]) + "\n")
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(broken, PROCESS, CUT, NOW)
    assert "2 líneas que no se pueden leer como CSV" in caught.value.message
    assert [d.message for d in caught.value.details] == [
        "línea 5: la línea tiene más columnas que el encabezado",
        "línea 9: la línea tiene menos columnas que el encabezado",
    ]
    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes(b"\n".join([t.encode() for t in text[:3]] + [text[3].encode().replace(b",", b",\xe9", 1)]))
    with pytest.raises(DomainError) as caught:
        sqlite_store.load(not_utf8, PROCESS, CUT, NOW)
    assert caught.value.message.endswith("tiene 1 línea que no se puede leer como CSV; no se cargó nada")
    assert [d.message for d in caught.value.details] == ["línea 4: la línea no está codificada en UTF-8"]
    empty = tmp_path / "vacio.csv"
    empty.write_text(text[0] + "\n")
    with pytest.raises(DomainError, match="no tiene filas"):
        sqlite_store.load(empty, PROCESS, CUT, NOW)
    not_parquet = tmp_path / "falso.parquet"
    not_parquet.write_text("hola")
    with pytest.raises(DomainError, match="no es un archivo Parquet legible"):
        sqlite_store.load(not_parquet, PROCESS, CUT, NOW)
    with pytest.raises(DomainError, match=r"debe ser un archivo \.csv o \.parquet"):
        sqlite_store.load(tmp_path / "padron.xlsx", PROCESS, CUT, NOW)
    with pytest.raises(DomainError) as missing:
        sqlite_store.load(tmp_path / "no-existe.csv", PROCESS, CUT, NOW)
    assert missing.value.kind == ErrorKind.not_found
    with pytest.raises(DomainError) as unknown:
        sqlite_store.load(synth_csv, "otro-proceso", CUT, NOW)
    assert unknown.value.kind == ErrorKind.not_found
    assert sqlite_store.versions(PROCESS) == [] and roll_files(sqlite_store) == []
    assert [p for p in (sqlite_store.data_dir / "roll").rglob(".tmp*")] == []


# --- command line ------------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    data = tmp_path / "var"
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(data))
    monkeypatch.setenv("CONVOCA_CAPTURE_KEY", base64.b64encode(KEY).decode())
    monkeypatch.delenv("CONVOCA_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def test_cli_synth_load_list(cli_env: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "padron.parquet"
    calendar = ROOT / "calendars" / "durango-2021-2022.yaml"
    args = ["roll", "synth", "--calendar", str(calendar), "--out", str(out), "--seed", "9", "--scale", "0.005"]
    synth = runner.invoke(main, args)
    assert synth.exit_code == 0, synth.output
    rows = pq.read_table(out).num_rows
    assert f"{rows:,} filas" in synth.stdout

    load = runner.invoke(main, ["roll", "load", str(out), "--process", PROCESS, "--cut-date", "2021-09-30"])
    assert load.exit_code == 0, load.output
    assert f"padrón cargado: {PROCESS}, versión 1 (corte 2021-09-30)" in load.stdout
    assert f"{rows:,} filas: lista_nominal" in load.stdout
    assert "Aviso: la fecha de corte 2021-09-30 no es la del calendario (2021-08-31)" in load.stderr
    again = runner.invoke(main, ["roll", "load", str(out), "--process", PROCESS, "--cut-date", "2021-09-30"])
    assert again.exit_code == 0 and "ya estaba cargado con esa fecha de corte" in again.stdout

    listed = runner.invoke(main, ["roll", "list", PROCESS])
    assert listed.exit_code == 0, listed.output
    assert "versión 1 (vigente): corte 2021-09-30, padron.parquet" in listed.stdout
    stored_files = list((cli_env / "roll" / PROCESS).glob("*.parquet"))
    assert len(stored_files) == 1
    hashes = pq.read_table(stored_files[0], columns=["clave_lookup"]).column(0).to_pylist()
    clear = pq.read_table(out, columns=["clave_elector"]).column(0).to_pylist()
    assert sorted(hashes) == sorted(Keyring(KEY).lookup(c) for c in clear)  # hashed with the configured key

    bad = tmp_path / "malo.csv"
    table = pq.read_table(out).slice(0, 5).to_pylist()
    table[2]["ocr"] = "123"
    write_csv(bad, table)
    failed = runner.invoke(main, ["roll", "load", str(bad), "--process", PROCESS, "--cut-date", "2021-08-31"])
    assert failed.exit_code == 1
    assert "el padrón «malo.csv» tiene 1 fila con errores; no se cargó nada" in failed.stderr
    assert "fila 3: el OCR «123» debe tener 13 dígitos" in failed.stderr
    unknown = runner.invoke(main, ["roll", "list", "no-existe"])
    assert unknown.exit_code == 1 and "el proceso «no-existe» no existe" in unknown.stderr
