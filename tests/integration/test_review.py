"""The mesa de control and the garantía de audiencia over HTTP, on a real server and database: leases that keep two
reviewers off the same apoyo, decisions that are refused without a reason, corrections that keep both records,
the seeded sample and the full review it can order, objections inside and outside the phase, and the dictamen and
trail that show it all."""

from __future__ import annotations

import csv
import io
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from sqlmodel import col, select

from convoca.cli import main
from convoca.runtime import Runtime, build
from convoca.settings import Settings, get_settings
from tests.helpers import utc
from tests.integration.api_server import ApiServer, image, start_server
from tests.integration.test_documents import text_of
from tests.integration.test_verification import Citizen, citizen, clave, write_roll
from verification.desk import in_sample
from verification.records import ReviewDecision, ReviewItem, ReviewSample
from verification.registral import Status
from workflow.captures.model import CaptureData
from workflow.clock import FixedClock
from workflow.participants.records import Aspirante, Gestor, Role
from workflow.participants.service import NewAspirante, NewGestor
from workflow.records import ActionRun

ROOT = Path(__file__).resolve().parents[2]
PROCESS = "durango-2021-2022"
OPEN = utc("2022-01-20T18:00:00Z")
FINAL = utc("2022-02-12T08:00:00Z")  # the captaciones closed on 10 Feb and their grace on 11 Feb
AUDIENCIA = utc("2022-02-16T18:00:00Z")  # 15–17 Feb 2022, Durango's local time
AFTER = utc("2022-02-18T06:00:00Z")  # end of 17 Feb, local: the audiencia has closed

VALID = [citizen(i, seccion=400 + i % 7) for i in range(1, 41)]
BAJA = citizen(60, estatus="baja", causa="defuncion")
ROLL = [*VALID, BAJA]


@dataclass
class Desk:
    runtime: Runtime
    clock: FixedClock
    aspirante: Aspirante
    gestor: Gestor
    captures: dict[str, int]  # citizen clave → capture row id
    api: ApiServer
    admin: str
    aspirante_token: str
    other_token: str  # another aspirante of the same cargo
    other: Aspirante

    def reviewer(self, name: str) -> str:
        with self.api.client(self.admin) as c:
            r = c.post("/reviewers", json={"name": name})
        assert r.status_code == 201, r.text
        return r.json()["token"]

    def items(self) -> list[ReviewItem]:
        with self.runtime.services.db.read_session() as s:
            return list(s.exec(select(ReviewItem).order_by(col(ReviewItem.id))))


def _capture(rt: Runtime, clock: FixedClock, gestor: Gestor, c: Citizen, n: int) -> int:
    data = CaptureData.model_validate(
        {
            "capture_id": str(uuid.uuid4()),
            "captured_at": clock.now().isoformat(),
            "clave_elector": c.clave,
            "ocr": c.ocr,
            "cic": c.cic,
            "seccion": c.seccion,
            "nombre": "JUANA",
            "apellido_paterno": "PÉREZ",
            "device_id": "tel-1",
            "app_version": "1.0",
        }
    )
    images = {p: image(seed=n * 10 + i) for i, p in enumerate(("anverso", "reverso", "foto"))}
    images["firma"] = image("png", seed=n)
    receipt, _ = rt.services.captures.submit(gestor, data, images, clock.now())
    clock.set(clock.now() + timedelta(seconds=1))
    from workflow.captures.records import Capture

    with rt.services.db.read_session() as s:
        row = s.exec(select(Capture).where(Capture.capture_id == str(receipt.capture_id))).one()
    assert row.id is not None
    return row.id


