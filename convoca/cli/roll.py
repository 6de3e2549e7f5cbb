"""`convoca roll …`: load a Lista Nominal / Padrón extract, list the loaded versions, make a synthetic one."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click

from convoca.runtime import build, settings_for
from verification.records import RollVersion
from workflow.calendar.loader import CalendarError, load_calendar
from workflow.calendar.localtime import format_local
from workflow.clock import SystemClock
from workflow.errors import DomainError

from .common import database_option


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.message}", err=True)
    for d in exc.details:
        click.echo(f"  {d.message}", err=True)
    raise SystemExit(1)


def _describe(v: RollVersion) -> list[str]:
    estatus = v.counts.get("estatus", {})
    causas = {k: n for k, n in v.counts.get("causa_baja", {}).items() if n}
    lines = [
        f"  {v.rows:,} filas: " + ", ".join(f"{k} {n:,}" for k, n in estatus.items()),
    ]
    if causas:
        lines.append("  bajas por causa: " + ", ".join(f"{k} {n:,}" for k, n in causas.items()))
    if v.counts.get("otras_entidades"):
        lines.append(f"  filas de otras entidades: {v.counts['otras_entidades']:,}")
    return lines


@click.group()
def roll() -> None:
    """Lista Nominal / Padrón Electoral contra el que se verifican los apoyos."""


@roll.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--process", "process_id", required=True, help="Proceso al que pertenece el padrón.")
@click.option(
    "--cut-date",
    required=True,
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="AAAA-MM-DD",
    help="Fecha de corte del padrón.",
)
@database_option
def load(file: Path, process_id: str, cut_date, database_url: str | None) -> None:
    """Valida y guarda un extracto de la Lista Nominal o del Padrón (CSV o Parquet) como nueva versión.

    Solo se guardan huellas con llave de la clave de elector, el OCR y el CIC, con la entidad, el municipio, la
    sección y el estatus; nunca los nombres. Con cualquier fila errónea no se guarda nada.
    """
    clock = SystemClock()
    runtime = build(clock, settings_for(database_url))
    services, cut = runtime.services, date(cut_date.year, cut_date.month, cut_date.day)
    try:
        if process_id not in services.calendars.process_ids():
            services.calendars.seed(runtime.settings.calendars_dir, clock.now())  # as the server does at start-up
        before = {v.id for v in services.rolls.versions(process_id)}
        started = time.monotonic()
        version = services.rolls.load(file, process_id, cut, clock.now())
        warnings = services.rolls.warnings(version)
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(1) from None
    except DomainError as exc:
        _fail(exc)
        return
    finally:
        runtime.close()
    if version.id in before:
        click.echo(f"{file.name} ya estaba cargado con esa fecha de corte: {process_id}, versión {version.number}")
    else:
        click.echo(
            f"padrón cargado: {process_id}, versión {version.number} (corte {version.cut_date.isoformat()}) "
            f"en {time.monotonic() - started:.1f} s"
        )
    for line in _describe(version):
        click.echo(line)
    click.echo(f"  guardado en {version.stored_path} (sha256 {version.stored_sha256})")
    for w in warnings:
        click.echo(f"Aviso: {w}", err=True)


@roll.command(name="list")
@click.argument("process_id")
@database_option
def list_cmd(process_id: str, database_url: str | None) -> None:
    """Lista las versiones cargadas del padrón de un proceso; la última es la vigente."""
    runtime = build(SystemClock(), settings_for(database_url))
    services = runtime.services
    try:
        tz = services.calendars.active(process_id).calendar.tz
        versions = services.rolls.versions(process_id)
    except DomainError as exc:
        _fail(exc)
        return
    finally:
        runtime.close()
    if not versions:
        click.echo(f"{process_id}: aún no hay padrón cargado")
    for v in versions:
        vigente = " (vigente)" if v is versions[-1] else ""
        click.echo(
            f"versión {v.number}{vigente}: corte {v.cut_date.isoformat()}, {v.source_name}, "
            f"cargado {format_local(v.loaded_at, tz)}, sha256 del archivo {v.source_sha256}"
        )
        for line in _describe(v):
            click.echo(line)


@roll.command()
@click.option(
    "--calendar",
    "calendar_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Calendario cuyo territorio sigue el padrón.",
)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Archivo .csv o .parquet.")
@click.option("--seed", required=True, type=int, help="Semilla: la misma da el mismo archivo, byte por byte.")
@click.option(
    "--scale",
    type=click.FloatRange(min=0, max=100, min_open=True),
    default=1.0,
    show_default=True,
    help="Factor sobre la Lista Nominal del calendario (15 ≈ 20 millones de filas con Durango).",
)
def synth(calendar_file: Path, out: Path, seed: int, scale: float) -> None:
    """Genera un padrón sintético: totales por municipio y sección según el calendario, claves de elector
    realistas, OCR y CIC, personas solo en el Padrón y bajas de todas las causas."""
    try:
        calendar = load_calendar(calendar_file).calendar
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(1) from None
    from verification.synth_roll import synthesize_roll  # pyarrow: imported by this command only, not by every one

    started = time.monotonic()
    try:
        summary = synthesize_roll(calendar, out, seed, scale)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(
        f"{out}: {summary.rows:,} filas en {time.monotonic() - started:.1f} s: "
        + ", ".join(f"{k} {n:,}" for k, n in summary.by_estatus.items())
    )
