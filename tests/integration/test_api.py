"""The capture API end to end: a real HTTP server, a real database, a clock the test moves.

Tests that leave the clock and the calendar alone share one server per database (``api``), each with people of its
own (``people``) and counting only what it adds; tests that move the clock, amend the calendar or need other
settings start their own (``own_api``).
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from sqlmodel import func, select

from convoca.runtime import build
from convoca.settings import Settings
from tests.helpers import free_port, healthy, utc, wait_for
from workflow.captures.model import IMAGE_PARTS
from workflow.captures.records import Capture
from workflow.captures.storage import CaptureImages
from workflow.clock import FixedClock
from workflow.participants.records import ApiToken, Aspirante, Gestor, Role
from workflow.storage.files import SealedBlobStore, configured_key
from workflow.storage.keys import Keyring

from .api_server import DURANGO, ROOT, ApiServer, Registered, image, new_clave, register, start_server

CLOSE = "2022-02-11T06:00:00Z"  # Durango's captación closes at the end of 10 Feb 2022, local time
AT = "2022-01-20T18:00:00Z"  # where every server of this module starts: inside both of Durango's windows


@dataclass
class People:
    admin: str
    aspirante_id: int
    aspirante: str
    other_aspirante_id: int
    other_aspirante: str
    gestor: str
    other_gestor: str


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[ApiServer]:
    """One server per database for the tests that neither move its clock nor change its calendar."""
    server = start_server(tmp_path_factory.mktemp("api"), utc(AT), database_url=module_database_url)
    yield server
    server.stop()


@pytest.fixture
def own_api(tmp_path: Path, database_url: str) -> Iterator[ApiServer]:
    """A server of the test's own, with a fresh database: for tests that move the clock or amend the calendar."""
    server = start_server(tmp_path, utc(AT), database_url=database_url)
    yield server
    server.stop()


def admin_token(server: ApiServer) -> str:
    return server.services.participants.issue_token(Role.admin, server.clock.now(), label="test").token


def register_people(server: ApiServer) -> People:
    """Two aspirantes of Durango — a Gubernatura (statewide) and an Ayuntamiento (Durango, group 1) — each with a
    gestor, all new."""
    admin = admin_token(server)
    gub = register(server.url, admin, name="Ana Gubernatura")
    ayto = register(server.url, admin, name="Luis Ayuntamiento", cargo="ayuntamiento", demarcacion="10005")
    return People(admin, gub.aspirante_id, gub.aspirante, ayto.aspirante_id, ayto.aspirante, gub.gestor, ayto.gestor)


@pytest.fixture
def people(api: ApiServer) -> People:
    return register_people(api)


@pytest.fixture
def own_people(own_api: ApiServer) -> People:
    return register_people(own_api)


def capture(**changes: object) -> dict:
    data = {
        "capture_id": str(uuid.uuid4()),
        "captured_at": "2022-01-20T11:30:00-06:00",
        "clave_elector": "LOPEMA80010110H123",
        "ocr": "0123" + "456789012",
        "cic": "123456789",
        "numero_emision": "02",
        "seccion": 123,
        "nombre": "MARÍA",
        "apellido_paterno": "LÓPEZ",
        "apellido_materno": "PÉREZ",
        "device_id": "tel-01",
        "app_version": "1.0.0",
        "capture_mode": "app",
    }
    data.update(changes)
    return data


IMAGES = {"anverso": image(seed=1), "reverso": image(seed=2), "foto": image(seed=3), "firma": image("png", seed=4)}
_SEEDS = itertools.count(1000)


def fresh_images() -> dict[str, bytes]:
    """Images no other test sends: their stored files are this test's alone (equal images share one file)."""
    seeds = [next(_SEEDS) for _ in range(4)]
    return {
        "anverso": image(seed=seeds[0]),
        "reverso": image(seed=seeds[1]),
        "foto": image(seed=seeds[2]),
        "firma": image("png", seed=seeds[3]),
    }


def post(client: httpx.Client, data: dict | str, images: dict[str, bytes] | None = None) -> httpx.Response:
    images = IMAGES if images is None else images
    files = {part: (f"{part}.bin", content, "application/octet-stream") for part, content in images.items()}
    text = data if isinstance(data, str) else json.dumps(data)
    return client.post("/captures", data={"data": text}, files=files)


def stored(api: ApiServer) -> int:
    """Captures stored on the server, by anyone: a test on a shared server compares it with the count before."""
    with api.services.db.write_session() as s:
        return s.exec(select(func.count()).select_from(Capture)).one()


def sealed_files(api: ApiServer) -> set[Path]:
    root = api.services.captures.blobs.root
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


# -- capture windows ------------------------------------------------------------------------------------------


