"""Database engines and sessions. SQLite in WAL mode by default; PostgreSQL (or any SQLAlchemy URL) by setting.

Instants are stored as UTC and read back timezone-aware (``UTCDateTime``), on every backend.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

MAX_ROW_ID = 2**63 - 1  # primary keys are 64-bit at most on every backend


def storable_id(row_id: int) -> bool:
    """Whether ``row_id`` could be a primary key at all (a larger one would overflow the query, and names no row)."""
    return 0 < row_id <= MAX_ROW_ID


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC instant on any backend (SQLite has no time zones of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant stored by convoca must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _use_wal(cur: Any) -> None:
    """Put the database in WAL mode (a setting of the file, kept once made). Switching needs the file to itself
    and SQLite does not wait for that, so processes opening a new database at once retry for a while."""
    deadline = time.monotonic() + 30
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str, *, read_only: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        return engine.execution_options(postgresql_readonly=True) if read_only else engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below be the only one
        cur = dbapi_conn.cursor()
        _use_wal(cur)
        cur.execute("PRAGMA synchronous=FULL")  # a commit acknowledged to a gestor must survive a power cut
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if read_only:
            cur.execute("PRAGMA query_only=ON")  # a write through a read session fails instead of passing unseen
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front: a deferred transaction that upgrades to a writer can fail at once
        # with "database is locked" when another process writes, whatever the busy timeout. Readers never block
        # in WAL mode, so they begin deferred.
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


class Database:
    """One engine and its sessions. Sessions keep objects usable after commit (no refresh on attribute access)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        # Reads get their own engine, which cannot write: on SQLite its transactions do not take the write lock.
        self.read_engine = make_engine(url, read_only=True)

    @contextmanager
    def write_session(self) -> Iterator[Session]:
        """A session that may write (on SQLite it takes the write lock when it begins)."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session that only reads, and cannot write: on SQLite it never waits for, nor holds up, a writer."""
        with Session(self.read_engine, expire_on_commit=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
