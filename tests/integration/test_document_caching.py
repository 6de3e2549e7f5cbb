"""Documents over HTTP as RFC 9110 asks: conditional GET with weak comparison and ``*``, and HEAD."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import utc
from tests.integration.api_server import ApiServer, start_server
from workflow.documents.records import DocumentVersion
from workflow.documents.service import ForcedPublication

DURANGO = "durango-2021-2022"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ApiServer, DocumentVersion]]:
    api = start_server(Path(tmp_path_factory.mktemp("docs")), utc("2022-01-20T12:00:00Z"))
    forced = ForcedPublication("prueba: proyecto con valores sin confirmar", "pruebas")
    version, _ = api.services.documents.generate(DURANGO, "convocatoria", api.clock.now(), publish=True, forced=forced)
    yield api, version
    api.stop()


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ('"{sha}"', 304),
        ('W/"{sha}"', 304),  # weak comparison: a weak validator names the same representation
        ('"otro", W/"{sha}"', 304),
        ("*", 304),  # any current representation
        ('"otro"', 200),
        ('W/"otro", "tampoco"', 200),
    ],
)
def test_if_none_match(published: tuple[ApiServer, DocumentVersion], if_none_match: str, status: int) -> None:
    api, version = published
    header = if_none_match.format(sha=version.sha256)
    with api.client() as c:
        for path in (f"/documents/{version.id}", f"/processes/{DURANGO}/documents/convocatoria"):
            r = c.get(path, headers={"If-None-Match": header})
            assert r.status_code == status, (path, header)
            assert r.headers["etag"] == f'"{version.sha256}"'
            assert (r.content == b"") if status == 304 else r.content.startswith(b"%PDF-")


def test_head_gives_the_headers_of_get_without_the_body(published: tuple[ApiServer, DocumentVersion]) -> None:
    api, version = published
    with api.client() as c:
        for path in (f"/documents/{version.id}", f"/processes/{DURANGO}/documents/convocatoria"):
            got, head = c.get(path), c.head(path)
            assert head.status_code == 200 and head.content == b""
            assert head.headers["content-length"] == str(version.size) == got.headers["content-length"]
            for name in ("etag", "x-content-sha256", "content-type", "content-disposition", "cache-control"):
                assert head.headers[name] == got.headers[name], name
        assert c.head("/documents/999999").status_code == 404