def test_capture_one_second_before_and_at_the_close_in_local_time(own_api: ApiServer, own_people: People) -> None:
    own_api.clock.set(utc(CLOSE) - timedelta(seconds=1))  # 23:59:59 of 10 Feb in Durango
    with own_api.client(own_people.gestor) as c:
        before = post(c, capture(captured_at="2022-02-10T23:59:59-06:00"))
        assert before.status_code == 201, before.text
        receipt = before.json()
        assert receipt["late"] is False and receipt["folio"].startswith("IEPC-")
        assert receipt["received_at"] == "2022-02-11T05:59:59Z" and len(receipt["sha256"]) == 64
        own_api.clock.set(utc(CLOSE))  # 24:00: closed, even with no engine running to close it
        after = post(c, capture(captured_at="2022-02-11T00:00:00-06:00"))
    assert after.status_code == 409
    assert "cerró el 2022-02-10 24:00 CST" in after.json()["detail"]
    assert stored(own_api) == 1


def test_late_upload_inside_and_beyond_the_grace(own_api: ApiServer, own_people: People) -> None:
    taken_inside = "2022-02-10T22:15:00-06:00"
    with own_api.client(own_people.gestor) as c:
        own_api.clock.set(utc(CLOSE) + timedelta(hours=23, minutes=59))
        late = post(c, capture(captured_at=taken_inside))
        assert late.status_code == 201, late.text
        assert late.json()["late"] is True
        own_api.clock.set(utc(CLOSE) + timedelta(hours=24))
        beyond = post(c, capture(captured_at=taken_inside))
    assert beyond.status_code == 409
    assert "venció el 2022-02-11 24:00 CST" in beyond.json()["detail"]


def test_window_not_yet_open_and_capture_times_out_of_range(own_api: ApiServer, own_people: People) -> None:
    own_api.clock.set(utc("2022-01-11T12:00:00Z"))  # ayuntamientos open on 12 Jan
    with own_api.client(own_people.other_gestor) as c:
        early = post(c, capture(captured_at="2022-01-11T06:00:00-06:00"))
    assert early.status_code == 422 and "antes de que abriera" in early.json()["detail"]
    own_api.clock.set(utc("2022-01-20T18:00:00Z"))
    with own_api.client(own_people.gestor) as c:
        future = post(c, capture(captured_at="2022-01-20T13:00:00-06:00"))  # 1 h ahead of the server
    assert future.status_code == 422 and "en el futuro" in future.json()["detail"]
    assert future.json()["errors"][0]["field"] == "captured_at"


# -- idempotency ----------------------------------------------------------------------------------------------


def test_same_capture_id_same_content_returns_the_original_receipt(own_api: ApiServer, own_people: People) -> None:
    data = capture()
    with own_api.client(own_people.gestor) as c:
        first = post(c, data)
        own_api.clock.set(utc(CLOSE) + timedelta(days=5))  # even after the window closed
        again = post(c, data)
        other = post(c, {**data, "nombre": "OTRA"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert other.status_code == 409 and "ya se recibió con otro contenido" in other.json()["detail"]
    with own_api.client(own_people.other_gestor) as c:  # another gestor learns nothing about it
        foreign = post(c, data)
    assert foreign.status_code == 409 and first.json()["folio"] not in foreign.text
    assert stored(own_api) == 1


def test_twenty_concurrent_posts_of_one_capture_store_one(api: ApiServer, people: People) -> None:
    data = capture()
    before = stored(api)

    def send(_: int) -> httpx.Response:
        with api.client(people.gestor) as c:
            return post(c, data)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert sum(r.status_code == 201 for r in responses) == 1
    assert len({r.json()["folio"] for r in responses}) == 1
    assert stored(api) == before + 1


# -- validation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"clave_elector": "ABC123"}, "data.clave_elector", "18 caracteres"),
        ({"clave_elector": "LOPEMA80023010H123"}, "data.clave_elector", "no existe"),
        ({"clave_elector": "LOPEMA80010140H123"}, "data.clave_elector", "entre 01 y 32"),
        ({"ocr": "12345"}, "data.ocr", "formato"),
        ({"ocr": "0999456789012"}, "data", "no coincide con la sección"),
        ({"seccion": 0}, "data.seccion", "mayor o igual que 1"),
        ({"captured_at": "2022-01-20T11:30:00"}, "data.captured_at", ""),
        ({"cic": "12"}, "data.cic", "formato"),
        ({"capture_mode": "fax"}, "data.capture_mode", "no es un valor válido"),
        ({"extra": 1}, "data.extra", "clave desconocida"),
        ({"nombre": ""}, "data.nombre", "no puede estar vacío"),
    ],
)
def test_invalid_data_is_refused_naming_the_field(
    api: ApiServer, people: People, changes: dict, field: str, fragment: str
) -> None:
    before = stored(api)
    with api.client(people.gestor) as c:
        r = post(c, capture(**changes))
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    assert stored(api) == before


