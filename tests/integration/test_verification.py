"""Verification end to end on a real database: a roll loaded from CSV, captures received through the capture
service, runs by command, by the engine at the real end of a captación, and by the background stage after the grace
period; every registral status exactly as planted, reruns that change nothing, and a run killed half-way."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlmodel import select

from convoca.cli import main
from convoca.runtime import Runtime, build
from convoca.settings import Settings, get_settings
from tests.helpers import utc
from tests.integration.api_server import image
from verification.records import ApoyoResult, VerificationRun
from verification.registral import Status
from verification.stage import VerificationStage
from workflow.captures.model import CaptureData
from workflow.clock import FixedClock
from workflow.participants.records import Aspirante, Gestor
from workflow.participants.service import NewAspirante, NewGestor

ROOT = Path(__file__).resolve().parents[2]
PROCESS = "durango-2021-2022"
OPEN = utc("2022-01-20T18:00:00Z")  # both captaciones open
CLOSE = utc("2022-02-11T06:00:00Z")  # end of 10 Feb 2022, Durango's local time
GRACE_OVER = CLOSE + timedelta(hours=24)
CUT = date(2021, 8, 31)


@dataclass(frozen=True)
class Citizen:
    clave: str
    ocr: str
    cic: str | None
    municipio_ine: str  # INE key: Durango (INEGI 10005) is INE 005, Gómez Palacio (10007) INE 007
    seccion: int
    estatus: str = "lista_nominal"
    causa: str = ""
    entidad: str = "10"


def clave(n: int) -> str:
    return f"PRMRJN{85 + n % 10:02d}0101{10:02d}{'H' if n % 2 else 'M'}{n:03d}"


def citizen(n: int, **kw) -> Citizen:
    seccion = kw.pop("seccion", 400 + n)
    return Citizen(clave(n), f"{seccion:04d}{n:09d}", f"{n:09d}", kw.pop("municipio_ine", "005"), seccion, **kw)


VALID = [citizen(i) for i in range(1, 6)]
BAJA = citizen(10, estatus="baja", causa="defuncion")
PADRON = citizen(11, estatus="padron_no_lista")
GOMEZ = citizen(12, municipio_ine="007", seccion=600)  # Gómez Palacio: outside Durango municipio
FORANEO = citizen(13, entidad="05", municipio_ine="030")
SHARED = citizen(14)
ROLL = [*VALID, BAJA, PADRON, GOMEZ, FORANEO, SHARED]


def write_roll(path: Path, roll: list[Citizen] | None = None) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["clave_elector", "ocr", "cic", "entidad", "municipio", "seccion", "estatus", "causa_baja", "nombre",
             "apellido_paterno", "apellido_materno"]
        )  # fmt: skip
        for c in roll or ROLL:
            w.writerow(
                [c.clave, c.ocr, c.cic or "", c.entidad, c.municipio_ine, c.seccion, c.estatus, c.causa, "JUANA",
                 "PÉREZ", "MUÑOZ"]
            )  # fmt: skip
    return path


@dataclass
class World:
    runtime: Runtime
    clock: FixedClock
    gestores: dict[str, Gestor]
    aspirantes: dict[str, Aspirante]
    roll_file: Path

    def capture(self, who: str, c: Citizen, *, ocr: str | None = None, cic: str | None = "same", at=None) -> int:
        data = CaptureData.model_validate(
            {
                "capture_id": str(uuid.uuid4()),
                "captured_at": (at or self.clock.now()).isoformat(),
                "clave_elector": c.clave,
                "ocr": ocr or c.ocr,
                "cic": c.cic if cic == "same" else cic,
                "seccion": c.seccion,
                "nombre": "JUANA",
                "apellido_paterno": "PÉREZ",
                "device_id": "tel-1",
                "app_version": "1.0",
            }
        )
        images = {p: image(seed=hash((who, c.clave, p, ocr)) % 1000) for p in ("anverso", "reverso", "foto")}
        images["firma"] = image("png", seed=7)
        receipt, _ = self.runtime.services.captures.submit(self.gestores[who], data, images, at or self.clock.now())
        self.clock.set(self.clock.now() + timedelta(seconds=1))  # receipt order is the order of these calls
        return self.capture_row(receipt.capture_id)

    def capture_row(self, capture_id) -> int:
        from workflow.captures.records import Capture

        with self.runtime.services.db.read_session() as s:
            row = s.exec(select(Capture).where(Capture.capture_id == str(capture_id))).one()
        assert row.id is not None
        return row.id

    def statuses(self, run: VerificationRun) -> dict[int, str]:
        with self.runtime.services.db.read_session() as s:
            rows = s.exec(select(ApoyoResult).where(ApoyoResult.run_id == run.id)).all()
        return {r.capture_id: r.status for r in rows}


@pytest.fixture
def world(tmp_path: Path, database_url: str) -> Iterator[World]:
    clock = FixedClock(utc("2021-12-20T18:00:00Z"))
    settings = Settings(data_dir=tmp_path / "var", calendars_dir=ROOT / "calendars", database_url=database_url)
    runtime = build(clock, settings)
    s = runtime.services
    s.calendars.seed(ROOT / "calendars", clock.now())
    people = {
        "gob1": ("gubernatura", "10"),
        "gob2": ("gubernatura", "10"),
        "mun": ("ayuntamiento", "10005"),
    }
    aspirantes, gestores = {}, {}
    for i, (key, (cargo, dem)) in enumerate(people.items()):
        new = NewAspirante(name=f"Aspirante {key}", cargo=cargo, demarcacion=dem, constancia_date=date(2021, 12, 20))
        a, _ = s.participants.create_aspirante(PROCESS, new, clock.now())
        g, _ = s.participants.register_gestor(
            a, NewGestor(name=f"Gestor {key}", clave_elector=clave(900 + i)), clock.now()
        )
        aspirantes[key], gestores[key] = a, g
    yield World(runtime, clock, gestores, aspirantes, write_roll(tmp_path / "lista.csv"))
    runtime.close()


def plant(w: World) -> dict[int, str]:
    """Captures whose registral outcome is known: capture row id → expected status."""
    w.clock.set(OPEN)
    expected = {}
    expected[w.capture("gob1", VALID[0])] = Status.valido
    expected[w.capture("gob1", VALID[0])] = Status.duplicado
    expected[w.capture("gob1", citizen(77))] = Status.no_encontrado  # not in the roll
    expected[w.capture("gob1", VALID[1], cic="999999999")] = Status.credencial_no_vigente
    expected[w.capture("gob1", BAJA)] = Status.baja
    expected[w.capture("gob1", PADRON)] = Status.padron_no_lista
    expected[w.capture("gob1", FORANEO)] = Status.fuera_de_ambito
    expected[w.capture("gob1", GOMEZ)] = Status.valido  # the whole state is the gubernatura's demarcación
    expected[w.capture("gob2", SHARED)] = Status.valido  # gob2 first…
    expected[w.capture("gob1", SHARED)] = Status.otro_aspirante  # …so gob1's does not count
    expected[w.capture("mun", SHARED)] = Status.valido  # another cargo: a citizen may support one per cargo
    expected[w.capture("mun", GOMEZ)] = Status.fuera_de_ambito  # lives in Gómez Palacio, not Durango
    expected[w.capture("mun", VALID[2])] = Status.valido
    return expected


def load_roll(w: World) -> None:
    w.runtime.services.rolls.load(w.roll_file, PROCESS, CUT, w.clock.now())


def test_every_planted_status_is_found_exactly(world: World) -> None:
    expected = plant(world)
    load_roll(world)
    verification = world.runtime.services.verification
    got: dict[int, str] = {}
    for cargo in ("gubernatura", "ayuntamiento"):
        report = verification.run(PROCESS, cargo, world.clock.now())
        assert report.run.status == "done" and not report.reused and report.run.kind == "manual"
        assert not report.run.complete  # the windows are still open
        got |= world.statuses(report.run)
    assert got == expected

    gob1 = next(
        v for v in verification.latest(PROCESS, "gubernatura").counts["aspirantes"] if v["name"].endswith("gob1")
    )
    assert gob1["received"] == 9 and gob1["valid"] == 2 and gob1["required"] == 13079
    assert gob1["counts"]["baja"] == 1 and gob1["causes"] == {"defuncion": 1}
    assert {m["id"]: m["valid"] for m in gob1["by_municipio"]} == {"10005": 1, "10007": 1}


def test_each_run_exports_its_results_as_csv_and_parquet_without_personal_data(world: World) -> None:
    expected = plant(world)
    load_roll(world)
    run = world.runtime.services.verification.run(PROCESS, "gubernatura", world.clock.now()).run
    folder = world.runtime.settings.data_dir / "verification" / PROCESS
    stem = f"verificacion-{run.id:06d}-gubernatura"
    table = pq.read_table(folder / f"{stem}.parquet")
    with (folder / f"{stem}.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["folio"] for r in rows] == table["folio"].to_pylist()
    by_id = {r["capture_id"]: r for r in table.to_pylist()}
    assert {k: by_id[k]["status"] for k in by_id} == {k: v for k, v in expected.items() if k in by_id}
    assert rows[1]["status"] == "duplicado" and rows[1]["duplicates_folio"] == rows[0]["folio"]
    text = (folder / f"{stem}.csv").read_text()
    assert not any(c.clave in text or c.ocr in text for c in ROLL) and "PÉREZ" not in text


def test_the_same_inputs_change_nothing_and_new_captures_make_a_new_run(world: World) -> None:
    plant(world)
    load_roll(world)
    verification = world.runtime.services.verification
    first = verification.run(PROCESS, "gubernatura", world.clock.now())
    world.clock.set(world.clock.now() + timedelta(hours=1))
    again = verification.run(PROCESS, "gubernatura", world.clock.now())
    assert again.reused and again.run.id == first.run.id
    assert len(verification.runs(PROCESS)) == 1
    world.capture("gob1", VALID[3])
    third = verification.run(PROCESS, "gubernatura", world.clock.now())
    assert not third.reused and third.run.id != first.run.id
    assert len(world.statuses(third.run)) == len(world.statuses(first.run)) + 1


def test_a_run_killed_half_way_is_resumed_with_the_same_result(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(world)
    load_roll(world)
    verification = world.runtime.services.verification
    now = world.clock.now()

    def killed(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    with monkeypatch.context() as m:
        m.setattr(verification, "_finish", killed)
        with pytest.raises(KeyboardInterrupt):
            verification.run(PROCESS, "gubernatura", now, kind=None, run_key="engine:test")
    (stuck,) = verification.runs(PROCESS)
    assert stuck.status == "running" and world.statuses(stuck) == {}
    world.capture("gob1", VALID[4])  # arrives after the cut-off the interrupted run recorded
    world.clock.set(world.clock.now() + timedelta(hours=2))
    resumed = verification.run(PROCESS, "gubernatura", world.clock.now(), kind=None, run_key="engine:test")
    assert resumed.run.id == stuck.id and resumed.run.status == "done"
    assert resumed.run.received_before == now
    uninterrupted = verification.run(PROCESS, "gubernatura", now)  # the same inputs, a run of its own
    assert uninterrupted.reused and uninterrupted.run.id == resumed.run.id


def test_the_engine_verifies_at_the_close_and_the_stage_after_the_grace(world: World) -> None:
    expected = plant(world)
    load_roll(world)
    rt = world.runtime
    world.clock.set(CLOSE + timedelta(seconds=1))
    rt.engine.reconcile(world.clock.now())
    runs = rt.services.verification.runs(PROCESS)
    assert {r.cargo_id for r in runs} == {"gubernatura", "ayuntamiento"}
    assert all(r.kind == "preliminar" and not r.complete and r.status == "done" for r in runs)  # grace still open
    stage = VerificationStage(rt.services.verification, world.clock)
    assert stage.tick() == {}  # the day's report: the engine's runs had the same inputs
    late = world.capture("gob1", VALID[3], at=CLOSE - timedelta(minutes=5))  # captured inside, sent in the grace
    world.clock.set(GRACE_OVER + timedelta(minutes=1))
    done = stage.tick()
    assert done == {f"{PROCESS}/gubernatura": "final", f"{PROCESS}/ayuntamiento": "final"}
    final = rt.services.verification.latest(PROCESS, "gubernatura")
    assert final is not None and final.complete and final.kind == "final"
    assert world.statuses(final)[late] == Status.valido
    assert stage.tick() == {}  # once
    dictamen = rt.services.documents.latest(PROCESS, "dictamen-gubernatura")
    assert dictamen is not None and dictamen.published_at is None  # the OPLE publishes it, not the system
    pdf = rt.services.documents.pdf(dictamen)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "PROYECTO" in text  # the dispersion rule is assumed: nothing final is printed as fact
    rt.engine.reconcile(world.clock.now())
    assert len(rt.services.verification.runs(PROCESS)) == 4  # nothing fired twice
    assert set(expected) <= set(world.statuses(final)) | set(
        world.statuses(rt.services.verification.latest(PROCESS, "ayuntamiento"))
    )


def test_a_day_with_open_windows_and_no_apoyos_yet_is_a_report_of_nothing(world: World) -> None:
    load_roll(world)
    world.clock.set(OPEN)  # windows open, aspirantes registered, nothing captured yet
    stage = VerificationStage(world.runtime.services.verification, world.clock)
    done = stage.tick()
    assert done == {f"{PROCESS}/gubernatura": "preliminar", f"{PROCESS}/ayuntamiento": "preliminar"}
    run = world.runtime.services.verification.latest(PROCESS, "gubernatura")
    assert run is not None and run.status == "done" and (run.counts or {}).get("apoyos") == 0


def test_progress_shows_the_latest_run(world: World) -> None:
    plant(world)
    load_roll(world)
    rt = world.runtime
    rt.services.verification.run(PROCESS, "ayuntamiento", world.clock.now())
    world.capture("mun", VALID[4])
    p = rt.services.progress.of(world.aspirantes["mun"], world.clock.now())
    assert p.verification is not None and p.verification.valid == 2 and p.verification.verified == 3
    assert {c.key: c.count for c in p.by_status} == {"valido": 2, "fuera_de_ambito": 1, "sin_verificar": 1}
    assert [(m.municipio, m.valid) for m in p.verification.by_municipio] == [("10005", 2), ("10007", 0)]


def test_verify_command(world: World, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    plant(world)
    load_roll(world)
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(world.runtime.settings.data_dir))  # where the roll was stored
    get_settings.cache_clear()
    args = ["verify", PROCESS, "--database", database_url, "--clock", "fixed", "--at", "2022-01-25T00:00:00Z"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Aspirante gob1 (Durango): 2 válidos de 9 recibidos; requeridos 13,079; NO CUMPLE" in result.output
    assert "Baja del Padrón Electoral: 1" in result.output
    print(result.output)
    assert (
        "dispersión: 0 municipios alcanzan su mínimo; se necesitan 20 (regla supuesta, no confirmada)" in result.output
    )
    again = CliRunner().invoke(main, args)
    assert "sin cambios" in again.output
    future = CliRunner().invoke(main, ["verify", PROCESS, "--database", database_url, "--at", "2999-01-01T00:00:00Z"])
    assert future.exit_code == 1 and "no puede estar en el futuro" in future.output
    get_settings.cache_clear()


def test_no_roll_is_a_clear_refusal(world: World) -> None:
    from workflow.errors import DomainError

    with pytest.raises(DomainError) as exc:
        world.runtime.services.verification.run(PROCESS, "gubernatura", world.clock.now())
    assert "convoca roll load" in exc.value.message


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    """A real cluster: a scheduler and a worker, each its own process, as on separate machines."""
    import subprocess
    import sys

    from tests.helpers import free_port, wait_for

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(Path(sys.executable).parent / "dask")
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard", "--memory-limit", "1GB"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        from distributed import Client

        def ready() -> bool:
            try:
                with Client(address, timeout="2s") as c:
                    return len(c.nthreads()) == 2
            except OSError:
                return False

        assert wait_for(ready, timeout=60, interval=0.5), "the dask cluster did not start"
        yield address
    finally:
        for p in (worker, scheduler):
            p.terminate()
            p.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_dask_cluster_gives_the_same_results(world: World, dask_cluster: str) -> None:
    from verification.distributed import Dask

    expected = plant(world)
    for i in range(30):  # enough citizens to spread over every part
        world.capture("gob2", citizen(200 + i))
    load_roll(world)
    verification = world.runtime.services.verification
    local = verification.run(PROCESS, "gubernatura", world.clock.now())
    cluster = Dask(dask_cluster, parts=4)
    verification.classifier = cluster
    try:
        world.capture("gob1", VALID[3])  # new inputs, so the cluster's run is a run of its own
        world.clock.set(world.clock.now() + timedelta(minutes=1))
        remote = verification.run(PROCESS, "gubernatura", world.clock.now())
    finally:
        cluster.close()
    assert not remote.reused and remote.run.id != local.run.id
    local_statuses, remote_statuses = world.statuses(local.run), world.statuses(remote.run)
    new = set(remote_statuses) - set(local_statuses)
    assert len(new) == 1 and remote_statuses[new.pop()] == Status.valido
    assert {k: v for k, v in remote_statuses.items() if k in local_statuses} == local_statuses
    assert {k: v for k, v in local_statuses.items() if k in expected} == {
        k: v for k, v in expected.items() if k in local_statuses
    }


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_image_triage_on_a_dask_cluster_gives_the_same_rows(world: World, dask_cluster: str) -> None:
    from sqlmodel import delete

    from verification.distributed import Dask
    from verification.records import CaptureTriage
    from verification.triage_stage import TriageStage

    plant(world)
    services = world.runtime.services
    local = services.verification.triage
    assert local is not None and local.run_pending() == 13

    def rows() -> dict[int, tuple]:
        with services.db.read_session() as s:
            return {t.capture_id: (t.flags, t.anverso_phash, t.foto_phash) for t in s.exec(select(CaptureTriage))}

    in_process = rows()
    with services.db.write_session() as s:
        s.exec(delete(CaptureTriage))  # type: ignore[call-overload]
        s.commit()
    cluster = Dask(dask_cluster)
    try:
        remote = TriageStage(services.db, local.blobs, local.thresholds, executor=cluster.executor)
        assert remote.run_pending() == 13
    finally:
        cluster.close()
    assert rows() == in_process


def test_a_seccion_the_roll_does_not_know_is_refused_at_receipt(world: World) -> None:
    """Before a roll is loaded nothing says which secciones exist; after, a sección outside the state's roll is
    refused at receipt with its field, and nothing is stored."""
    from workflow.errors import DomainError, ErrorKind

    world.clock.set(OPEN)
    nowhere = citizen(500, seccion=9999)
    world.capture("gob1", nowhere)  # no roll yet: accepted, verification will find it
    load_roll(world)
    with pytest.raises(DomainError) as exc:
        world.capture("gob1", citizen(501, seccion=9998))
    assert exc.value.kind is ErrorKind.invalid and exc.value.field == "seccion"
    assert exc.value.message.startswith("la sección 9998 no existe en Durango según la Lista Nominal cargada")
    world.capture("gob1", citizen(502, seccion=VALID[0].seccion))  # a sección of the roll: accepted
    assert world.runtime.services.rolls.secciones(PROCESS) == frozenset(c.seccion for c in ROLL if c.entidad == "10")


def test_the_administrator_verifies_through_the_api(world: World, database_url: str) -> None:
    from workflow.participants.records import Role

    from .api_server import start_server

    plant(world)
    load_roll(world)
    settings = world.runtime.settings
    api = start_server(settings.data_dir, world.clock.now(), database_url=database_url)
    try:
        admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
        with api.client(admin) as c:
            r = c.post(f"/processes/{PROCESS}/verification")
            assert r.status_code == 201, r.text
            runs = r.json()
            assert [(x["cargo"], x["kind"], x["apoyos"], x["reused"]) for x in runs] == [
                ("gubernatura", "manual", 10, False),
                ("ayuntamiento", "manual", 3, False),
            ]
            gob1 = next(a for a in runs[0]["aspirantes"] if a["name"] == "Aspirante gob1")
            assert gob1["valid"] == 2 and gob1["counts"]["otro_aspirante"] == 1
            again = c.post(f"/processes/{PROCESS}/verification", params={"cargo": "gubernatura"}).json()
            assert again[0]["reused"] and again[0]["id"] == runs[0]["id"]
            assert [x["id"] for x in c.get(f"/processes/{PROCESS}/verification").json()] == [r["id"] for r in runs]
            unknown = c.post(f"/processes/{PROCESS}/verification", params={"cargo": "senaduria"})
            assert (
                unknown.status_code == 404
                and "el cargo «senaduria» no está en el calendario" in unknown.json()["detail"]
            )
            mun = world.aspirantes["mun"].id
            progress = c.get(f"/aspirantes/{mun}/progress").json()
        assert progress["verification"]["valid"] == 2 and progress["verification"]["kind"] == "manual"
        assert {x["key"]: x["count"] for x in progress["by_status"]} == {"valido": 2, "fuera_de_ambito": 1}
        assert [m["municipio"] for m in progress["verification"]["by_municipio"]] == ["10005", "10007"]
    finally:
        api.stop()