def _desk(tmp_path: Path, database_url: str, seed: str, percentage: str = "25") -> Iterator[Desk]:
    """30 valid apoyos, a baja and a duplicate for one aspirante, verified in the final run with triage off (so
    the sample alone decides what goes to the desk) and a sample drawn with a known seed."""
    clock = FixedClock(utc("2021-12-20T18:00:00Z"))
    settings = Settings(data_dir=tmp_path / "var", calendars_dir=ROOT / "calendars", database_url=database_url)
    rt = build(clock, settings)
    s = rt.services
    s.calendars.seed(ROOT / "calendars", clock.now())
    new = NewAspirante(
        name="Ana Gubernatura", cargo="gubernatura", demarcacion="10", constancia_date=date(2021, 12, 20)
    )
    aspirante, token = s.participants.create_aspirante(PROCESS, new, clock.now())
    gestor, _ = s.participants.register_gestor(
        aspirante, NewGestor(name="Gestor", clave_elector=clave(901)), clock.now()
    )
    other = NewAspirante(name="Beto Otro", cargo="gubernatura", demarcacion="10", constancia_date=date(2021, 12, 20))
    beto, beto_token = s.participants.create_aspirante(PROCESS, other, clock.now())
    beto_gestor, _ = s.participants.register_gestor(
        beto, NewGestor(name="Gestora", clave_elector=clave(902)), clock.now()
    )
    clock.set(OPEN)
    captures = {c.clave: _capture(rt, clock, gestor, c, n) for n, c in enumerate([*VALID[:30], BAJA])}
    captures["duplicado"] = _capture(rt, clock, gestor, VALID[0], 99)
    # Another aspirante of the same cargo, with a valid apoyo and a rejected one of their own.
    captures["beto"] = _capture(rt, clock, beto_gestor, VALID[35], 100)
    captures["beto-baja"] = _capture(rt, clock, beto_gestor, BAJA, 101)
    s.rolls.load(write_roll(tmp_path / "lista.csv", ROLL), PROCESS, date(2021, 8, 31), clock.now())
    s.verification.triage = None  # no image flags: the sample alone sends apoyos to the desk
    with s.db.write_session() as w:
        for who, pct in ((aspirante.id, percentage), (beto.id, "0")):  # nothing of Beto's goes to the desk
            w.add(
                ReviewSample(
                    aspirante_id=who,
                    process_id=PROCESS,
                    seed=seed,
                    percentage=pct,
                    full_review_above="10",
                    created_at=clock.now(),
                )
            )
        w.commit()
    clock.set(FINAL)
    report = s.verification.due(PROCESS, "gubernatura", clock.now())
    assert report is not None and report.run.kind == "final"
    api = start_server(settings.data_dir, FINAL, database_url=database_url)
    admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
    try:
        yield Desk(rt, clock, aspirante, gestor, captures, api, admin, token.token, beto_token.token, beto)
    finally:
        api.stop()
        rt.close()


SEED = "5eed" * 8


@pytest.fixture
def desk(tmp_path: Path, database_url: str) -> Iterator[Desk]:
    yield from _desk(tmp_path, database_url, SEED)


def expected_sample(d: Desk, seed: str, percentage: str = "25") -> set[int]:
    from decimal import Decimal

    from workflow.captures.records import Capture

    with d.runtime.services.db.read_session() as s:
        valid = [d.captures[c.clave] for c in VALID[:30]]
        folios = {c.id: c.folio for c in s.exec(select(Capture).where(col(Capture.id).in_(valid)))}
    return {i for i, folio in folios.items() if in_sample(seed, folio, Decimal(percentage))}


def test_the_sample_is_the_seeds_and_the_same_for_the_same_seed(desk: Desk, tmp_path: Path, database_url: str) -> None:
    queued = {i.capture_id for i in desk.items()}
    assert queued == expected_sample(desk, SEED)
    assert 0 < len(queued) < 30  # a sample, not everything (25 % of 30 expected)
    assert {i.kind for i in desk.items()} == {"muestra"}
    # Only valid apoyos are drawn: the baja and the duplicate never are.
    assert desk.captures[BAJA.clave] not in queued and desk.captures["duplicado"] not in queued
    # Enqueueing the same run again adds nothing: the sample is a function of the stored seed and the folio.
    run = desk.runtime.services.verification.latest(PROCESS, "gubernatura")
    assert run is not None
    assert desk.runtime.services.desk.enqueue(run, {}, desk.clock.now()) == 0
    # Another seed draws another sample from the same apoyos.
    assert expected_sample(desk, "otra" * 8) != queued


