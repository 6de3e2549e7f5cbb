"""The capture API under hostile input and races: every malformed or abusive request gets a specific Spanish
refusal naming its field, never a 500, and nothing of it is stored."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from tests.helpers import utc
from workflow.captures.records import Capture
from workflow.participants.records import Role

from .api_server import ApiServer, image, register, start_server

DURANGO = "durango-2021-2022"
IMAGES = {"anverso": image(seed=1), "reverso": image(seed=2), "foto": image(seed=3), "firma": image("png", seed=4)}


@dataclass
class Gestores:
    one: str
    two: str


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, module_database_url: str) -> Iterator[ApiServer]:
    server = start_server(
        Path(tmp_path_factory.mktemp("hostile")), utc("2022-01-20T18:00:00Z"), database_url=module_database_url
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def gestores(api: ApiServer) -> Gestores:
    admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
    return Gestores(*(register(api.url, admin, name=name).gestor for name in ("Ana", "Eva")))


def data(**changes: object) -> dict:
    d = {
        "capture_id": str(uuid.uuid4()),
        "captured_at": "2022-01-20T11:30:00-06:00",
        "clave_elector": "LOPEMA80010110H123",
        "ocr": "0123456789012",
        "seccion": 123,
        "nombre": "MARÍA",
        "apellido_paterno": "LÓPEZ",
        "device_id": "tel-01",
        "app_version": "1.0.0",
    }
    d.update(changes)
    return d


def post(client: httpx.Client, body: dict | str | bytes, images: dict[str, bytes] | None = None) -> httpx.Response:
    images = IMAGES if images is None else images
    files = {part: (f"{part}.bin", content, "application/octet-stream") for part, content in images.items()}
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post("/captures", files={"data": ("data.json", raw, "application/json"), **files})


def stored(api: ApiServer) -> tuple[int, int]:
    with api.services.db.read_session() as s:
        rows = s.exec(select(func.count()).select_from(Capture)).one()
    files = sum(1 for p in (api.services.captures.blobs.root).rglob("*") if p.is_file())
    return rows, files


# Each case: the data part (a dict, or raw text), its expected status, the field the error names, and a fragment
# of the Spanish message.
CASES: dict[str, tuple[object, int, str, str]] = {
    "boolean sección": (data(seccion=True), 422, "data.seccion", "número entero"),
    "text sección": (data(seccion="123"), 422, "data.seccion", "número entero"),
    "float sección": (data(seccion=123.5), 422, "data.seccion", "número entero"),
    "epoch captured_at": (data(captured_at=1642699800), 422, "data.captured_at", "texto ISO 8601"),
    "naive captured_at": (data(captured_at="2022-01-20T11:30:00"), 422, "data.captured_at", ""),
    "newline in a surname": (
        data(apellido_paterno="LÓPEZ\nPÉREZ"),
        422,
        "data.apellido_paterno",
        "carácter de control",
    ),
    "NUL in a name": (data(nombre="MA\x00RÍA"), 422, "data.nombre", "carácter de control"),
    "right-to-left override": (data(nombre="MARÍA\u202eZEPÓL"), 422, "data.nombre", "invisible"),
    "zero-width joiner": (data(nombre="MA\u200dRÍA"), 422, "data.nombre", "invisible"),
    "BOM in device id": (data(device_id="\ufefftel"), 422, "data.device_id", "invisible"),
    "duplicate key": ('{"seccion": 1, "seccion": 2}', 422, "data.seccion", "repite la clave «seccion»"),
    "not JSON": ("{no es json", 422, "data", "no es JSON válido (línea 1, columna 2)"),
    "JSON list": ("[]", 422, "data", ""),
    "deeply nested": ("[" * 5000 + "]" * 5000, 400, "data", "anida demasiados niveles"),
    "huge data": (json.dumps(data(device_id="x" * 20_000)), 413, "data", "el máximo es 16,384 bytes"),
    "not UTF-8": (b'{"nombre": "\xff"}', 422, "data", "UTF-8"),
    "unknown field": (data(color="rojo"), 422, "data.color", ""),
    "bad clave": (data(clave_elector="XXXX"), 422, "data.clave_elector", "18 caracteres"),
    "impossible birth date": (data(clave_elector="LOPEMA80023010H123"), 422, "data.clave_elector", "no existe"),
    "OCR of another sección": (data(ocr="0999456789012"), 422, "data", "no coincide con la sección"),
    "sección 0": (data(seccion=0, ocr="0000456789012"), 422, "data.seccion", ""),
    "bad CIC": (data(cic="12AB"), 422, "data.cic", ""),
    "bad capture_id": (data(capture_id="no-es-uuid"), 422, "data.capture_id", ""),
    "empty name": (data(nombre=""), 422, "data.nombre", ""),
    "long name": (data(nombre="A" * 81), 422, "data.nombre", ""),
    "paper outside the régimen": (data(capture_mode="papel"), 422, "capture_mode", "régimen de excepción"),
    "future capture": (data(captured_at="2022-01-21T18:00:00Z"), 422, "captured_at", "en el futuro"),
    "before the window": (data(captured_at="2021-12-01T12:00:00Z"), 422, "captured_at", "antes de que abriera"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_data_is_refused_naming_its_field_and_nothing_is_stored(
    api: ApiServer, gestores: Gestores, name: str
) -> None:
    body, status, field, fragment = CASES[name]
    before = stored(api)
    with api.client(gestores.one) as c:
        r = post(c, body)  # type: ignore[arg-type]
    assert r.status_code == status, (name, r.text)
    payload = r.json()
    assert payload["status_code"] == status and payload["detail"]
    assert any(e.get("field") == field and fragment in e["message"] for e in payload["errors"]), (name, payload)
    assert stored(api) == before


def test_names_are_stored_in_nfc(api: ApiServer, gestores: Gestores) -> None:
    decomposed = "JOSE\u0301 MUN\u0303OZ"  # É and Ñ typed as letter + combining mark
    with api.client(gestores.one) as c:
        r = post(c, data(nombre=decomposed))
    assert r.status_code == 201, r.text
    with api.services.db.read_session() as s:
        row = s.exec(select(Capture).where(Capture.capture_id == r.json()["capture_id"])).one()
    assert api.services.captures.personal(row).nombre == "JOSÉ MUÑOZ"


def test_concurrent_posts_of_one_id_with_different_contents_end_in_one_receipt(
    api: ApiServer, gestores: Gestores
) -> None:
    capture_id = str(uuid.uuid4())

    def send(i: int) -> int:
        with api.client(gestores.one) as c:
            return post(c, data(capture_id=capture_id, device_id=f"tel-{i % 2}")).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(send, range(20)))
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 200, 409}, statuses


def test_concurrent_posts_of_one_id_by_two_gestores_end_in_one_receipt(api: ApiServer, gestores: Gestores) -> None:
    capture_id = str(uuid.uuid4())
    body = data(capture_id=capture_id)

    def send(i: int) -> int:
        with api.client(gestores.one if i % 2 else gestores.two) as c:
            return post(c, body).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(send, range(10)))
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 200, 409}, statuses


@pytest.mark.parametrize(
    ("name", "content", "content_type", "field", "fragment"),
    [
        ("JSON body", b'{"a": 1}', "application/json", "Content-Type", "recibido: «application/json»"),
        ("urlencoded", b"data=x", "application/x-www-form-urlencoded", "Content-Type", "multipart/form-data"),
        ("no boundary", b"--x\r\n", "multipart/form-data", "Content-Type", "le falta «boundary=…»"),
        (
            "truncated",
            b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n{"a"',
            "multipart/form-data; boundary=b",
            "body",
            "incompleto o mal formado",
        ),
    ],
)
def test_bodies_that_are_not_multipart_say_what_was_expected(
    api: ApiServer, gestores: Gestores, name: str, content: bytes, content_type: str, field: str, fragment: str
) -> None:
    before = stored(api)
    with api.client(gestores.one) as c:
        r = c.post("/captures", content=content, headers={"Content-Type": content_type})
    assert r.status_code == 400, (name, r.text)
    [problem] = r.json()["errors"]
    assert problem["field"] == field and fragment in problem["message"], (name, problem)
    assert "anverso, reverso, foto y firma" in r.json()["detail"]
    assert stored(api) == before


def test_an_id_beyond_64_bits_names_no_row(api: ApiServer, gestores: Gestores) -> None:
    admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
    huge = 2**64 + 5
    with api.client(admin) as c:
        assert c.get(f"/documents/{huge}").status_code == 404
        assert c.get(f"/aspirantes/{huge}/progress").status_code == 404
