"""Databases for integration tests: a fresh SQLite file, and a throwaway PostgreSQL server started for the run.

PostgreSQL comes from CONVOCA_TEST_POSTGRES_URL when set (an empty database the tests may fill), otherwise from a
temporary cluster made with the local PostgreSQL binaries (Debian's package, which `make test` installs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from convoca.throwaway_pg import empty_database, pg_bin, throwaway_postgres
from workflow.calendar.loader import LoadedCalendar, load_calendar
from workflow.documents.render import DocumentRenderer, RenderedDocument
from workflow.storage.db import Database
from workflow.storage.migrate import upgrade

DURANGO = Path(__file__).resolve().parents[2] / "calendars" / "durango-2021-2022.yaml"


@pytest.fixture(scope="session")
def loaded() -> LoadedCalendar:
    """Durango's shipped calendar."""
    return load_calendar(DURANGO)


@pytest.fixture(scope="session")
def rendered(loaded: LoadedCalendar) -> dict[str, RenderedDocument]:
    """Durango's convocatoria and protocolo as version 1 of calendar version 1, rendered once for the session."""
    renderer = DocumentRenderer(DURANGO.parent)
    return {
        kind: renderer.render(loaded.calendar, kind, calendar_text=loaded.text, document_version=1, calendar_version=1)
        for kind in ("convocatoria", "protocolo")
    }


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (without database name) of a PostgreSQL server for this test session."""
    url = os.environ.get("CONVOCA_TEST_POSTGRES_URL")
    if url:
        yield url.rsplit("/", 1)[0]
        return
    if pg_bin() is None:
        pytest.fail("PostgreSQL no está instalado: `make test` lo instala (paquete postgresql de Debian)")
    with throwaway_postgres(durable=False) as base:
        yield base


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    with empty_database(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'convoca.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One empty database, SQLite or PostgreSQL, shared by the tests of a module (e.g. with one server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'convoca.sqlite3'}"
    else:
        with empty_database(request.getfixturevalue("postgres_server")) as url:
            yield url


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()