def test_invalid_images_and_parts(api: ApiServer, people: People) -> None:
    images = fresh_images()  # never stored before: a partial write would show as a new file
    before, files_before = stored(api), sealed_files(api)
    with api.client(people.gestor) as c:
        cases = {
            "no JSON": post(c, "{no es json", images),
            "paper": post(c, capture(capture_mode="papel"), images),
            "missing": post(c, capture(), {k: v for k, v in images.items() if k != "firma"}),
            "not an image": post(c, capture(), {**images, "foto": b"GIF89a" + b"\0" * 100}),
            "corrupt": post(c, capture(), {**images, "reverso": images["reverso"][:300]}),
            "tiny": post(c, capture(), {**images, "anverso": image(width=16, height=16)}),
            "too big": post(c, capture(), {**images, "anverso": b"\xff\xd8\xff" + b"\0" * (4 * 1024 * 1024 + 1)}),
            "too many pixels": post(c, capture(), {**images, "foto": _png_header(8000, 4000)}),
        }
    expected = {
        "no JSON": (422, "data", "no es JSON válido"),
        "paper": (422, "capture_mode", "régimen de excepción"),
        "missing": (422, "firma", "falta la parte «firma»"),
        "not an image": (422, "foto", "«foto» debe ser JPEG o PNG"),
        "corrupt": (422, "reverso", "«reverso» está dañada"),
        "tiny": (422, "anverso", "es demasiado pequeña"),
        "too big": (413, "anverso", "el máximo es 4,194,304 bytes"),
        "too many pixels": (413, "foto", "mide 8000×4000 píxeles"),
    }
    for name, r in cases.items():
        status, field, fragment = expected[name]
        assert r.status_code == status, (name, r.text)
        errors = r.json()["errors"]
        assert any(e["field"] == field and fragment in e["message"] for e in errors), (name, errors)
    assert stored(api) == before
    assert sealed_files(api) == files_before  # nothing partial was written


