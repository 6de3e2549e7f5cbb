"""Databases for integration tests: a fresh SQLite file, and a throwaway PostgreSQL server started for the run.

PostgreSQL comes from CONVOCA_TEST_POSTGRES_URL when set (an empty database the tests may fill), otherwise from a
temporary cluster made with the local PostgreSQL binaries (Debian's package, which `make test` installs).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import free_port
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


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL (without database name) of a PostgreSQL server for this test session."""
    url = os.environ.get("CONVOCA_TEST_POSTGRES_URL")
    if url:
        yield url.rsplit("/", 1)[0]
        return
    bindir = _pg_bin()
    if bindir is None:
        pytest.fail("PostgreSQL no está instalado: `make test` lo instala (paquete postgresql de Debian)")
    root = Path(tempfile.mkdtemp(prefix="convoca-pg-"))
    data, port = root / "data", free_port()
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "convoca", "--no-sync"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    subprocess.run(
        [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://convoca@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def _empty_postgres_database(postgres_server: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{postgres_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{postgres_server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    yield from _empty_postgres_database(postgres_server)


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
        yield from _empty_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    yield database
    database.dispose()
