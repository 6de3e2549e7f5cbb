"""Schema migrations on SQLite and PostgreSQL: the migrated schema is the models' schema, a database of the
previous schema upgrades with its data intact, and a database newer than the code is refused in Spanish."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text

from convoca.cli import main
from verification.schema import metadata
from workflow.storage.db import Database
from workflow.storage.migrate import SchemaTooNew, current, head, pending, upgrade

CREATED = datetime(2021, 10, 1, 1, 0, tzinfo=UTC)
# Every revision after the baseline, oldest first: a new migration is added here.
AFTER_BASELINE = ["0002", "0003"]


@pytest.fixture
def empty(database_url: str):
    database = Database(database_url)
    yield database
    database.dispose()


def differences(db: Database) -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata())


def test_migrated_schema_equals_the_models(empty: Database) -> None:
    assert current(empty) is None
    assert upgrade(empty) == ["0001", *AFTER_BASELINE]  # every revision, oldest first
    assert current(empty) == head()
    assert differences(empty) == []
    assert upgrade(empty) == []  # nothing left to do


def _previous_schema_with_data(db: Database) -> None:
    """A database as the previous release left it: the baseline schema with a process and two versions in it."""
    upgrade(db, "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO process (id, name, timezone, active_version, created_at) "
                "VALUES ('p-2022', 'Proceso', 'America/Monterrey', 2, :at)"
            ),
            {"at": CREATED.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else CREATED},
        )
        for number in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO calendar_version (process_id, number, text, sha256, author, reason, created_at) "
                    "VALUES ('p-2022', :n, 'process: {}', :sha, 'secretaría', 'acuerdo', :at)"
                ),
                {
                    "n": number,
                    "sha": str(number) * 64,
                    "at": CREATED.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else CREATED,
                },
            )


def test_previous_schema_with_data_upgrades_with_nothing_lost(empty: Database) -> None:
    _previous_schema_with_data(empty)
    assert pending(empty) == AFTER_BASELINE
    assert upgrade(empty) == AFTER_BASELINE
    assert differences(empty) == []
    with empty.read_session() as s:
        rows = s.exec(
            text("SELECT number, author, created_at, recorded_at FROM calendar_version ORDER BY number")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [(1, "secretaría"), (2, "secretaría")]
    # The real time of a change stored before it was recorded is taken to be when it took effect.
    assert all(r[2] == r[3] for r in rows)


def test_a_database_made_before_migrations_is_recognised(empty: Database) -> None:
    _previous_schema_with_data(empty)
    with empty.engine.begin() as conn:  # as create_all left it: the tables, no record of migrations
        conn.execute(text("DROP TABLE alembic_version"))
    assert current(empty) is None
    assert upgrade(empty) == AFTER_BASELINE
    assert current(empty) == head()
    with empty.read_session() as s:
        assert s.exec(text("SELECT count(*) FROM calendar_version")).one()[0] == 2


def test_a_database_newer_than_the_code_is_refused(empty: Database) -> None:
    upgrade(empty)
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew) as exc:
        upgrade(empty)
    assert "«9999»" in exc.value.message and "actualice convoca" in exc.value.message
    result = CliRunner().invoke(main, ["db", "current", "--database", empty.url])
    assert result.exit_code == 1 and "actualice convoca" in result.output


def test_workers_starting_together_migrate_once(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(4)]
    applied: list[list[str]] = []
    errors: list[BaseException] = []

    def start(db: Database) -> None:
        try:
            applied.append(upgrade(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(applied, key=len) == [[], [], [], ["0001", *AFTER_BASELINE]]
    assert "capture" in inspect(databases[0].engine).get_table_names()
    for db in databases:
        db.dispose()


def test_db_commands(sqlite_url: str) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current", "--database", sqlite_url])
    assert before.exit_code == 0, before.output
    assert "ninguno (base vacía)" in before.output and "pendientes: 0001, 0002" in before.output
    up = runner.invoke(main, ["db", "upgrade", "--database", sqlite_url])
    assert up.exit_code == 0 and "migraciones aplicadas: 0001, 0002" in up.output
    after = runner.invoke(main, ["db", "current", "--database", sqlite_url])
    assert f"esquema {head()}" in after.output and "al día" in after.output