def _png_header(width: int, height: int) -> bytes:
    """A PNG that announces a huge bitmap (it is refused before decoding)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk)) + b"\0" * 64


# -- reading ----------------------------------------------------------------------------------------------------


def test_process_detail_shows_phases_and_open_windows(api: ApiServer) -> None:
    with api.client() as c:
        listed = c.get("/processes").json()
        detail = c.get(f"/processes/{DURANGO}").json()
        ics = c.get(f"/processes/{DURANGO}/calendar.ics")
        yaml = c.get(f"/processes/{DURANGO}/calendar.yaml")
        missing = c.get("/processes/no-existe")
        no_route = c.get("/nada")
        wrong_method = c.delete("/processes")
    assert [p["id"] for p in listed] == [DURANGO]
    assert detail["now"] == AT and detail["state"] == "en curso"
    windows = {w["phase_id"]: w for w in detail["open_windows"]}
    assert set(windows) == {"captacion-gubernatura", "captacion-ayuntamientos"}
    assert windows["captacion-gubernatura"]["closes_utc"] == CLOSE
    assert windows["captacion-gubernatura"]["closes_local"] == "2022-02-10 24:00 CST"
    phase = next(p for p in detail["phases"] if p["id"] == "captacion-ayuntamientos")
    assert phase["start_local"] == "2022-01-12T00:00:00-06:00" and phase["state"] == "abierta"
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert b"TZID=America/Monterrey" in ics.content
    assert yaml.text == (ROOT / "calendars" / "durango-2021-2022.yaml").read_text()
    assert missing.status_code == 404 and missing.json()["detail"] == "el proceso «no-existe» no existe"
    assert no_route.status_code == 404 and no_route.json()["detail"] == "no existe el recurso solicitado"
    assert wrong_method.status_code == 405 and wrong_method.json()["detail"] == "método no permitido en esta ruta"


def test_progress_counts_what_arrived(api: ApiServer, people: People) -> None:
    with api.client(people.gestor) as c:
        for seccion in (123, 123, 456):
            assert post(c, capture(seccion=seccion, ocr=f"{seccion:04d}456789012")).status_code == 201
    with api.client(people.aspirante) as c:
        progress = c.get(f"/aspirantes/{people.aspirante_id}/progress").json()
    assert progress["received"] == 3 and progress["late"] == 0
    assert progress["required"] == 13079 and progress["window_state"] == "abierta"
    assert progress["by_seccion"] == [{"key": "123", "count": 2}, {"key": "456", "count": 1}]
    assert progress["window_closes_utc"] == CLOSE


# -- amendments through the API -------------------------------------------------------------------------------


def test_calendar_amendment_through_the_api(own_api: ApiServer, own_people: People) -> None:
    text = (ROOT / "calendars" / "durango-2021-2022.yaml").read_text()
    extended = text.replace(
        "    end: 2022-02-10\n    late_upload_grace_hours: 24   # en 2018",
        "    end: 2022-02-12\n    late_upload_grace_hours: 24   # en 2018",
    ).replace("    start: 2022-02-11\n", "    start: 2022-02-13\n")
    assert extended.count("2022-02-12") == 1 and "start: 2022-02-13" in extended
    url = f"/processes/{DURANGO}/calendar"
    with own_api.client(own_people.admin) as c:
        no_reason = c.put(url, content=extended)
        ok = c.put(url, content=extended, headers={"X-Reason": "IEPC/CG010/2022"})
        broken = c.put(url, content=text.replace("kind: dictamen", "kind: dictamne"), headers={"X-Reason": "x"})
        other = c.put("/processes/otro/calendar", content=text, headers={"X-Reason": "x"})
    assert no_reason.status_code == 422 and "X-Reason" in no_reason.json()["detail"]
    assert ok.status_code == 200, ok.text
    assert ok.json()["calendar_version"] == 2
    assert broken.status_code == 422
    (problem,) = broken.json()["errors"]
    assert problem["line"] == text[: text.index("kind: dictamen")].count("\n") + 1 and problem["column"] == 11
    assert "dictamne" in problem["message"]
    assert other.status_code == 404
    # The extension is in force at once: a capture after the old close is accepted.
    own_api.clock.set(utc(CLOSE) + timedelta(hours=1))
    with own_api.client(own_people.gestor) as c:
        assert post(c, capture(captured_at="2022-02-11T00:30:00-06:00")).status_code == 201
    # Reopening the closed window is refused, naming the phase.
    own_api.clock.set(utc("2022-02-14T00:00:00Z"))
    with own_api.client(own_people.admin) as c:
        reopen = c.put(url, content=text, headers={"X-Reason": "volver"})
    assert reopen.status_code == 422
    assert any("captacion-gubernatura" in p["message"] for p in reopen.json()["errors"])
    with own_api.client(own_people.aspirante) as c:
        assert c.put(url, content=text, headers={"X-Reason": "x"}).status_code == 403


# -- documents -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_documents_are_public_with_etag_and_versions(api: ApiServer) -> None:
    version, _ = api.services.documents.generate(DURANGO, "convocatoria", api.clock.now())
    api.services.documents.generate(DURANGO, "protocolo", api.clock.now())  # not published: not listed
    admin = {"Authorization": f"Bearer {admin_token(api)}"}
    with api.client() as c:
        # Durango's calendar has unconfirmed values: its convocatoria is a PROYECTO, refused unless forced.
        refused = c.post(f"/processes/{DURANGO}/documents/convocatoria/publish", json={}, headers=admin)
        no_reason = c.post(
            f"/processes/{DURANGO}/documents/convocatoria/publish", json={"force": True, "reason": " "}, headers=admin
        )
        not_admin = c.post(f"/processes/{DURANGO}/documents/convocatoria/publish", json={"force": True, "reason": "x"})
        assert c.get(f"/processes/{DURANGO}/documents").json() == []
        forced = c.post(
            f"/processes/{DURANGO}/documents/convocatoria/publish",
            json={"force": True, "reason": "Acuerdo IEPC/CG001/2021: se publica con fechas por confirmar"},
            headers=admin,
        )
        listed = c.get(f"/processes/{DURANGO}/documents").json()
        latest = c.get(f"/processes/{DURANGO}/documents/convocatoria")
        cached = c.get(f"/processes/{DURANGO}/documents/convocatoria", headers={"If-None-Match": f'"{version.sha256}"'})
        by_id = c.get(f"/documents/{version.id}")
        by_number = c.get(f"/processes/{DURANGO}/documents/convocatoria", params={"version": 1})
        missing_version = c.get(f"/processes/{DURANGO}/documents/convocatoria", params={"version": 7})
        unpublished = c.get(f"/processes/{DURANGO}/documents/protocolo")
        unknown_kind = c.get(f"/processes/{DURANGO}/documents/dictamen")
    assert refused.status_code == 409 and "PROYECTO" in refused.json()["detail"]
    assert no_reason.status_code == 422 and not_admin.status_code == 401
    assert forced.status_code == 200 and forced.json()["draft"] is True
    assert forced.json()["forced_reason"] == "Acuerdo IEPC/CG001/2021: se publica con fechas por confirmar"
    stored = api.services.documents.get(version.id)
    assert stored is not None and stored.forced_by == "api:token-" + stored.forced_by.rsplit("-", 1)[1]
    assert [d["kind"] for d in listed] == ["convocatoria"]
    assert listed[0]["forced_reason"].startswith("Acuerdo IEPC/CG001/2021")
    assert listed[0]["sha256"] == version.sha256 and listed[0]["url"] == f"/api/v1/documents/{version.id}"
    assert latest.status_code == 200 and latest.headers["content-type"] == "application/pdf"
    assert latest.headers["etag"] == f'"{version.sha256}"' and latest.headers["x-content-sha256"] == version.sha256
    assert latest.headers["content-disposition"] == 'attachment; filename="convocatoria-durango-2021-2022-v1.pdf"'
    assert latest.content.startswith(b"%PDF-") and len(latest.content) == version.size
    assert cached.status_code == 304 and cached.content == b""
    assert by_id.content == latest.content == by_number.content
    assert missing_version.status_code == 404 and unpublished.status_code == 404 and unknown_kind.status_code == 404


# -- who may do what ----------------------------------------------------------------------------------------------

# For each route: who may call it, and the status of a well-formed request by someone allowed. "public" routes take
# any caller (whatever token it sends); the others refuse no token, a revoked or an expired token (401), and any
# other role or someone else's data (403), before reading the body.
ROUTES = [
    ("GET", "/processes", "public", 200),
    ("GET", f"/processes/{DURANGO}", "public", 200),
    ("GET", f"/processes/{DURANGO}/calendar.ics", "public", 200),
    ("GET", f"/processes/{DURANGO}/calendar.yaml", "public", 200),
    ("GET", f"/processes/{DURANGO}/documents", "public", 200),
    ("PUT", f"/processes/{DURANGO}/calendar", {"admin"}, 200),
    ("POST", f"/processes/{DURANGO}/aspirantes", {"admin"}, 201),
    ("POST", "/aspirantes/{own}/gestores", {"aspirante"}, 201),
    ("POST", "/captures", {"gestor"}, 201),
    ("GET", "/aspirantes/{own}/progress", {"admin", "aspirante"}, 200),
    ("GET", f"/processes/{DURANGO}/verification", {"admin"}, 200),
    ("POST", f"/processes/{DURANGO}/verification", {"admin"}, 409),  # no roll loaded in this module
]
CALLERS = ["nobody", "admin", "aspirante", "other_aspirante", "gestor", "revoked", "expired"]
ROLE_OF = {"admin": "admin", "aspirante": "aspirante", "other_aspirante": "aspirante", "gestor": "gestor"}
UNAUTHENTICATED = (
    "falta el token: envíe el encabezado «Authorization: Bearer TOKEN»",
    "el token no es válido, fue revocado o ya venció",
)


def well_formed(c: httpx.Client, method: str, path: str) -> httpx.Response:
    """A request the route would carry out for a caller it allows."""
    if path == "/captures":
        return post(c, capture())
    if path.endswith("/calendar"):  # the text in force: accepted, and nothing changes
        text = (ROOT / "calendars" / "durango-2021-2022.yaml").read_text()
        return c.put(path, content=text, headers={"X-Reason": "IEPC/CG000/2022 (prueba)"})
    if path.endswith("/aspirantes"):
        return c.post(
            path,
            json={"name": "Eva Matriz", "cargo": "gubernatura", "demarcacion": "10", "constancia_date": "2021-12-20"},
        )
    if path.endswith("/gestores"):
        return c.post(path, json={"name": "Gestor Matriz", "clave_elector": new_clave()})
    if method == "POST" and path.endswith("/verification"):
        return c.post(path, params={"cargo": "gubernatura"})
    assert method == "GET", (method, path)
    return c.get(path)


def expected_status(caller: str, template: str, allowed: str | set[str], ok: int) -> int:
    if allowed == "public":
        return ok
    if caller in ("nobody", "revoked", "expired"):
        return 401
    if ROLE_OF[caller] not in allowed or (caller == "other_aspirante" and "{own}" in template):
        return 403
    return ok


def rows(api: ApiServer, table: type) -> int:
    with api.services.db.read_session() as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_authorization_matrix(api: ApiServer, people: People) -> None:
    now = api.clock.now()
    participants = api.services.participants
    revoked = participants.issue_token(Role.admin, now)
    participants.revoke(revoked.record.id, now)
    expired = participants.issue_token(Role.admin, now - timedelta(hours=2), ttl=timedelta(hours=1))
    tokens = {
        "nobody": None,
        "admin": people.admin,
        "aspirante": people.aspirante,
        "other_aspirante": people.other_aspirante,
        "gestor": people.gestor,
        "revoked": revoked.token,
        "expired": expired.token,
    }
    before = {table: rows(api, table) for table in (Capture, Aspirante, Gestor)}
    failures = []
    for method, template, allowed, ok in ROUTES:
        path = template.replace("{own}", str(people.aspirante_id))
        for caller in CALLERS:
            with api.client(tokens[caller]) as c:
                r = well_formed(c, method, path)
            expected = expected_status(caller, template, allowed, ok)
            if r.status_code != expected:
                failures.append(f"{method} {path} as {caller}: {r.status_code} (expected {expected}): {r.text[:200]}")
            elif expected == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert r.json()["detail"] in UNAUTHENTICATED, r.text
            elif expected == 403:
                detail = r.json()["detail"]
                if ROLE_OF[caller] in allowed:  # the right role, someone else's data
                    assert detail == "solo puede consultar o modificar sus propios datos", (method, path, caller)
                else:
                    assert detail.startswith("esta operación es para el rol "), (method, path, caller, detail)
                    assert detail.endswith(f", no para {ROLE_OF[caller]}"), (method, path, caller, detail)
    assert failures == []
    # Each refused request stored nothing: only the one allowed caller of each POST created a row.
    assert {table: rows(api, table) - n for table, n in before.items()} == {Capture: 1, Aspirante: 1, Gestor: 1}
    assert api.services.calendars.active(DURANGO).version.number == 1  # the PUT of the text in force changed nothing


def test_registered_aspirantes_protect_their_cargo_and_constancia_dates_are_checked(
    api: ApiServer, people: People
) -> None:
    text = (ROOT / "calendars" / "durango-2021-2022.yaml").read_text()
    renamed = text.replace("  - id: gubernatura\n", "  - id: gubernatura-2022\n").replace(
        "cargos: [gubernatura]", "cargos: [gubernatura-2022]"
    )
    with api.client(people.admin) as c:
        refused = c.put(f"/processes/{DURANGO}/calendar", content=renamed, headers={"X-Reason": "x"})
        out_of_process = c.post(
            f"/processes/{DURANGO}/aspirantes",
            json={"name": "X", "cargo": "gubernatura", "demarcacion": "10", "constancia_date": "9999-12-31"},
        )
    assert refused.status_code == 422
    assert any("«gubernatura» tiene aspirantes registrados" in e["message"] for e in refused.json()["errors"])
    assert out_of_process.status_code == 422
    assert out_of_process.json()["errors"][0]["field"] == "constancia_date"
    with api.client(people.gestor) as c:  # the calendar in force is unchanged: captures still work
        assert post(c, capture()).status_code == 201


def test_control_characters_and_malformed_ids_are_refused(api: ApiServer, people: People) -> None:
    with api.client(people.admin) as c:
        nul = c.post(
            f"/processes/{DURANGO}/aspirantes",
            json={"name": "Ana\u0000", "cargo": "gubernatura", "demarcacion": "10", "constancia_date": "2021-12-20"},
        )
        odd_id = c.get("/processes/DURANGO%00")
    assert nul.status_code == 422 and "carácter de control" in nul.json()["errors"][0]["message"]
    assert odd_id.status_code == 400
    with api.client(people.gestor) as c:
        r = post(c, capture(device_id="tel\u0000"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "data.device_id"


def test_capture_images_are_encrypted_at_rest(api: ApiServer, people: People) -> None:
    images = fresh_images()
    files_before = sealed_files(api)
    with api.client(people.gestor) as c:
        assert post(c, capture(), images).status_code == 201
    with api.services.db.read_session() as s:
        row = s.exec(select(Capture).where(Capture.aspirante_id == people.aspirante_id)).one()
    blobs = api.services.captures.blobs
    for part in IMAGE_PARTS:  # what the review desk reads, byte for byte
        assert api.services.captures.image(row, part) == images[part]
    files = sealed_files(api) - files_before
    # The four images are one record of one group file, and nothing of them is readable at rest.
    assert len(files) == 1 and all(p.name.endswith(".sealed") for p in files)
    assert not any(images[part][-64:] in p.read_bytes() for p in files for part in IMAGE_PARTS)
    # Without CONVOCA_CAPTURE_KEY the key is a file of the data folder that only its owner may read.
    assert (blobs.root.parent / "keys" / "captures.key").stat().st_mode & 0o777 == 0o600


# -- gestores ---------------------------------------------------------------------------------------------------

ONE_ASPIRANTE = (
    "esa persona ya está registrada como gestor en este proceso; un gestor sirve a una sola persona aspirante"
)


def test_a_person_is_gestor_of_one_aspirante_only(api: ApiServer, people: People) -> None:
    first = register(api.url, people.admin)
    tokens_before = rows(api, ApiToken)
    # The same person (clave de elector) again: for the same aspirante, or for another one of the process.
    for aspirante_id, token in ((first.aspirante_id, first.aspirante), (people.aspirante_id, people.aspirante)):
        with api.client(token) as c:
            again = c.post(
                f"/aspirantes/{aspirante_id}/gestores", json={"name": "Pedro Otra Vez", "clave_elector": first.clave}
            )
        assert again.status_code == 409, again.text
        assert again.json()["detail"] == ONE_ASPIRANTE
        assert [e["field"] for e in again.json()["errors"]] == ["clave_elector"], again.json()
    with api.services.db.read_session() as s:
        lookup = api.services.participants.keyring.lookup(first.clave)
        gestores = s.exec(select(Gestor).where(Gestor.clave_lookup == lookup)).all()
    assert [(g.id, g.aspirante_id) for g in gestores] == [(first.gestor_id, first.aspirante_id)]
    assert rows(api, ApiToken) == tokens_before  # no token was issued for a refused registration
    with api.client(first.gestor) as c:  # the first registration stands
        assert post(c, capture()).status_code == 201


# -- per-aspirante windows (from the constancia) ------------------------------------------------------------------

QROO = "synthetic-quintana-roo-2022"


@pytest.fixture
def qroo_api(tmp_path: Path, database_url: str, synthetic_path: Path) -> Iterator[ApiServer]:
    """A server whose calendars folder holds the synthetic Quintana Roo calendar: each aspirante a diputación gets
    their window from their constancia, for window_days (30), within the phase (20 Jan – 5 Mar 2022, Cancún time)."""
    calendars = tmp_path / "calendars"
    calendars.mkdir()
    shutil.copy(synthetic_path, calendars)
    server = start_server(
        tmp_path / "data", utc("2022-01-24T12:00:00Z"), database_url=database_url, calendars_dir=calendars
    )
    yield server
    server.stop()


def progress_of(api: ApiServer, who: Registered) -> dict:
    with api.client(who.aspirante) as c:
        r = c.get(f"/aspirantes/{who.aspirante_id}/progress")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_window_from_the_constancia_opens_and_closes_per_aspirante(qroo_api: ApiServer) -> None:
    api = qroo_api
    admin = admin_token(api)
    with api.client() as c:
        assert [p["id"] for p in c.get("/processes").json()] == [QROO]
    # Constancia on 25 Jan: the window opens that day at 00:00 (Cancún, UTC−5) and lasts 30 days, to 23 Feb 24:00.
    late_one = register(
        api.url, admin, process=QROO, cargo="diputacion", demarcacion="02", constancia_date="2022-01-25"
    )
    # Constancia before the phase opened: the window opens with the phase (20 Jan) and still lasts 30 days.
    early_one = register(
        api.url, admin, process=QROO, cargo="diputacion", demarcacion="02", constancia_date="2022-01-10"
    )
    mine = progress_of(api, late_one)
    assert (mine["window_opens_utc"], mine["window_closes_utc"]) == ("2022-01-25T05:00:00Z", "2022-02-24T05:00:00Z")
    assert mine["window_state"] == "pendiente"
    theirs = progress_of(api, early_one)
    assert (theirs["window_opens_utc"], theirs["window_closes_utc"]) == ("2022-01-20T05:00:00Z", "2022-02-19T05:00:00Z")
    assert theirs["window_state"] == "abierta"

    def send(who: Registered, captured_at: str) -> httpx.Response:
        with api.client(who.gestor) as c:
            return post(c, capture(captured_at=captured_at))

    # 24 Jan: the phase is open, and so is the window of the one with the earlier constancia; not this one's.
    before = send(late_one, "2022-01-24T06:30:00-05:00")
    assert before.status_code == 422, before.text
    assert "antes de que abriera el periodo" in before.json()["detail"]
    assert "(2022-01-25 00:00 EST)" in before.json()["detail"]
    assert send(early_one, "2022-01-24T06:30:00-05:00").status_code == 201
    # Two minutes before it opens, a capture stamped just after the opening (a device clock a little ahead): 409.
    api.clock.set(utc("2022-01-25T04:58:00Z"))
    not_yet = send(late_one, "2022-01-25T00:01:00-05:00")
    assert not_yet.status_code == 409, not_yet.text
    assert "aún no abre: abre el 2022-01-25 00:00 EST" in not_yet.json()["detail"]
    # From its first second to its last, accepted.
    api.clock.set(utc("2022-01-25T05:00:00Z"))
    assert send(late_one, "2022-01-25T00:00:00-05:00").status_code == 201
    api.clock.set(utc("2022-02-24T04:59:59Z"))
    last = send(late_one, "2022-02-23T23:59:59-05:00")
    assert last.status_code == 201 and last.json()["late"] is False
    assert progress_of(api, late_one)["window_state"] == "abierta"
    # After window_days it is closed for this aspirante, although the phase itself stays open until 5 March.
    api.clock.set(utc("2022-02-24T05:00:00Z"))
    with api.client() as c:
        detail = c.get(f"/processes/{QROO}").json()
    assert "captacion-diputaciones" in {w["phase_id"] for w in detail["open_windows"]}
    after = send(late_one, "2022-02-24T00:00:00-05:00")
    assert after.status_code == 409, after.text
    assert "cerró el 2022-02-23 24:00 EST" in after.json()["detail"]
    # A capture taken inside the window may still arrive within the phase's 12 hours of grace, and no later.
    assert send(late_one, "2022-02-23T23:00:00-05:00").json()["late"] is True
    assert progress_of(api, late_one)["window_state"] == "plazo de gracia"
    api.clock.set(utc("2022-02-24T17:00:00Z"))
    beyond = send(late_one, "2022-02-23T23:00:00-05:00")
    assert beyond.status_code == 409 and "venció el 2022-02-24 12:00 EST" in beyond.json()["detail"], beyond.text
    final = progress_of(api, late_one)
    assert (final["received"], final["late"], final["window_state"]) == (3, 1, "cerrada")
    assert (final["window_opens_utc"], final["window_closes_utc"]) == ("2022-01-25T05:00:00Z", "2022-02-24T05:00:00Z")
    assert progress_of(api, early_one)["received"] == 1


# -- the capture key --------------------------------------------------------------------------------------------

BAD_KEY = "CONVOCA_CAPTURE_KEY debe ser la codificación base64 de 32 bytes"
CONVOCA = str(Path(sys.executable).parent / "convoca")


def test_a_configured_capture_key_encrypts_the_images_and_no_key_file_is_made(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    server = start_server(tmp_path, utc(AT), capture_key=base64.b64encode(key).decode())
    try:
        who = register(server.url, admin_token(server))
        images = fresh_images()
        with server.client(who.gestor) as c:
            assert post(c, capture(), images).status_code == 201
        with server.services.db.read_session() as s:
            row = s.exec(select(Capture)).one()
    finally:
        server.stop()
    assert not (tmp_path / "keys").exists()
    root = tmp_path / "captures"
    with_key = CaptureImages(SealedBlobStore(root, Keyring(key)))
    assert {p for p in root.rglob("*") if p.is_file()} == set(with_key.paths(row))
    assert with_key.read(row) == images
    # Another key cannot decrypt the record, nor can the record be moved to another capture's place.
    other = CaptureImages(SealedBlobStore(root, Keyring(secrets.token_bytes(32))))
    with pytest.raises(InvalidTag):
        other.read(row)
    with pytest.raises(InvalidTag):
        with_key.read({**row.model_dump(), "capture_id": str(uuid.uuid4())})


@pytest.mark.parametrize("length", [16, 31, 33, 64])
def test_a_capture_key_of_another_length_is_refused_in_spanish(tmp_path: Path, length: int) -> None:
    value = base64.b64encode(secrets.token_bytes(length)).decode()
    with pytest.raises(ValueError, match=f"^{BAD_KEY}$"):
        configured_key(value)
    # The same through the settings: the server's start-up stops there, before any capture could fail on it.
    with pytest.raises(ValueError, match=f"^{BAD_KEY}$"):
        build(FixedClock(utc(AT)), Settings(data_dir=tmp_path, capture_key=value))
    assert not (tmp_path / "keys").exists() and not (tmp_path / "captures").exists()


@pytest.mark.parametrize("value", ["no es base64", "abc", base64.b64encode(secrets.token_bytes(32)).decode() + "!"])
def test_a_capture_key_that_is_not_base64_is_refused_in_spanish(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValueError, match=f"^{BAD_KEY}$"):
        configured_key(value)


def test_a_server_given_an_invalid_capture_key_refuses_to_start(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "CONVOCA_DATA_DIR": str(tmp_path),
        "CONVOCA_CAPTURE_KEY": base64.b64encode(secrets.token_bytes(16)).decode(),
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [CONVOCA, "serve", "--port", str(port), "--clock", "fixed", "--at", AT, "--no-engine"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: process.poll() is not None or healthy(f"http://127.0.0.1:{port}"), timeout=30)
        code = process.poll()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
    assert code not in (None, 0), "the server started with an invalid key"
    assert BAD_KEY in log.read_text()
