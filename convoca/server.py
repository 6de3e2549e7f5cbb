"""The HTTP server with its phase engine: what `convoca serve` runs, in one or several worker processes."""

from __future__ import annotations

import logging
import os

from litestar import Litestar

from capture_api.app import create_app
from convoca.runtime import build_engine, build_services, open_database
from convoca.settings import Settings, get_settings
from workflow.clock import Clock, FixedClock, SystemClock, parse_instant
from workflow.engine.scheduler import EngineScheduler

log = logging.getLogger("convoca.server")


def build_app(
    clock: Clock, settings: Settings | None = None, *, database_url: str | None = None, run_engine: bool = True
) -> Litestar:
    settings = settings or get_settings()
    db = open_database(database_url, settings)
    services = build_services(db, clock, settings)
    engine = build_engine(services, settings)
    for version in services.calendars.seed(settings.calendars_dir, clock.now()):
        log.info("calendario cargado: %s (versión %s)", version.process_id, version.number)
    startup, shutdown = [], [db.dispose]
    if run_engine:
        # Every worker runs an engine: transitions and actions still happen once (see workflow/engine/engine.py).
        scheduler = EngineScheduler(engine, clock, poll_seconds=settings.poll_seconds)
        services.on_calendar_applied = scheduler.wake_soon  # never make the request wait for actions
        startup.append(scheduler.start)
        shutdown.insert(0, scheduler.shutdown)
    return create_app(services, on_startup=startup, on_shutdown=shutdown)


def app_from_env() -> Litestar:
    """Factory for several uvicorn workers: the clock comes from CONVOCA_SERVE_AT (fixed) or is the system's."""
    at = os.environ.get("CONVOCA_SERVE_AT")
    clock: Clock = FixedClock(parse_instant(at)) if at else SystemClock()
    return build_app(
        clock,
        database_url=os.environ.get("CONVOCA_DATABASE_URL"),
        run_engine=os.environ.get("CONVOCA_SERVE_ENGINE", "1") == "1",
    )
