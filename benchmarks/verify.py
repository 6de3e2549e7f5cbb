"""Registral verification against the roll: apoyos per second, against a bare DuckDB join of the same files.

    .venv/bin/python benchmarks/verify.py [--scale durango|national|both] [--workdir DIR] [--dask N] [--runs 3]

Durango scale: the synthetic roll of Durango's calendar at scale 1 (~1.42 M rows, 1.34 M of them in the Lista
Nominal), loaded with ``RollStore.load`` (timed: rows/s) into a throwaway SQLite database and data folder, and 200 k
apoyos planted from it for three aspirantes — two for the Gubernatura (demarcación 10), one for the ayuntamiento of
Durango (10005) — with a known expected status each: valid, duplicates, a citizen supporting both Gubernatura
aspirantes (the later is ``otro_aspirante``), the same citizen for the Gubernatura and the ayuntamiento (valid in
both), bajas, Padrón-only, not found, another credential (OCR/CIC), and citizens of other municipios for the
ayuntamiento (``fuera_de_ambito``). Their keyed hashes are computed by the roll's own ``Keyring`` (``LOOKUP_SQL``
in DuckDB; a sample is checked against ``Keyring.lookup``). As the service does, each cargo is one run:

- ours: ``distributed.in_process`` (a fresh DuckDB connection, ``registral.classify``) then ``verdict.verdicts``
  on the results, per cargo, summed;
- baseline: the same apoyos (Arrow, registered the same way) ``LEFT JOIN`` the stored roll Parquet on
  ``clave_lookup``, selecting the roll's columns, materialised as Arrow, per cargo, summed.

National scale: the same synthesizer at scale 15 (~21 M rows) and 2 M apoyos, registral rules only (``classify``),
same baseline. With ``--dask N`` the national Gubernatura run also goes through ``distributed.Dask`` on a
``LocalCluster`` of N single-threaded worker processes, and must give the in-process result.

Each measurement: one untimed warm-up, then ``--runs`` runs, interleaved with the baseline's; medians are printed.
Every apoyo's status must be the planted one, or the benchmark exits 1.
"""

from __future__ import annotations

import argparse
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from verification.distributed import Dask, in_process  # noqa: E402
from verification.registral import APOYOS_SCHEMA, Status  # noqa: E402
from verification.roll import RollStore  # noqa: E402
from verification.synth_roll import synthesize_roll  # noqa: E402
from verification.verdict import verdicts  # noqa: E402
from workflow.calendar.loader import load_calendar  # noqa: E402
from workflow.calendar.model import Calendar  # noqa: E402
from workflow.engine.store import CalendarStore  # noqa: E402
from workflow.storage.db import Database  # noqa: E402
from workflow.storage.keys import LOOKUP_SQL, Keyring  # noqa: E402
from workflow.storage.migrate import upgrade  # noqa: E402

