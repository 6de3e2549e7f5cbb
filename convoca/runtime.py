"""Assembly at the edge: the database, the action registry and the engine, for every command and server."""

from __future__ import annotations

from datetime import timedelta

from convoca.db import Database
from convoca.settings import Settings, get_settings
from workflow.clock import Clock
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry


def open_database(url: str | None = None, settings: Settings | None = None) -> Database:
    settings = settings or get_settings()
    db = Database(url or settings.resolved_database_url)
    db.create_all()
    return db


def build_registry() -> ActionRegistry:
    """Every action this installation provides. Packages add theirs here as they are built."""
    return ActionRegistry()


def build_engine(db: Database, clock: Clock, settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    return Engine(
        db,
        build_registry(),
        late_tolerance=timedelta(seconds=settings.late_tolerance_seconds),
        lease=timedelta(seconds=settings.action_lease_seconds),
        rate=clock.rate,
    )