def _take_all(d: Desk, token: str) -> list[int]:
    got = []
    with d.api.client(token) as c:
        while (r := c.get("/review/next", params={"process_id": PROCESS})).status_code == 200:
            body = r.json()
            got.append(body["apoyo_id"])
            decided = c.post(f"/review/{body['apoyo_id']}", json={"decision": "aceptado"})
            assert decided.status_code == 201, decided.text
        assert r.status_code == 204, r.text
    return got


def test_two_reviewers_working_the_same_queue_never_get_the_same_apoyo(desk: Desk) -> None:
    tokens = [desk.reviewer("Revisora Uno"), desk.reviewer("Revisor Dos")]
    # Both ask at the same instant, many times: each lease goes to one of them only.
    held: list[list[int]] = [[], []]
    barrier = threading.Barrier(2)

    def grab(i: int) -> None:
        with desk.api.client(tokens[i]) as c:
            barrier.wait()
            for _ in range(2):  # a reviewer may hold two (the current one and the prefetched one)
                r = c.get("/review/next", params={"process_id": PROCESS})
                assert r.status_code == 200, r.text
                held[i].append(r.json()["apoyo_id"])

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(held[0])) == 2 and len(set(held[1])) == 2 and not set(held[0]) & set(held[1])
    with desk.api.client(tokens[0]) as c:
        # At the limit, asking again hands back the oldest held apoyo instead of a third one.
        assert c.get("/review/next", params={"process_id": PROCESS}).json()["apoyo_id"] == held[0][0]
        # An apoyo the other reviewer holds cannot be decided by this one.
        taken = c.post(f"/review/{held[1][0]}", json={"decision": "aceptado"})
        assert taken.status_code == 409 and "asignado a otra persona revisora" in taken.json()["detail"]
    # Draining the queue in turns: every apoyo is handed out and decided exactly once.
    first = _take_all(desk, tokens[0])
    second = _take_all(desk, tokens[1])
    everything = first + second
    assert len(everything) == len(set(everything)) == len(desk.items())
    with desk.runtime.services.db.read_session() as s:
        decisions = s.exec(select(ReviewDecision)).all()
    assert sorted(d.capture_id for d in decisions) == sorted(everything)


def test_a_decision_needs_a_reason_from_the_list_and_changes_nothing_when_refused(desk: Desk) -> None:
    token = desk.reviewer("Revisora")
    with desk.api.client(token) as c:
        apoyo = c.get("/review/next", params={"process_id": PROCESS}).json()
        url = f"/review/{apoyo['apoyo_id']}"
        assert apoyo["supporter"]["clave_elector"] in {v.clave for v in VALID}  # decrypted for the reviewer
        assert apoyo["kind"] == "muestra" and apoyo["registral"]["status"] == Status.valido
        assert "fotocopia" in {x["value"] for x in apoyo["choices"]}
        for body, field, words in [
            ({}, "decision", ""),
            ({"decision": ""}, "decision", ""),
            ({"decision": "rechazado"}, "decision", "no es una decisión para un apoyo"),
            ({"decision": "otro"}, "note", "requiere una nota"),
            ({"decision": "fundada", "note": "x"}, "decision", "no es una decisión para un apoyo"),
        ]:
            r = c.post(url, json=body)
            assert r.status_code == 422, (body, r.text)
            problem = r.json()
            assert field in {e.get("field") for e in problem["errors"]} or words in problem["detail"], problem
            assert words in r.text
        assert desk.runtime.services.desk.decisions(apoyo["apoyo_id"]) == []
        ok = c.post(url, json={"decision": "otro", "note": "La credencial tiene el holograma impreso en papel."})
        assert ok.status_code == 201 and ok.json()["label"] == "Otro motivo"