CALENDAR = ROOT / "calendars" / "durango-2021-2022.yaml"
PROCESS = "durango-2021-2022"
CUT = date(2021, 8, 31)
NOW = datetime(2022, 2, 12, 12, tzinfo=UTC)
T0 = datetime(2022, 1, 3, 15, tzinfo=UTC)  # captación: 30 days from here
KEY = bytes(range(32))
SEED = 2022
ENTITY = "10"
AYUNTAMIENTO = ("10005", "005")  # Durango: INEGI and INE keys
# aspirante id → (cargo, demarcación, share of the apoyos)
ASPIRANTES = {
    1: ("gubernatura", ENTITY, 0.5),
    2: ("gubernatura", ENTITY, 0.3),
    3: ("ayuntamiento", AYUNTAMIENTO[0], 0.2),
}
# Share of each aspirante's apoyos by planted outcome (what is left is valid). ``otro`` only for aspirante 2 (its
# citizens supported aspirante 1 first), ``fuera`` only for the ayuntamiento; ``cruzado`` (aspirante 3's valid
# citizens who also validly support aspirante 1) is part of the valid.
MIX = {"duplicado": 0.08, "no_encontrado": 0.07, "credencial": 0.07, "baja": 0.04, "padron": 0.03}
OTRO, FUERA, CRUZADO = 0.10, 0.08, 0.25


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hwm_mb() -> float:
    """Peak RSS of this process since it started its program (``ru_maxrss`` of a spawned process starts at its
    parent's peak: Linux carries it across fork and exec; ``VmHWM`` starts afresh at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the roll ----------------------------------------------------------------------------------------------------


@dataclass
class Roll:
    clear: Path  # the synthesizer's extract (clear identifiers): only to plant apoyos
    stored: Path  # what verification reads (keyed hashes)
    rows: int
    synth_s: float
    load_s: float


def make_roll(cal: Calendar, work: Path, scale: float) -> Roll:
    clear = work / f"roll-x{scale:g}.parquet"
    start = time.perf_counter()
    summary = synthesize_roll(cal, clear, seed=SEED, scale=scale)
    synth_s = time.perf_counter() - start
    db = Database(f"sqlite:///{work / 'convoca.sqlite3'}")
    try:
        upgrade(db)
        calendars = CalendarStore(db)
        calendars.seed(ROOT / "calendars", NOW)
        store = RollStore(db, work / "var", Keyring(KEY), calendars)
        start = time.perf_counter()
        version = store.load(clear, PROCESS, CUT, NOW)
        load_s = time.perf_counter() - start
        stored = store.parquet_path(version)
    finally:
        db.dispose()
    assert version.rows == summary.rows
    return Roll(clear, stored, summary.rows, synth_s, load_s)


# --- the apoyos ----------------------------------------------------------------------------------------------------


@dataclass
class Planted:
    tables: dict[str, pa.Table]  # cargo → apoyos (APOYOS_SCHEMA), as the service builds them
    expected: pa.Table  # capture_id, expected status
    files: dict[str, Path] = field(default_factory=dict)
    plan: dict[str, int] = field(default_factory=dict)


def _sample(con: duckdb.DuckDBPyConnection, clear: Path, where: str, n: int, salt: int) -> pa.Table:
    """``n`` distinct citizens of the clear roll matching ``where``, in a fixed pseudo-random order."""
    return con.sql(
        f"SELECT clave_elector AS clave, ocr, cic, municipio FROM read_parquet('{clear}') WHERE {where} "
        f"ORDER BY hash(clave_elector, {salt}) LIMIT {n}"
    ).to_arrow_table()


def plant(clear: Path, total: int, keyring: Keyring) -> Planted:
    """``total`` apoyos drawn from the clear roll with the mix above; each row knows the status it must get."""
    rng = np.random.default_rng(SEED)
    con = duckdb.connect()
    n = {a: round(total * share) for a, (_, _, share) in ASPIRANTES.items()}
    n[1] += total - sum(n.values())

    def counts(a: int) -> dict[str, int]:
        c = {k: round(n[a] * v) for k, v in MIX.items()}
        if a == 2:
            c["otro"] = round(n[a] * OTRO)
        if a == 3:
            c["fuera"] = round(n[a] * FUERA)
        c["valido"] = n[a] - sum(c.values())
        return c

    plan = {a: counts(a) for a in ASPIRANTES}
    # Distinct citizens per pool; the Gubernatura's pools are disjoint, the ayuntamiento draws its own (overlap with
    # the Gubernatura's citizens is cross-cargo support, valid in both: each cargo is its own run).
    gub_valid = plan[1]["valido"] + plan[2]["valido"]
    gub_cred = plan[1]["credencial"] + plan[2]["credencial"]
    ln = _sample(con, clear, "estatus = 'lista_nominal'", gub_valid + gub_cred, 1)
    bajas = _sample(con, clear, "estatus = 'baja'", plan[1]["baja"] + plan[2]["baja"] + plan[3]["baja"], 2)
    padron = _sample(con, clear, "estatus = 'padron_no_lista'", sum(plan[a]["padron"] for a in ASPIRANTES), 3)
    c_fresh = plan[3]["valido"] - round(plan[3]["valido"] * CRUZADO) + plan[3]["credencial"]
    local = _sample(con, clear, f"estatus = 'lista_nominal' AND municipio = '{AYUNTAMIENTO[1]}'", c_fresh, 4)
    outside = _sample(
        con, clear, f"estatus = 'lista_nominal' AND municipio <> '{AYUNTAMIENTO[1]}'", plan[3]["fuera"], 5
    )

    rows: list[pa.Table] = []  # clave, ocr, cic, aspirante_id, minutes, expected

    def add(t: pa.Table, aspirante: int, expected: str, minutes: np.ndarray | None = None) -> pa.Table:
        if minutes is None:
            minutes = rng.uniform(0, 30 * 24 * 60, t.num_rows)
        out = pa.table(
            {
                "clave": t["clave"],
                "ocr": t["ocr"],
                "cic": t["cic"],
                "municipio": t["municipio"],
                "aspirante_id": pa.array(np.full(t.num_rows, aspirante, np.int64)),
                "minutes": pa.array(minutes),
                "expected": pa.array([expected] * t.num_rows),
            }
        )
        rows.append(out)
        return out

    def later(t: pa.Table, k: int) -> tuple[pa.Table, np.ndarray]:
        """``k`` rows of ``t`` (with repeats when k is larger), each presented again 1 minute to 5 days later."""
        idx = rng.integers(0, t.num_rows, k)
        picked = t.take(pa.array(idx))
        return picked, picked["minutes"].to_numpy() + rng.uniform(1, 5 * 24 * 60, k)

    def other_credential(t: pa.Table) -> pa.Table:
        """The citizen's clave with an OCR and CIC that are not the roll's (an older or a forged credential)."""
        ocr = pc.binary_join_element_wise(pc.utf8_slice_codeunits(t["ocr"], 0, 12), pa.scalar("X"), "")
        cic = pc.if_else(pc.is_null(t["cic"]), t["cic"], pa.scalar("000000000"))
        return t.set_column(1, "ocr", ocr).set_column(2, "cic", cic)

    def not_found(k: int) -> pa.Table:
        """Well-formed claves the synthesizer never makes (its letter pairs are consonant + vowel or X)."""
        digits = rng.integers(0, 10**11, k)
        claves = [f"ZZZZZZ{d // 1000:08d}H{d % 1000:03d}" for d in digits.tolist()]
        ocrs = [f"{d % 10**13:013d}" for d in rng.integers(0, 10**13, k).tolist()]
        none = pa.nulls(k, pa.string())
        return pa.table({"clave": claves, "ocr": ocrs, "cic": none, "municipio": none})

    off = 0
    for a in (1, 2):
        p = plan[a]
        valid = add(ln.slice(off, p["valido"]), a, Status.valido)
        off += p["valido"]
        add(other_credential(ln.slice(gub_valid + (0 if a == 1 else plan[1]["credencial"]), p["credencial"])), a,
            Status.credencial_no_vigente)  # fmt: skip
        add(bajas.slice(0 if a == 1 else plan[1]["baja"], p["baja"]), a, Status.baja)
        add(padron.slice(0 if a == 1 else plan[1]["padron"], p["padron"]), a, Status.padron_no_lista)
        add(not_found(p["no_encontrado"]), a, Status.no_encontrado)
        dup, at = later(valid, p["duplicado"])
        add(dup, a, Status.duplicado, at)
        if a == 1:
            first_valid = valid
    # Citizens aspirante 1 had first, each presented once to aspirante 2, later.
    otro_idx = rng.choice(first_valid.num_rows, plan[2]["otro"], replace=False)
    otro = first_valid.take(pa.array(otro_idx))
    add(otro, 2, Status.otro_aspirante, otro["minutes"].to_numpy() + rng.uniform(1, 5 * 24 * 60, otro.num_rows))

    p = plan[3]
    cross = first_valid.filter(pc.equal(first_valid["municipio"], AYUNTAMIENTO[1]))
    n_cross = round(p["valido"] * CRUZADO)
    assert cross.num_rows >= n_cross, "not enough of aspirante 1's citizens live in the municipio"
    cross = cross.slice(0, n_cross).select(["clave", "ocr", "cic", "municipio"])
    valid = add(pa.concat_tables([cross, local.slice(0, p["valido"] - n_cross)]), 3, Status.valido)
    add(other_credential(local.slice(p["valido"] - n_cross, p["credencial"])), 3, Status.credencial_no_vigente)
    add(outside, 3, Status.fuera_de_ambito)
    add(bajas.slice(plan[1]["baja"] + plan[2]["baja"], p["baja"]), 3, Status.baja)
    add(padron.slice(plan[1]["padron"] + plan[2]["padron"], p["padron"]), 3, Status.padron_no_lista)
    add(not_found(p["no_encontrado"]), 3, Status.no_encontrado)
    dup, at = later(valid, p["duplicado"])
    add(dup, 3, Status.duplicado, at)

    everything = pa.concat_tables(rows)
    assert everything.num_rows == total, (everything.num_rows, total)
    # Capture ids in receipt order, as the database assigns them; received_at to the microsecond.
    everything = everything.sort_by("minutes")
    everything = everything.append_column("capture_id", pa.array(np.arange(1, total + 1, dtype=np.int64)))
    con.register("planted", everything)
    outer, inner = keyring.lookup_sql_params()
    lookup = {c: LOOKUP_SQL.format(value=c) for c in ("clave", "ocr", "cic")}
    hashed = con.sql(
        f"""
        SELECT capture_id, 'F' || lpad(capture_id::VARCHAR, 9, '0') AS folio, aspirante_id,
               CASE aspirante_id WHEN 3 THEN 'ayuntamiento' ELSE 'gubernatura' END AS cargo_id,
               CASE aspirante_id WHEN 3 THEN '{AYUNTAMIENTO[0]}' ELSE '{ENTITY}' END AS demarcacion_id,
               TIMESTAMPTZ '{T0.isoformat()}' + to_microseconds(CAST(minutes * 60e6 AS BIGINT)) AS received_at,
               {lookup["clave"]} AS clave_lookup, {lookup["ocr"]} AS ocr_lookup,
               CASE WHEN cic IS NOT NULL THEN {lookup["cic"]} END AS cic_lookup,
               clave, expected
        FROM planted ORDER BY capture_id
        """,
        params={"lookup_outer": outer, "lookup_inner": inner},
    ).to_arrow_table()
    con.close()
    # The SQL HMAC is the keyring's: check a sample against Keyring.lookup, as the capture API computes it.
    for clave, h in zip(hashed["clave"][:500].to_pylist(), hashed["clave_lookup"][:500].to_pylist(), strict=True):
        assert keyring.lookup(clave) == h
    expected = hashed.select(["capture_id", "expected"])
    apoyos = hashed.drop_columns(["clave", "expected"]).cast(APOYOS_SCHEMA)
    tables = {cargo: apoyos.filter(pc.equal(apoyos["cargo_id"], cargo)) for cargo in ("gubernatura", "ayuntamiento")}
    flat = {f"{a}:{k}": v for a, c in plan.items() for k, v in c.items()}
    return Planted(tables, expected, plan=flat)


# --- measuring -----------------------------------------------------------------------------------------------------


def rules_kwargs(cargo: str) -> dict[str, Any]:
    return {
        "scope": "estado" if cargo == "gubernatura" else "municipio",
        "entity": ENTITY,
        "cut_date": "31 de agosto de 2021",
    }


def bare_join(apoyos: pa.Table, roll: str) -> pa.Table:
    """The baseline: the apoyos joined to the roll on the clave's hash, the roll's columns, as Arrow."""
    con = duckdb.connect()
    try:
        con.register("apoyos", apoyos)
        return con.sql(
            "SELECT a.capture_id, r.clave_lookup, r.ocr_lookup, r.cic_lookup, r.entidad, r.municipio, r.municipio_ine,"
            " r.seccion, r.estatus, r.causa_baja "
            f"FROM apoyos a LEFT JOIN read_parquet('{roll}') r ON r.clave_lookup = a.clave_lookup"
        ).to_arrow_table()
    finally:
        con.close()


def run_verdicts(cal: Calendar, cargo: str, results: pa.Table, roll: str) -> list[Any]:
    results = results.append_column("flagged", pa.array(np.zeros(results.num_rows, dtype=bool)))
    aspirantes = [
        {"id": a, "name": f"Aspirante {a}", "demarcacion_id": dem}
        for a, (c, dem, _) in ASPIRANTES.items()
        if c == cargo
    ]
    con = duckdb.connect()
    try:
        return verdicts(con, cal, cal.cargo(cargo), results, aspirantes, roll)
    finally:
        con.close()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


@dataclass
class Figures:
    label: str
    apoyos: int
    roll_rows: int
    ours: list[float]
    base: list[float]
    classify: list[float]
    verdict: list[float]
    rss: float

    def row(self) -> list[str]:
        ours, base = statistics.median(self.ours), statistics.median(self.base)
        return [
            self.label,
            f"{self.roll_rows:,}",
            f"{self.apoyos:,}",
            f"{statistics.median(self.classify):.2f}",
            f"{statistics.median(self.verdict):.2f}" if self.verdict else "-",
            f"{ours:.2f}",
            f"{self.apoyos / ours:,.0f}",
            f"{base:.2f}",
            f"{self.apoyos / base:,.0f}",
            f"{ours / base:.2f}×",
            f"{statistics.median(o / b for o, b in zip(self.ours, self.base, strict=True)):.2f}×",
            f"{self.rss:,.0f}",
        ]


def measure(
    label: str, cal: Calendar, planted: Planted, roll: Roll, runs: int, with_verdicts: bool
) -> tuple[Figures, dict[str, pa.Table]]:
    roll_path = str(roll.stored)
    ours: list[float] = []
    base: list[float] = []
    cls: list[float] = []
    ver: list[float] = []
    results: dict[str, pa.Table] = {}
    for i in range(runs + 1):  # the first is the warm-up
        t_cls = t_ver = t_base = 0.0
        for cargo, apoyos in planted.tables.items():
            t, results[cargo] = timed(partial(in_process, apoyos, roll_path, **rules_kwargs(cargo)))
            t_cls += t
            if with_verdicts:
                t, _ = timed(partial(run_verdicts, cal, cargo, results[cargo], roll_path))
                t_ver += t
            t, joined = timed(partial(bare_join, apoyos, roll_path))
            assert joined.num_rows == apoyos.num_rows
            t_base += t
        if i:
            cls.append(t_cls)
            ver.append(t_ver)
            ours.append(t_cls + t_ver)
            base.append(t_base)
        print(
            f"  {label} run {i or 'warm-up'}: classify {t_cls:.2f} s, verdicts {t_ver:.2f} s, bare join {t_base:.2f} s",
            flush=True,
        )
    n = sum(t.num_rows for t in planted.tables.values())
    figures = Figures(label, n, roll.rows, ours, base, cls, ver if with_verdicts else [], rss_mb())
    return figures, results


def check(planted: Planted, results: dict[str, pa.Table]) -> list[str]:
    """Every apoyo has its planted status; returns what is wrong (empty when right)."""
    got = pa.concat_tables([r.select(["capture_id", "aspirante_id", "status"]) for r in results.values()])
    joined = got.join(planted.expected, "capture_id")
    problems = []
    if joined.num_rows != planted.expected.num_rows or got.num_rows != planted.expected.num_rows:
        problems.append(f"{got.num_rows:,} results for {planted.expected.num_rows:,} apoyos")
    wrong = joined.filter(pc.not_equal(joined["status"], joined["expected"]))
    if wrong.num_rows:
        sample = wrong.slice(0, 5).to_pylist()
        problems.append(f"{wrong.num_rows:,} apoyos with another status than planted, e.g. {sample}")
    planted_valid = sum(v for k, v in planted.plan.items() if k.endswith(":valido"))
    got_valid = pc.sum(pc.equal(got["status"], Status.valido)).as_py() or 0
    if got_valid != planted_valid:
        problems.append(f"{got_valid:,} valid apoyos, {planted_valid:,} planted")
    return problems


def status_counts(results: dict[str, pa.Table]) -> dict[str, int]:
    got = pa.concat_tables([r.select(["status"]) for r in results.values()])
    return {r["values"]: r["counts"] for r in pc.value_counts(got["status"]).to_pylist()}


# --- dask ------------------------------------------------------------------------------------------------------


def measure_dask(workers: int, planted: Planted, roll: Roll, reference: pa.Table, runs: int) -> dict[str, Any]:
    from distributed import LocalCluster

    apoyos = planted.tables["gubernatura"]
    roll_path = str(roll.stored)
    kwargs = rules_kwargs("gubernatura")
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    started = time.perf_counter() - start
    classifier = Dask(cluster.scheduler_address)
    try:
        parts = 2 * workers
        dask_t, inproc_t = [], []
        result = reference
        for i in range(runs + 1):
            t, result = timed(lambda: classifier(apoyos, roll_path, **kwargs))
            t2, _ = timed(lambda: in_process(apoyos, roll_path, **kwargs))
            print(f"  dask run {i or 'warm-up'}: {workers} workers {t:.2f} s, in-process {t2:.2f} s", flush=True)
            if i:
                dask_t.append(t)
                inproc_t.append(t2)
        same = result.equals(reference)
        # How the work splits: one part alone, in this process (each part still reads the whole roll).
        from verification.distributed import partition

        piece = max(partition(apoyos, parts), key=lambda p: p.num_rows)
        part_t = statistics.median(timed(lambda: in_process(piece, roll_path, **kwargs))[0] for _ in range(3))
        split_t = statistics.median(timed(lambda: partition(apoyos, parts))[0] for _ in range(3))
        worker_rss = classifier.client.run(hwm_mb)
    finally:
        classifier.close()
        cluster.close()
    return {
        "workers": workers,
        "parts": parts,
        "startup": started,
        "dask": statistics.median(dask_t),
        "in_process": statistics.median(inproc_t),
        "one_part": part_t,
        "part_rows": piece.num_rows,
        "partition": split_t,
        "identical": same,
        "apoyos": apoyos.num_rows,
        "worker_rss": max(worker_rss.values()),
    }


# --- main --------------------------------------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def run_scale(
    label: str, cal: Calendar, work: Path, roll_scale: float, apoyos: int, runs: int, with_verdicts: bool
) -> tuple[Figures, Roll, Planted, dict[str, pa.Table], list[str]]:
    print(f"{label}: synthesizing the roll (scale {roll_scale:g}) and loading it with RollStore.load …", flush=True)
    roll = make_roll(cal, work, roll_scale)
    print(
        f"  {roll.rows:,} rows: synthesized in {roll.synth_s:.1f} s, loaded in {roll.load_s:.1f} s "
        f"({roll.rows / roll.load_s:,.0f} rows/s); stored {roll.stored.stat().st_size / 2**20:,.0f} MB",
        flush=True,
    )
    print(f"  planting {apoyos:,} apoyos …", flush=True)
    t, planted = timed(lambda: plant(roll.clear, apoyos, Keyring(KEY)))
    for cargo, t_ in planted.tables.items():
        path = work / f"apoyos-{cargo}.parquet"
        pq.write_table(t_, path)
        planted.files[cargo] = path
        planted.tables[cargo] = pq.read_table(path)  # what both sides measure: the same files, read once
    print(f"  planted in {t:.1f} s: {planted.plan}", flush=True)
    figures, results = measure(label, cal, planted, roll, runs, with_verdicts)
    problems = check(planted, results)
    print(f"  statuses: {status_counts(results)}", flush=True)
    for p in problems:
        print(f"  WRONG: {p}", flush=True)
    return figures, roll, planted, results, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["durango", "national", "both"], default="both")
    parser.add_argument("--workdir", type=Path, help="where the rolls and apoyos go (default: a temporary folder)")
    parser.add_argument("--dask", type=int, metavar="N", help="also run the national Gubernatura on N dask workers")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--durango-apoyos", type=int, default=200_000, help=argparse.SUPPRESS)
    parser.add_argument("--national-apoyos", type=int, default=2_000_000, help=argparse.SUPPRESS)
    parser.add_argument("--national-roll-scale", type=float, default=15.0, help=argparse.SUPPRESS)
    parser.add_argument("--durango-roll-scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    cal = load_calendar(CALENDAR).calendar
    print(
        f"convoca verify benchmark: Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"pyarrow {pa.__version__}, {platform.machine()}",
        flush=True,
    )
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="convoca-verify-", dir=args.workdir))
    rows: list[Figures] = []
    loads: list[tuple[str, Roll]] = []
    problems: list[str] = []
    dask_figures = None
    try:
        if args.scale in ("durango", "both"):
            work = base / "durango"
            work.mkdir()
            fig, roll, _, _, wrong = run_scale(
                "Durango", cal, work, args.durango_roll_scale, args.durango_apoyos, args.runs, True
            )
            rows.append(fig)
            loads.append(("Durango", roll))
            problems += wrong
            shutil.rmtree(work)
        if args.scale in ("national", "both"):
            work = base / "national"
            work.mkdir()
            fig, roll, planted, results, wrong = run_scale(
                "national", cal, work, args.national_roll_scale, args.national_apoyos, args.runs, False
            )
            rows.append(fig)
            loads.append(("national", roll))
            problems += wrong
            if args.dask:
                print(f"national: dask, {args.dask} workers …", flush=True)
                dask_figures = measure_dask(args.dask, planted, roll, results["gubernatura"], args.runs)
                if not dask_figures["identical"]:
                    problems.append("the dask result differs from the in-process one")
    finally:
        shutil.rmtree(base, ignore_errors=True)

    print()
    print(
        table(
            ["roll", "rows", "rows/s", "synthesized s", "RollStore.load s"],
            [
                [label, f"{r.rows:,}", f"{r.rows / r.load_s:,.0f}", f"{r.synth_s:.1f}", f"{r.load_s:.1f}"]
                for label, r in loads
            ],
        )
    )
    print()
    print(
        table(
            [
                "scale",
                "roll rows",
                "apoyos",
                "classify s",
                "verdicts s",
                "ours s",
                "apoyos/s",
                "bare join s",
                "join apoyos/s",
                "ratio of medians",
                "median ratio of runs",
                "peak RSS MB",
            ],
            [f.row() for f in rows],
        )
    )
    if dask_figures:
        d = dask_figures
        print()
        print(
            table(
                ["national Gubernatura", "apoyos", "s", "apoyos/s", "vs in-process"],
                [
                    [
                        "in-process",
                        f"{d['apoyos']:,}",
                        f"{d['in_process']:.2f}",
                        f"{d['apoyos'] / d['in_process']:,.0f}",
                        "1×",
                    ],
                    [
                        f"dask, {d['workers']} workers × 1 thread, {d['parts']} parts",
                        f"{d['apoyos']:,}",
                        f"{d['dask']:.2f}",
                        f"{d['apoyos'] / d['dask']:,.0f}",
                        f"{d['dask'] / d['in_process']:.2f}×",
                    ],
                ],
            )
        )
        print(
            f"cluster start-up {d['startup']:.1f} s (not counted); partitioning in the client {d['partition']:.2f} s; "
            f"one part ({d['part_rows']:,} apoyos) alone in-process {d['one_part']:.2f} s; "
            f"identical: {d['identical']}; "
            f"peak RSS of a worker {d['worker_rss']:,.0f} MB"
        )
    print(f"peak RSS of this process: {rss_mb():,.0f} MB")
    if problems:
        print("WRONG:\n  " + "\n  ".join(problems))
        sys.exit(1)


if __name__ == "__main__":
    main()
