"""`convoca documents …`: render the official documents from a calendar file, list stored versions."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

import click

from convoca.runtime import build, settings_for
from workflow.calendar.loader import CalendarError, load_calendar
from workflow.calendar.localtime import format_local
from workflow.clock import SystemClock
from workflow.documents.context import DOCUMENT_KINDS
from workflow.documents.render import DocumentRenderer
from workflow.engine.store import UnknownProcess

from .common import database_option


@click.group()
def documents() -> None:
    """Documentos oficiales: convocatoria y protocolo en PDF/A."""


@documents.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--doc", "kind", type=click.Choice([*DOCUMENT_KINDS, "all"]), default="all", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Carpeta de salida.",
)
def render(file: Path, kind: str, output: Path) -> None:
    """Genera los documentos de ARCHIVO sin base de datos. El mismo calendario da siempre el mismo PDF."""
    try:
        loaded = load_calendar(file)
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(1) from None
    cal = loaded.calendar
    # Metadata date from the calendar itself (its approval, else the process start), never from the clock.
    day = cal.process.approved_on or cal.process.start
    created = datetime.combine(day, time(0), tzinfo=cal.tz).astimezone(UTC)
    renderer = DocumentRenderer(file.resolve().parent)
    output.mkdir(parents=True, exist_ok=True)
    for k in DOCUMENT_KINDS if kind == "all" else (kind,):
        doc = renderer.render(cal, k, calendar_text=loaded.text, created=created)
        target = output / f"{k}-{cal.process.id}.pdf"
        target.write_bytes(doc.pdf)
        click.echo(f"{target}  {len(doc.pdf):,} bytes  sha256 {doc.sha256}")


@documents.command(name="list")
@click.argument("process_id")
@database_option
def list_cmd(process_id: str, database_url: str | None) -> None:
    """Lista las versiones guardadas de los documentos de un proceso, con su huella SHA-256."""
    service = build(SystemClock(), settings_for(database_url)).services.documents  # listing reads no clock
    try:
        tz = service.calendars.active(process_id).calendar.tz
    except UnknownProcess as exc:
        raise click.ClickException(str(exc)) from None
    versions = service.versions(process_id)
    if not versions:
        click.echo(f"{process_id}: aún no hay documentos generados")
    width = max([13, *(len(v.kind) for v in versions)])  # a dictamen's kind names its cargo
    for v in versions:
        published = f"publicado {format_local(v.published_at, tz)}" if v.published_at else "sin publicar"
        click.echo(
            f"{v.id:>4}  {v.kind:<{width}} v{v.number}  calendario v{v.calendar_version}  "
            f"{format_local(v.generated_at, tz)}  {published}  {v.size:>9,} bytes  {v.sha256}"
        )