def test_a_correction_keeps_both_records_and_the_latest_counts(desk: Desk) -> None:
    token, supervisor = desk.reviewer("Revisora"), desk.reviewer("Supervisora")
    with desk.api.client(token) as c:
        apoyo = c.get("/review/next", params={"process_id": PROCESS}).json()["apoyo_id"]
        first = c.post(f"/review/{apoyo}", json={"decision": "fotocopia"}).json()
    before = desk.runtime.services.verification.review_figures(
        desk.runtime.services.verification.latest(PROCESS, "gubernatura"),
        desk.clock.now(),  # type: ignore[arg-type]
    )
    tally = before.tallies[desk.aspirante.id]  # type: ignore[index]
    assert tally.rejected == 1 and tally.by_reason == {"fotocopia": 1}
    with desk.api.client(supervisor) as c:
        again = c.post(f"/review/{apoyo}", json={"decision": "aceptado"})
        assert again.status_code == 409 and f"«replaces»: {first['id']}" in again.json()["detail"]
        bare = c.post(f"/review/{apoyo}", json={"decision": "aceptado", "replaces": first["id"]})
        assert bare.status_code == 422 and "una corrección requiere una nota" in bare.json()["detail"]
        fixed = c.post(
            f"/review/{apoyo}",
            json={"decision": "aceptado", "replaces": first["id"], "note": "Es el original: se ve el relieve."},
        )
        assert fixed.status_code == 201, fixed.text
        stale = c.post(f"/review/{apoyo}", json={"decision": "ilegible", "replaces": first["id"], "note": "No."})
        assert stale.status_code == 409 and f"ya fue corregida por la {fixed.json()['id']}" in stale.json()["detail"]
    with desk.api.client(desk.admin) as c:
        shown = c.get(f"/review/{apoyo}").json()
    assert [(d["decision"], d["replaces"], d["replaced_by"], d["reviewer"]) for d in shown["decisions"]] == [
        ("fotocopia", None, fixed.json()["id"], "Revisora"),
        ("aceptado", first["id"], None, "Supervisora"),
    ]
    after = desk.runtime.services.verification.review_figures(
        desk.runtime.services.verification.latest(PROCESS, "gubernatura"),
        desk.clock.now(),  # type: ignore[arg-type]
    )
    assert after.tallies[desk.aspirante.id].rejected == 0  # type: ignore[index]


def test_a_rejected_sample_orders_the_full_review(desk: Desk) -> None:
    token = desk.reviewer("Revisora")
    sample = expected_sample(desk, SEED)
    with desk.api.client(token) as c:
        for i, apoyo in enumerate(sorted(sample)):  # more than 10 % rejected
            decision = "credencial_simulada" if i % 2 == 0 else "aceptado"
            assert c.post(f"/review/{apoyo}", json={"decision": decision}).status_code == 201
    items = desk.items()
    full = {i.capture_id for i in items if i.kind == "revision_total"}
    assert full == {desk.captures[c.clave] for c in VALID[:30]} - sample
    with desk.runtime.services.db.read_session() as s:
        marked = s.get(ReviewSample, desk.aspirante.id)
    assert marked is not None and marked.full_review_at is not None and marked.full_review_rate is not None


