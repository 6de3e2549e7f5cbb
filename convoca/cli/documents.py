"""`convoca documents …`: render the official documents from a calendar file, list stored versions."""

from __future__ import annotations

import os
from datetime import UTC
from pathlib import Path

import click

from convoca.runtime import build, settings_for
from workflow.calendar.loader import CalendarError, load_calendar
from workflow.calendar.localtime import format_local
from workflow.clock import Clock, SystemClock
from workflow.documents.context import DOCUMENT_KINDS
from workflow.documents.render import DocumentRenderer
from workflow.documents.service import ForcedPublication
from workflow.documents.signing import open_identity, read_pkcs12, verify
from workflow.engine.store import UnknownProcess
from workflow.errors import DomainError

from .clock_options import clock_options
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
    renderer = DocumentRenderer(file.resolve().parent)
    output.mkdir(parents=True, exist_ok=True)
    for k in DOCUMENT_KINDS if kind == "all" else (kind,):
        # Dated by its own issue instant (from the calendar, never the clock): the same file gives the same PDF.
        doc = renderer.render(cal, k, calendar_text=loaded.text)
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
    signatures = service.signatures(process_id)
    if not versions:
        click.echo(f"{process_id}: aún no hay documentos generados")
    width = max([13, *(len(v.kind) for v in versions)])  # a dictamen's kind names its cargo
    for v in versions:
        published = f"publicado {format_local(v.published_at, tz)}" if v.published_at else "sin publicar"
        draft = "  PROYECTO" if v.draft else ""
        forced = f"  (publicación forzada por {v.forced_by}: {v.forced_reason})" if v.forced_reason else ""
        click.echo(
            f"{v.id:>4}  {v.kind:<{width}} v{v.number}  calendario v{v.calendar_version}  "
            f"{format_local(v.generated_at, tz)}  {published}  {v.size:>9,} bytes  {v.sha256}{draft}{forced}"
        )
        for sig in signatures.get(v.id or 0, []):
            click.echo(f"{'':>6}firmado por {sig.signer} el {format_local(sig.signed_at, tz)}  sha256 {sig.sha256}")


@documents.command()
@click.argument("process_id")
@click.option("--doc", "kinds", multiple=True, type=click.Choice(DOCUMENT_KINDS), help="Por omisión, ambos.")
@click.option("--force", is_flag=True, help="Publica aunque sea un PROYECTO (valores sin confirmar); exige --reason.")
@click.option("--reason", default=None, help="Motivo de la publicación forzada; se guarda con la versión.")
@click.option("--author", default="administración", show_default=True, help="Quién decide la publicación.")
@database_option
@clock_options
def publish(
    process_id: str,
    kinds: tuple[str, ...],
    force: bool,
    reason: str | None,
    author: str,
    database_url: str | None,
    clock: Clock,
) -> None:
    """Publica la última versión de los documentos de un proceso. Un PROYECTO (su calendario tiene valores sin
    confirmar) solo se publica con --force y un --reason, que quedan registrados."""
    if force and not (reason or "").strip():
        raise click.UsageError("--force exige --reason: el motivo queda registrado con la versión publicada")
    if reason and not force:
        raise click.UsageError("--reason solo aplica con --force")
    runtime = build(clock, settings_for(database_url))  # with CONVOCA_SIGNING_P12, publication signs
    try:
        service = runtime.services.documents
        forced = ForcedPublication(reason or "", author) if force else None
        done = service.publish(process_id, list(kinds) or None, clock.now(), forced=forced)
        signatures = service.signatures(process_id)
        tz = service.calendars.active(process_id).calendar.tz
    except (DomainError, UnknownProcess) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from None
    finally:
        runtime.close()
    for v in done:
        how = f" (forzada: {v.forced_reason})" if v.forced_reason else ""
        signed = "".join(
            f"; firmado por {sig.signer} el {format_local(sig.signed_at, tz)}" for sig in signatures.get(v.id or 0, [])
        )
        click.echo(f"{v.kind} v{v.number} publicado{how}{signed}")


@documents.command(name="sign")
@click.argument("document_id", type=int)
@click.option(
    "--p12",
    "p12",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Certificado y llave de quien firma (PKCS#12, como la e.firma).",
)
@click.option(
    "--passphrase-env",
    default="CONVOCA_P12_PASSPHRASE",
    show_default=True,
    help="Variable de entorno con la contraseña del PKCS#12 (nunca en la línea de órdenes).",
)
@click.option("--reason", default=None, help="Motivo de la firma; por omisión, la aprobación del documento.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Guarda también el PDF firmado.")
@database_option
def sign_cmd(
    document_id: int, p12: Path, passphrase_env: str, reason: str | None, output: Path | None, database_url: str | None
) -> None:
    """Firma electrónicamente (PAdES) la versión DOCUMENT_ID guardada; el PDF sigue siendo PDF/A."""
    secret = os.environ.get(passphrase_env)
    runtime = build(SystemClock(), settings_for(database_url))
    try:
        service = runtime.services.documents
        identity = open_identity(read_pkcs12(p12), secret.encode() if secret else None)
        row = service.sign(document_id, identity, reason=reason)
        if output is not None:
            output.write_bytes(service.signed_pdf(row))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        runtime.close()
    click.echo(f"documento {document_id} firmado por {row.signer}  sha256 {row.sha256}")


@documents.command(name="verify")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--trust",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Certificado raíz de confianza (PEM o DER); sin él solo se comprueba la integridad.",
)
def verify_cmd(file: Path, trust: tuple[Path, ...]) -> None:
    """Comprueba las firmas de un PDF descargado: íntegras, que cubren todo el archivo y, con --trust, de confianza.
    Sale con 1 si falta la firma o alguna no es válida."""
    try:
        checks = verify(file.read_bytes(), [t.read_bytes() for t in trust] or None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    if not checks:
        click.echo(f"{file}: sin firmas electrónicas")
        raise SystemExit(1)
    for c in checks:
        when = c.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if c.signed_at else "fecha desconocida"
        state = "VÁLIDA" if c.ok else "NO VÁLIDA"
        notes = []
        if not c.intact:
            notes.append("el contenido firmado fue alterado")
        if not c.whole_file:
            notes.append("se agregó contenido después de la firma")
        if c.trusted is None:
            notes.append("certificado no comprobado contra una raíz de confianza (use --trust)")
        elif not c.trusted:
            notes.append("el certificado no proviene de una raíz de confianza")
        click.echo(f"{file}: firma {state} de {c.signer}, {when}" + (f" ({'; '.join(notes)})" if notes else ""))
    if not all(c.ok for c in checks):
        raise SystemExit(1)
