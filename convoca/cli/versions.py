"""`convoca calendar apply` and `convoca calendar history`: calendar versions in the database."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from convoca.runtime import build, settings_for
from workflow.calendar.loader import CalendarError
from workflow.calendar.localtime import format_local
from workflow.clock import Clock, SystemClock
from workflow.engine.amendments import date_changes
from workflow.engine.store import UnknownProcess

from .clock_options import clock_options
from .common import database_option


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--reason", required=True, help="Motivo del cambio, p. ej. el acuerdo que lo aprueba.")
@click.option("--author", default=None, help="Quién aplica el cambio (por omisión, el usuario del sistema).")
@database_option
@clock_options
def apply(file: Path, reason: str, author: str | None, database_url: str | None, clock: Clock) -> None:
    """Valida ARCHIVO y lo guarda como la versión vigente del calendario de su proceso.

    Un cambio no puede alterar el pasado: un instante ya ocurrido no se mueve, una fase cerrada no se reabre y el
    cierre de una fase abierta puede moverse, pero no al pasado. El motor reprograma de inmediato.
    """
    store = build(clock, settings_for(database_url)).services.calendars
    try:
        version = store.apply(
            file.read_text(encoding="utf-8"),
            file=str(file),
            author=author or getpass.getuser(),
            reason=reason,
            now=clock.now(),
        )
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        click.echo(f"{file}: cambio rechazado; la versión vigente no se modificó", err=True)
        raise SystemExit(1) from None
    click.echo(f"{version.process_id}: versión {version.number} vigente ({version.sha256[:12]})")


@click.command()
@click.argument("process_id")
@database_option
def history(process_id: str, database_url: str | None) -> None:
    """Lista las versiones del calendario de un proceso, con las fechas que cambió cada una."""
    store = build(SystemClock(), settings_for(database_url)).services.calendars  # history reads no clock
    try:
        versions = store.history(process_id)
    except UnknownProcess as exc:
        raise click.ClickException(str(exc)) from None
    previous = None
    for version, loaded in versions:
        tz = loaded.calendar.tz
        click.echo(
            f"v{version.number}  vigente desde {format_local(version.created_at, tz)}  "
            f"registrada {format_local(version.recorded_at, tz)}  {version.author}  "
            f"{version.sha256[:12]}  {version.reason}"
        )
        if previous is not None:
            changes = date_changes(previous, loaded.calendar)
            for line in changes or ["(sin cambios de fechas)"]:
                click.echo(f"    {line}")
        previous = loaded.calendar


def register_version_commands(group: click.Group) -> None:
    group.add_command(apply)
    group.add_command(history)