def _images_are_served_for_review_and_in_full(desk: Desk, token: str, apoyo: int) -> None:
    with desk.api.client(token) as c:
        small = c.get(f"/review/{apoyo}/images/anverso")
        full = c.get(f"/review/{apoyo}/images/anverso", params={"vista": "completa"})
    assert small.status_code == full.status_code == 200
    assert small.headers["cache-control"] == "private, no-store"
    decoded = cv2.imdecode(np.frombuffer(small.content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None and max(decoded.shape[:2]) <= desk.api.services.desk.settings.review_side
    assert small.content == full.content  # 640 × 400: already review size, served as taken


def test_objections_in_the_audiencia_change_the_count_and_the_final_dictamen(desk: Desk) -> None:
    reviewer = desk.reviewer("Revisora")
    sample = sorted(expected_sample(desk, SEED))
    rejected_by_desk = sample[0]
    _images_are_served_for_review_and_in_full(desk, reviewer, rejected_by_desk)
    with desk.api.client(reviewer) as c:
        for apoyo in sample:
            decision = "fotocopia" if apoyo == rejected_by_desk else "aceptado"
            assert c.post(f"/review/{apoyo}", json={"decision": decision}).status_code == 201
    aid = desk.aspirante.id
    baja = desk.captures[BAJA.clave]
    argument = "La credencial es original; adjunto una fotografía nueva de ella."
    form = {"argumento": (None, argument)}  # multipart/form-data, as the route asks
    # Before the phase: refused, saying when it opens (local time); nothing stored.
    with desk.api.client(desk.aspirante_token) as c:
        early = c.post(f"/aspirantes/{aid}/rechazos/{rejected_by_desk}/objecion", files=form)
        assert early.status_code == 409 and "abre el 2022-02-15 00:00 CST" in early.json()["detail"]
        listed = c.get(f"/aspirantes/{aid}/rechazos").json()
    assert {r["apoyo_id"]: r["status"] for r in listed} == {
        rejected_by_desk: "mesa_de_control",
        baja: Status.baja,
        desk.captures["duplicado"]: Status.duplicado,
    }
    with desk.api.client(desk.aspirante_token) as c:
        progress = c.get(f"/aspirantes/{aid}/progress").json()["verification"]
    assert progress["valid"] == 29 and {"key": "mesa_de_control", "count": 1} in [
        {k: x[k] for k in ("key", "count")} for x in progress["by_status"]
    ]
    desk_row = next(r for r in listed if r["apoyo_id"] == rejected_by_desk)
    assert desk_row["reason"] == "Fotocopia de la credencial para votar" and not desk_row["can_object"]

    desk.api.clock.set(AUDIENCIA)
    with desk.api.client(desk.aspirante_token) as c:
        photo = c.get(desk_row["images"]["foto"].removeprefix("/api/v1"))
        assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
        valid_one = sample[1]
        not_rejected = c.post(f"/aspirantes/{aid}/rechazos/{valid_one}/objecion", files=form)
        assert not_rejected.status_code == 409 and "se computa como válido" in not_rejected.json()["detail"]
        assert c.get(f"/aspirantes/{aid}/rechazos/{valid_one}/imagenes/foto").status_code == 404
        short = c.post(f"/aspirantes/{aid}/rechazos/{baja}/objecion", files={"argumento": (None, "no")})
        assert short.status_code == 422
        filed = c.post(
            f"/aspirantes/{aid}/rechazos/{rejected_by_desk}/objecion",
            files={**form, "imagen": ("original.jpg", image(seed=4242), "image/jpeg")},
        )
        assert filed.status_code == 201, filed.text
        assert filed.json()["has_image"]
        twice = c.post(f"/aspirantes/{aid}/rechazos/{rejected_by_desk}/objecion", files=form)
        assert twice.status_code == 409 and "solo cabe una por apoyo" in twice.json()["detail"]
        dup = c.post(
            f"/aspirantes/{aid}/rechazos/{desk.captures['duplicado']}/objecion",
            files={"argumento": (None, "Este apoyo es de otra persona, no un duplicado.")},
        )
        assert dup.status_code == 201
    with desk.api.client(reviewer) as c:
        first = c.get("/review/next", params={"process_id": PROCESS}).json()  # objections come first
        assert first["kind"] == "objecion" and first["objection"]["argument"] == argument
        assert first["images"]["objecion"] is not None
        assert c.get(first["images"]["objecion"].removeprefix("/api/v1")).status_code == 200
        assert {x["value"] for x in first["choices"]} == {"fundada", "infundada"}
        second = c.get("/review/next", params={"process_id": PROCESS}).json()
        by_apoyo = {first["apoyo_id"]: first, second["apoyo_id"]: second}
        assert set(by_apoyo) == {rejected_by_desk, desk.captures["duplicado"]}
        no_note = c.post(f"/review/{rejected_by_desk}", json={"decision": "fundada"})
        assert no_note.status_code == 422 and "requiere una nota" in no_note.json()["detail"]
        ok = c.post(
            f"/review/{rejected_by_desk}",
            json={"decision": "fundada", "note": "La imagen nueva muestra la credencial original."},
        )
        assert ok.status_code == 201, ok.text
        refused = c.post(f"/review/{desk.captures['duplicado']}", json={"decision": "fundada", "note": "Sí."})
        assert refused.status_code == 409 and "ya se computa una vez" in refused.json()["detail"]
        assert (
            c.post(
                f"/review/{desk.captures['duplicado']}",
                json={"decision": "infundada", "note": "La misma clave de elector ya se computa."},
            ).status_code
            == 201
        )
    desk.api.clock.set(AFTER)
    with desk.api.client(desk.aspirante_token) as c:
        late = c.post(f"/aspirantes/{aid}/rechazos/{baja}/objecion", files=form)
        assert late.status_code == 409 and "cerró el 2022-02-17 24:00 CST" in late.json()["detail"]
        resolved = {r["apoyo_id"]: r for r in c.get(f"/aspirantes/{aid}/rechazos").json()}
    assert resolved[rejected_by_desk]["objection"]["resolution"]["decision"] == "fundada"
    with desk.api.client(desk.aspirante_token) as c:
        assert c.get(f"/aspirantes/{aid}/progress").json()["verification"]["valid"] == 30

    # The engine, at the end of the audiencia, runs final_dictamen: the dictamen with counts before and after.
    services = desk.runtime.services
    desk.runtime.engine.reconcile(AFTER)
    with services.db.read_session() as s:
        run = s.exec(select(ActionRun).where(ActionRun.action == "final_dictamen")).one()
    assert run.status == "succeeded", run.error
    version = services.documents.latest(PROCESS, "dictamen-gubernatura")
    assert version is not None and str(version.id) in (run.outcome or "")
    text = text_of(services.documents.pdf(version))
    valid_registral = 30  # 30 valid citizens (the duplicate of the first does not count)
    assert "Válidos antes de la garantía de audiencia 29" in text
    assert "Válidos después de la garantía de audiencia 30" in text
    assert "2 presentadas: 1 fundadas, 1 infundadas y 0 sin resolver" in text
    assert f"Semilla: {SEED}" in text
    figures = services.verification.review_figures(services.verification.latest(PROCESS, "gubernatura"), AFTER)  # type: ignore[arg-type]
    after = figures.aspirantes[0]
    assert after["valid"] == valid_registral and after["counts"].get("mesa_de_control", 0) == 0
    assert after["desk_reasons"] == {}  # the fundada photocopy is no longer a reason under the desk's rejections


def test_the_trail_shows_every_decision_and_no_personal_data(desk: Desk, database_url: str, monkeypatch) -> None:
    token = desk.reviewer("Revisora Uno")
    with desk.api.client(token) as c:
        apoyo = c.get("/review/next", params={"process_id": PROCESS}).json()["apoyo_id"]
        first = c.post(f"/review/{apoyo}", json={"decision": "ilegible"}).json()
        c.post(f"/review/{apoyo}", json={"decision": "aceptado", "replaces": first["id"], "note": "Se lee bien."})
    with desk.api.client(desk.admin) as c:
        r = c.get(f"/processes/{PROCESS}/review/report", params={"cargo": "gubernatura"})
    with desk.api.client(token) as c:
        forbidden = c.get(f"/processes/{PROCESS}/review/report")
    assert forbidden.status_code == 403
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    mine = [x for x in rows if x["apoyo_id"] == str(apoyo)]
    assert [x["evento"] for x in mine] == [
        "compulsa registral",
        "envío a la mesa de control",
        "decisión",
        "corrección de decisión",
        "resultado",
    ]
    assert mine[2]["valor"] == "ilegible" and mine[2]["autor"].startswith("Revisora Uno")
    assert mine[3]["corrige_a"] == str(first["id"]) and mine[3]["nota"] == "Se lee bien."
    assert len({x["apoyo_id"] for x in rows}) == 34  # every apoyo of the run, both aspirantes', decided or not
    for c in VALID[:30]:
        assert c.clave not in r.text and c.ocr not in r.text
    # The command line writes the same trail.
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(desk.runtime.settings.data_dir))
    get_settings.cache_clear()
    out = desk.runtime.settings.data_dir / "traza.csv"
    result = CliRunner().invoke(
        main, ["verify", "report", PROCESS, "--database", database_url, "-o", str(out)], catch_exceptions=False
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig") == r.content.decode("utf-8-sig")


def test_who_may_see_what(desk: Desk) -> None:
    reviewer = desk.reviewer("Revisora")
    apoyo = next(iter(expected_sample(desk, SEED)))
    baja = desk.captures[BAJA.clave]
    other = desk.other.id
    # Each aspirante sees their own rejected apoyos only, and the images of those only.
    with desk.api.client(desk.other_token) as c:
        assert [r["apoyo_id"] for r in c.get(f"/aspirantes/{other}/rechazos").json()] == [desk.captures["beto-baja"]]
        assert c.get(f"/aspirantes/{other}/rechazos/{baja}/imagenes/foto").status_code == 404
        assert c.get(f"/aspirantes/{desk.aspirante.id}/rechazos").status_code == 403
    with desk.api.client(desk.aspirante_token) as c:
        mine = {r["apoyo_id"] for r in c.get(f"/aspirantes/{desk.aspirante.id}/rechazos").json()}
        assert desk.captures["beto-baja"] not in mine and baja in mine
        assert c.get(f"/aspirantes/{desk.aspirante.id}/rechazos/{baja}/imagenes/foto").status_code == 200
    with desk.api.client(desk.aspirante_token) as c:
        assert c.get("/review/next", params={"process_id": PROCESS}).status_code == 403
        assert c.get(f"/review/{apoyo}/images/foto").status_code == 403
    with desk.api.client(reviewer) as c:
        assert c.get(f"/review/{baja}/images/foto").status_code == 404  # never sent to the desk
        assert c.get(f"/aspirantes/{desk.aspirante.id}/rechazos").status_code == 403
        assert c.get("/review/next", params={"process_id": "no-existe"}).status_code == 404
    with desk.api.client() as c:
        assert c.get(f"/review/{apoyo}").status_code == 401


def test_a_lease_is_taken_by_one_reviewer_only(desk: Desk) -> None:
    """The conditional UPDATE itself: two reviewers that both saw the apoyo free (as concurrent requests do)."""
    from verification.desk import Reviewing

    services = desk.runtime.services
    one, _ = services.participants.create_reviewer("Una", desk.clock.now())
    two, _ = services.participants.create_reviewer("Otra", desk.clock.now())
    assert one.id is not None and two.id is not None
    seen_free = desk.items()[0]
    now, until = desk.clock.now(), desk.clock.now() + timedelta(minutes=5)
    with services.db.write_session() as s:
        assert services.desk.lease(s, seen_free, Reviewing(one.id, 1), now, until) is not None
    stale = desk.items()[0]  # what the second request read before the first one committed: its id
    with services.db.write_session() as s:
        assert services.desk.lease(s, stale, Reviewing(two.id, 2), now, until) is None
    # Once the lease has run out, another reviewer may take it.
    with services.db.write_session() as s:
        assert services.desk.lease(s, stale, Reviewing(two.id, 2), until, until + timedelta(minutes=5)) is not None
