"""Schema migrations (Alembic): every process that opens the database brings it to the schema this code expects.

Several workers may start at once: the first to find work takes a lock (SQLite's write lock, a PostgreSQL
advisory lock) and migrates inside one transaction; the others wait, then find nothing to do. A database created
before migrations existed (by ``create_all``, with the baseline schema) is recognised and stamped first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, inspect, text

from workflow.errors import DomainError, ErrorKind

from .db import Database
from .keys import Keyring

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
LOCK_KEY = 7_406_221_821  # PostgreSQL advisory lock: "convoca migrations"


class SchemaTooNew(DomainError):
    def __init__(self, revision: str) -> None:
        super().__init__(
            ErrorKind.unavailable,
            f"la base de datos tiene el esquema «{revision}», que esta versión de convoca no conoce (es más nueva); "
            "actualice convoca antes de usarla",
        )


def _config(connection: Connection | None = None, keyring: Keyring | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    config.attributes["keyring"] = keyring  # for migrations that seal stored personal data (0004)
    return config


def head() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def current(db: Database) -> str | None:
    """The schema revision of the database (None when it has none yet)."""
    with db.read_engine.connect() as conn:
        return _revision(conn)


def pending(db: Database) -> list[str]:
    """Revisions not applied yet, oldest first."""
    script = ScriptDirectory.from_config(_config())
    now = current(db)
    if now is not None:
        try:
            script.get_revision(now)
        except CommandError:
            raise SchemaTooNew(now) from None
    return [s.revision for s in reversed(list(script.iterate_revisions("heads", now)))]


@contextmanager
def _migrating(db: Database) -> Iterator[Connection]:
    """One connection in one transaction that holds the migration lock."""
    with db.engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by rebuilding it, which breaks the references to it while it runs: as SQLite
            # prescribes, references are not enforced during the migration and are all checked before its commit.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():  # on SQLite, BEGIN IMMEDIATE: the write lock is ours until the commit
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
                yield conn
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").first()):
                    raise RuntimeError(f"the migration broke a reference: {tuple(broken)}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def upgrade(db: Database, target: str = "head", *, keyring: Keyring | None = None) -> list[str]:
    """Apply the pending migrations (up to ``target``); returns the revisions applied (none when up to date).

    ``keyring`` (from the capture key) is needed by a migration that seals personal data already stored; without
    it such a migration refuses when there are data to seal."""
    if target == "head" and not pending(db):
        return []
    with _migrating(db) as conn:
        before = _revision(conn)
        tables = set(inspect(conn).get_table_names())
        if before is None and "process" in tables:
            command.stamp(_config(conn), BASELINE)  # created by create_all before migrations existed
            before = BASELINE
        command.upgrade(_config(conn, keyring), target)
        after = _revision(conn)
    script = ScriptDirectory.from_config(_config())
    return [s.revision for s in reversed(list(script.iterate_revisions(after, before)))]


def downgrade(db: Database, target: str, *, keyring: Keyring | None = None) -> None:
    """Go back to the schema ``target`` (to run an older convoca); unsealing personal data takes the keyring."""
    with _migrating(db) as conn:
        command.downgrade(_config(conn, keyring), target)
