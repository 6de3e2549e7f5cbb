"""The served OpenAPI describes the two bodies that matter, so an app developer can build a client from it."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import TestClient

from convoca.server import build_app
from convoca.settings import Settings
from tests.helpers import utc
from workflow.captures.model import IMAGE_PARTS, CaptureData
from workflow.clock import FixedClock


def spec(tmp_path: Path) -> dict:
    app = build_app(FixedClock(utc("2022-01-20T12:00:00Z")), Settings(data_dir=tmp_path), run_engine=False)
    with TestClient(app) as client:
        return client.get("/schema/openapi.json").json()


def test_capture_body_documents_every_part_and_field(tmp_path: Path) -> None:
    body = spec(tmp_path)["paths"]["/api/v1/captures"]["post"]["requestBody"]
    assert body["required"] is True
    multipart = body["content"]["multipart/form-data"]
    assert sorted(multipart["schema"]["required"]) == sorted(["data", *IMAGE_PARTS])
    assert multipart["encoding"]["data"]["contentType"] == "application/json"
    data = multipart["schema"]["properties"]["data"]
    assert set(data["properties"]) == set(CaptureData.model_fields)
    assert data["additionalProperties"] is False
    assert data["properties"]["captured_at"]["format"] == "date-time"
    assert data["properties"]["clave_elector"]["pattern"].startswith("^[A-Z]{6}")
    assert data["properties"]["capture_mode"]["enum"] == ["app", "papel"]  # the $ref is inlined
    assert CaptureData.model_validate(data["examples"][0])  # the example is itself valid
    for part in IMAGE_PARTS:
        assert multipart["schema"]["properties"][part] == {
            "type": "string",
            "format": "binary",
            "description": "Imagen JPEG o PNG, de 4 MiB y 24 megapíxeles como máximo.",
        }


def test_calendar_amendment_documents_its_yaml_body_and_required_reason(tmp_path: Path) -> None:
    put = spec(tmp_path)["paths"]["/api/v1/processes/{process_id}/calendar"]["put"]
    assert put["requestBody"]["required"] is True and list(put["requestBody"]["content"]) == ["application/yaml"]
    reason = next(p for p in put["parameters"] if p["name"] == "X-Reason")
    assert reason["required"] is True and reason["in"] == "header"
    assert reason["schema"]["minLength"] == 1 and reason["schema"]["pattern"] == r"\S"  # blank is refused as absent


def test_the_receipt_documents_how_to_recompute_its_hash(tmp_path: Path) -> None:
    document = spec(tmp_path)
    schema = document["paths"]["/api/v1/captures"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    recipe = schema["properties"]["sha256"]["description"]
    for step in ("NFC", "`images`", "llaves ordenadas", "UTC", "minúsculas", "mayúsculas", '", "'):
        assert step in recipe, step
