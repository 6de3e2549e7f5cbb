"""`convoca engine run`: the phase engine alone, logging each transition as it fires."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from convoca.logs import setup_logging
from convoca.runtime import build, settings_for
from workflow.calendar.loader import CalendarError
from workflow.clock import Clock
from workflow.engine.scheduler import EngineScheduler

from .clock_options import INSTANT, clock_options
from .common import database_option


@click.group()
def engine() -> None:
    """Motor de fases: dispara las acciones del calendario una sola vez, a tiempo."""


@engine.command()
@database_option
@click.option(
    "--calendars",
    "calendars_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Carpeta de calendarios que se cargan si su proceso aún no está en la base (por omisión, calendars/).",
)
@click.option("--until", type=INSTANT, default=None, help="Terminar cuando el reloj alcance este instante.")
@click.option("--once", is_flag=True, help="Conciliar una vez y terminar.")
@clock_options
def run(database_url: str | None, calendars_dir: Path | None, until, once: bool, clock: Clock) -> None:
    """Ejecuta el motor: concilia al iniciar y después despierta en cada límite de fase."""
    setup_logging()
    runtime = build(clock, settings_for(database_url))
    eng, settings = runtime.engine, runtime.settings
    try:
        for version in eng.store.seed(calendars_dir or settings.calendars_dir, clock.now()):
            click.echo(f"calendario cargado: {version.process_id} (versión {version.number})")
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(1) from None
    click.echo(f"motor iniciado ({clock.describe()}; instancia {eng.instance_id})")
    if once:
        eng.reconcile(clock.now())
        runtime.close()
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sched = EngineScheduler(eng, clock, poll_seconds=settings.poll_seconds)
    sched.start()
    try:
        while not stop.wait(0.2):
            if until is not None and clock.now() >= until:
                sched.wake()  # everything due up to --until has fired
                break
    finally:
        sched.shutdown()
        runtime.close()
    click.echo("motor detenido")
