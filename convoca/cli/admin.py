"""`convoca admin token …`: the OPLE administrators' API tokens."""

from __future__ import annotations

from datetime import timedelta

import click
from pydantic import ValidationError

from convoca.runtime import build, settings_for
from workflow.calendar.messages import spanish
from workflow.clock import Clock
from workflow.participants.records import Role
from workflow.participants.service import NewReviewer, Participants

from .clock_options import clock_options
from .common import database_option


@click.group()
def admin() -> None:
    """Administración del OPLE."""


@admin.group()
def token() -> None:
    """Tokens de acceso a la API."""


def _participants(database_url: str | None, clock: Clock) -> Participants:
    return build(clock, settings_for(database_url)).services.participants


@token.command()
@click.option("--label", default="administración", show_default=True, help="A quién o para qué se emite.")
@click.option(
    "--days", type=click.IntRange(1, 3650), default=None, help="Vigencia en días (por omisión, sin vencimiento)."
)
@database_option
@clock_options
def create(label: str, days: int | None, database_url: str | None, clock: Clock) -> None:
    """Emite un token de administrador del OPLE. Se muestra una sola vez: guárdelo."""
    issued = _participants(database_url, clock).issue_token(
        Role.admin, clock.now(), label=label, ttl=timedelta(days=days) if days else None
    )
    click.echo(issued.token)
    click.echo(f"token {issued.record.id} ({label}) emitido; solo se guarda su huella", err=True)


@token.command()
@click.argument("token_id", type=int)
@database_option
@clock_options
def revoke(token_id: int, database_url: str | None, clock: Clock) -> None:
    """Revoca un token (de cualquier rol) por su número."""
    if not _participants(database_url, clock).revoke(token_id, clock.now()):
        raise click.ClickException(f"no existe el token {token_id}")
    click.echo(f"token {token_id} revocado")


@token.command(name="list")
@database_option
@clock_options
def list_tokens(database_url: str | None, clock: Clock) -> None:
    """Lista los tokens: número, rol, etiqueta, vigencia."""
    now = clock.now()
    for t in _participants(database_url, clock).tokens():
        state = "revocado" if t.revoked_at else ("vencido" if not t.active_at(now) else "vigente")
        expires = t.expires_at.isoformat() if t.expires_at else "sin vencimiento"
        click.echo(f"{t.id:>5}  {t.role:<10} {state:<9} {expires:<26} {t.label}")


@admin.group()
def reviewer() -> None:
    """Personas revisoras de la mesa de control."""


@reviewer.command(name="create")
@click.option("--name", required=True, help="Nombre completo de la persona revisora.")
@click.option(
    "--days", type=click.IntRange(1, 3650), default=365, show_default=True, help="Vigencia del token en días."
)
@database_option
@clock_options
def create_reviewer(name: str, days: int, database_url: str | None, clock: Clock) -> None:
    """Registra a una persona revisora y emite su token (se muestra una sola vez: entrégueselo)."""
    try:
        data = NewReviewer(name=name)
    except ValidationError as exc:
        raise click.ClickException(f"nombre no válido: {spanish(exc.errors()[0], NewReviewer)}") from None
    person, issued = _participants(database_url, clock).create_reviewer(data.name, clock.now(), timedelta(days=days))
    click.echo(issued.token)
    click.echo(f"persona revisora {person.id} ({person.name}) registrada; token {issued.record.id}", err=True)


@reviewer.command(name="list")
@database_option
@clock_options
def list_reviewers(database_url: str | None, clock: Clock) -> None:
    """Lista las personas revisoras."""
    for r in _participants(database_url, clock).reviewers():
        click.echo(f"{r.id:>5}  {r.name}")
