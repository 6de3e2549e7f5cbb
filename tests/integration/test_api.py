"""The capture API end to end: a real HTTP server, a real database, a clock the test moves."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from workflow.captures.records import Capture
from workflow.participants.records import Role

from .api_server import ROOT, ApiServer, image, start_server

DURANGO = "durango-2021-2022"
CLOSE = "2022-02-11T06:00:00Z"  # Durango's captación closes at the end of 10 Feb 2022, local time


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class People:
    admin: str
    aspirante_id: int
    aspirante: str
    other_aspirante_id: int
    other_aspirante: str
    gestor: str
    other_gestor: str


@pytest.fixture
def api(tmp_path: Path, database_url: str) -> Iterator[ApiServer]:
    server = start_server(tmp_path, utc("2022-01-20T18:00:00Z"), database_url=database_url)
    yield server
    server.stop()


@pytest.fixture
def people(api: ApiServer) -> People:
    now = api.clock.now()
    admin = api.services.participants.issue_token(Role.admin, now, label="test").token
    with api.client(admin) as c:
        gub = c.post(
            f"/processes/{DURANGO}/aspirantes",
            json={
                "name": "Ana Gubernatura",
                "cargo": "gubernatura",
                "demarcacion": "10",
                "constancia_date": "2021-12-20",
            },
        )
        ayto = c.post(
            f"/processes/{DURANGO}/aspirantes",
            json={
                "name": "Luis Ayuntamiento",
                "cargo": "ayuntamiento",
                "demarcacion": "10005",
                "constancia_date": "2021-12-20",
            },
        )
    assert gub.status_code == 201, gub.text
    assert ayto.status_code == 201, ayto.text
    tokens = []
    for aspirante, clave in ((gub.json(), "GOMEJU85031210H300"), (ayto.json(), "PEREMA90120310M100")):
        with api.client(aspirante["token"]) as c:
            g = c.post(f"/aspirantes/{aspirante['id']}/gestores", json={"name": "Gestor", "clave_elector": clave})
        assert g.status_code == 201, g.text
        tokens.append(g.json()["token"])
    return People(admin, gub.json()["id"], gub.json()["token"], ayto.json()["id"], ayto.json()["token"], *tokens)


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


def post(client: httpx.Client, data: dict | str, images: dict[str, bytes] | None = None) -> httpx.Response:
    images = IMAGES if images is None else images
    files = {part: (f"{part}.bin", content, "application/octet-stream") for part, content in images.items()}
    text = data if isinstance(data, str) else json.dumps(data)
    return client.post("/captures", data={"data": text}, files=files)


def stored(api: ApiServer) -> int:
    with api.services.db.write_session() as s:
        return s.exec(select(func.count()).select_from(Capture)).one()


# -- capture windows ------------------------------------------------------------------------------------------


def test_capture_one_second_before_and_at_the_close_in_local_time(api: ApiServer, people: People) -> None:
    api.clock.set(utc(CLOSE) - timedelta(seconds=1))  # 23:59:59 of 10 Feb in Durango
    with api.client(people.gestor) as c:
        before = post(c, capture(captured_at="2022-02-10T23:59:59-06:00"))
        assert before.status_code == 201, before.text
        receipt = before.json()
        assert receipt["late"] is False and receipt["folio"].startswith("IEPC-")
        assert receipt["received_at"] == "2022-02-11T05:59:59Z" and len(receipt["sha256"]) == 64
        api.clock.set(utc(CLOSE))  # 24:00: closed, even with no engine running to close it
        after = post(c, capture(captured_at="2022-02-11T00:00:00-06:00"))
    assert after.status_code == 409
    assert "cerró el 2022-02-10 24:00 CST" in after.json()["detail"]
    assert stored(api) == 1


def test_late_upload_inside_and_beyond_the_grace(api: ApiServer, people: People) -> None:
    taken_inside = "2022-02-10T22:15:00-06:00"
    with api.client(people.gestor) as c:
        api.clock.set(utc(CLOSE) + timedelta(hours=23, minutes=59))
        late = post(c, capture(captured_at=taken_inside))
        assert late.status_code == 201, late.text
        assert late.json()["late"] is True
        api.clock.set(utc(CLOSE) + timedelta(hours=24))
        beyond = post(c, capture(captured_at=taken_inside))
    assert beyond.status_code == 409
    assert "venció el 2022-02-11 24:00 CST" in beyond.json()["detail"]


def test_window_not_yet_open_and_capture_times_out_of_range(api: ApiServer, people: People) -> None:
    api.clock.set(utc("2022-01-11T12:00:00Z"))  # ayuntamientos open on 12 Jan
    with api.client(people.other_gestor) as c:
        early = post(c, capture(captured_at="2022-01-11T06:00:00-06:00"))
    assert early.status_code == 422 and "antes de que abriera" in early.json()["detail"]
    api.clock.set(utc("2022-01-20T18:00:00Z"))
    with api.client(people.gestor) as c:
        future = post(c, capture(captured_at="2022-01-20T13:00:00-06:00"))  # 1 h ahead of the server
    assert future.status_code == 422 and "en el futuro" in future.json()["detail"]
    assert future.json()["errors"][0]["field"] == "captured_at"


# -- idempotency ----------------------------------------------------------------------------------------------


def test_same_capture_id_same_content_returns_the_original_receipt(api: ApiServer, people: People) -> None:
    data = capture()
    with api.client(people.gestor) as c:
        first = post(c, data)
        api.clock.set(utc(CLOSE) + timedelta(days=5))  # even after the window closed
        again = post(c, data)
        other = post(c, {**data, "nombre": "OTRA"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert other.status_code == 409 and "ya se recibió con otro contenido" in other.json()["detail"]
    with api.client(people.other_gestor) as c:  # another gestor learns nothing about it
        foreign = post(c, data)
    assert foreign.status_code == 409 and first.json()["folio"] not in foreign.text
    assert stored(api) == 1


def test_twenty_concurrent_posts_of_one_capture_store_one(api: ApiServer, people: People) -> None:
    data = capture()

    def send(_: int) -> httpx.Response:
        with api.client(people.gestor) as c:
            return post(c, data)

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(send, range(20)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert sum(r.status_code == 201 for r in responses) == 1
    assert len({r.json()["folio"] for r in responses}) == 1
    assert stored(api) == 1


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
    with api.client(people.gestor) as c:
        r = post(c, capture(**changes))
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == field and fragment in e["message"] for e in errors), errors
    assert stored(api) == 0


def test_invalid_images_and_parts(api: ApiServer, people: People) -> None:
    files_dir = api.services.captures.blobs.root
    with api.client(people.gestor) as c:
        cases = {
            "no JSON": post(c, "{no es json"),
            "paper": post(c, capture(capture_mode="papel")),
            "missing": post(c, capture(), {k: v for k, v in IMAGES.items() if k != "firma"}),
            "not an image": post(c, capture(), {**IMAGES, "foto": b"GIF89a" + b"\0" * 100}),
            "corrupt": post(c, capture(), {**IMAGES, "reverso": IMAGES["reverso"][:300]}),
            "tiny": post(c, capture(), {**IMAGES, "anverso": image(width=16, height=16)}),
            "too big": post(c, capture(), {**IMAGES, "anverso": b"\xff\xd8\xff" + b"\0" * (4 * 1024 * 1024 + 1)}),
            "too many pixels": post(c, capture(), {**IMAGES, "foto": _png_header(8000, 4000)}),
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
    assert stored(api) == 0
    assert not files_dir.exists() or not any(files_dir.rglob("*.*"))  # nothing partial was written


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
    assert detail["now"] == "2022-01-20T18:00:00Z" and detail["state"] == "en curso"
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
    assert progress["required"] == 13386 and progress["window_state"] == "abierta"
    assert progress["by_seccion"] == [{"key": "123", "count": 2}, {"key": "456", "count": 1}]
    assert progress["window_closes_utc"] == CLOSE


# -- amendments through the API -------------------------------------------------------------------------------


def test_calendar_amendment_through_the_api(api: ApiServer, people: People) -> None:
    text = (ROOT / "calendars" / "durango-2021-2022.yaml").read_text()
    extended = text.replace(
        "    end: 2022-02-10\n    late_upload_grace_hours: 24   # [no confirmada] en 2018",
        "    end: 2022-02-12\n    late_upload_grace_hours: 24   # [no confirmada] en 2018",
    ).replace("    start: 2022-02-11   # [no confirmada]\n", "    start: 2022-02-13\n")
    url = f"/processes/{DURANGO}/calendar"
    with api.client(people.admin) as c:
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
    api.clock.set(utc(CLOSE) + timedelta(hours=1))
    with api.client(people.gestor) as c:
        assert post(c, capture(captured_at="2022-02-11T00:30:00-06:00")).status_code == 201
    # Reopening the closed window is refused, naming the phase.
    api.clock.set(utc("2022-02-14T00:00:00Z"))
    with api.client(people.admin) as c:
        reopen = c.put(url, content=text, headers={"X-Reason": "volver"})
    assert reopen.status_code == 422
    assert any("captacion-gubernatura" in p["message"] for p in reopen.json()["errors"])
    with api.client(people.aspirante) as c:
        assert c.put(url, content=text, headers={"X-Reason": "x"}).status_code == 403


# -- documents -------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_documents_are_public_with_etag_and_versions(api: ApiServer) -> None:
    version, _ = api.services.documents.generate(DURANGO, "convocatoria", api.clock.now(), publish=True)
    api.services.documents.generate(DURANGO, "protocolo", api.clock.now())  # not published: not listed
    with api.client() as c:
        listed = c.get(f"/processes/{DURANGO}/documents").json()
        latest = c.get(f"/processes/{DURANGO}/documents/convocatoria")
        cached = c.get(f"/processes/{DURANGO}/documents/convocatoria", headers={"If-None-Match": f'"{version.sha256}"'})
        by_id = c.get(f"/documents/{version.id}")
        by_number = c.get(f"/processes/{DURANGO}/documents/convocatoria", params={"version": 1})
        missing_version = c.get(f"/processes/{DURANGO}/documents/convocatoria", params={"version": 7})
        unpublished = c.get(f"/processes/{DURANGO}/documents/protocolo")
        unknown_kind = c.get(f"/processes/{DURANGO}/documents/dictamen")
    assert [d["kind"] for d in listed] == ["convocatoria"]
    assert listed[0]["sha256"] == version.sha256 and listed[0]["url"] == f"/api/v1/documents/{version.id}"
    assert latest.status_code == 200 and latest.headers["content-type"] == "application/pdf"
    assert latest.headers["etag"] == f'"{version.sha256}"' and latest.headers["x-content-sha256"] == version.sha256
    assert latest.headers["content-disposition"] == 'attachment; filename="convocatoria-durango-2021-2022-v1.pdf"'
    assert latest.content.startswith(b"%PDF-") and len(latest.content) == version.size
    assert cached.status_code == 304 and cached.content == b""
    assert by_id.content == latest.content == by_number.content
    assert missing_version.status_code == 404 and unpublished.status_code == 404 and unknown_kind.status_code == 404


# -- who may do what ----------------------------------------------------------------------------------------------

# For each route: who may call it. "public" routes take any caller; the others refuse no token, a revoked or expired
# token (401), and any other role or someone else's data (403).
ROUTES = [
    ("GET", "/processes", "public"),
    ("GET", f"/processes/{DURANGO}", "public"),
    ("GET", f"/processes/{DURANGO}/calendar.ics", "public"),
    ("GET", f"/processes/{DURANGO}/calendar.yaml", "public"),
    ("GET", f"/processes/{DURANGO}/documents", "public"),
    ("PUT", f"/processes/{DURANGO}/calendar", {"admin"}),
    ("POST", f"/processes/{DURANGO}/aspirantes", {"admin"}),
    ("POST", "/aspirantes/{own}/gestores", {"aspirante"}),
    ("POST", "/captures", {"gestor"}),
    ("GET", "/aspirantes/{own}/progress", {"admin", "aspirante"}),
]
CALLERS = ["nobody", "admin", "aspirante", "other_aspirante", "gestor", "revoked", "expired"]


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
    role_of = {"admin": "admin", "aspirante": "aspirante", "other_aspirante": "aspirante", "gestor": "gestor"}
    failures = []
    for method, template, allowed in ROUTES:
        path = template.replace("{own}", str(people.aspirante_id))
        for caller in CALLERS:
            with api.client(tokens[caller]) as c:
                if path == "/captures":
                    r = post(c, "{}")  # invalid on purpose: authorization is checked first
                else:
                    r = c.request(method, path, json={} if method != "GET" else None)
            if allowed == "public":
                expected = "ok"
            elif caller in ("nobody", "revoked", "expired"):
                expected = 401
            elif role_of[caller] not in allowed or (caller == "other_aspirante" and "{own}" in template):
                expected = 403
            else:
                expected = "ok"
            got = r.status_code
            if (expected == "ok" and got in (401, 403)) or (expected != "ok" and got != expected):
                failures.append(f"{method} {path} as {caller}: {got} (expected {expected})")
            if got == 401:
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert r.json()["detail"] in (
                    "falta el token: envíe el encabezado «Authorization: Bearer TOKEN»",
                    "el token no es válido, fue revocado o ya venció",
                )
    assert failures == []


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
    with api.client(people.gestor) as c:
        assert post(c, capture()).status_code == 201
    with api.services.db.read_session() as s:
        row = s.exec(select(Capture)).one()
    blobs = api.services.captures.blobs
    assert blobs.read(row.anverso_sha256, ".jpg") == IMAGES["anverso"]
    assert blobs.read(row.firma_sha256, ".png") == IMAGES["firma"]
    files = [p for p in blobs.root.rglob("*") if p.is_file()]
    assert len(files) == 4 and all(p.name.endswith(".sealed") for p in files)
    assert not any(IMAGES["anverso"][:64] in p.read_bytes() for p in files)
