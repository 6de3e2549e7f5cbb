"""`convoca serve`: the capture API and the phase engine."""

from __future__ import annotations

import os

import click
import uvicorn

from convoca.logs import setup_logging
from convoca.runtime import settings_for
from convoca.server import build_app
from workflow.clock import AcceleratedClock, Clock, FixedClock

from .clock_options import clock_options
from .common import database_option


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Procesos del servidor; cada uno ejecuta el motor, que aun así dispara cada acción una vez.",
)
@click.option(
    "--engine/--no-engine",
    "run_engine",
    default=True,
    show_default=True,
    help="Ejecutar el motor de fases en este proceso.",
)
@database_option
@clock_options
def serve(host: str, port: int, workers: int, run_engine: bool, database_url: str | None, clock: Clock) -> None:
    """Sirve la API de captación (documentación en /schema) y ejecuta el motor de fases."""
    setup_logging()
    base = f"http://{host}:{port}"
    click.echo(
        f"convoca en {base}/ (portal), API en {base}/api/v1, documentación en {base}/schema; {clock.describe()}",
        err=True,
    )
    if workers == 1:
        uvicorn.run(
            build_app(clock, settings_for(database_url), run_engine=run_engine),
            host=host,
            port=port,
            log_level="warning",
        )
        return
    if isinstance(clock, AcceleratedClock):
        raise click.UsageError("el reloj acelerado funciona con un solo proceso (--workers 1)")
    if isinstance(clock, FixedClock):
        os.environ["CONVOCA_SERVE_AT"] = clock.now().isoformat()
    if database_url:
        os.environ["CONVOCA_DATABASE_URL"] = database_url
    os.environ["CONVOCA_SERVE_ENGINE"] = "1" if run_engine else "0"
    # uvicorn kills a worker that does not answer its supervisor's ping within the health-check timeout (5 s by
    # default); a worker busy with a storm of captures on a loaded machine may be that slow, and killing it would
    # drop its in-flight requests (stored or not, the apps would resend them): a hung worker is killed after 30 s.
    uvicorn.run(
        "convoca.server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        timeout_worker_healthcheck=30,
    )
