"""`convoca db …`: the database schema. Every command and the server bring it up to date when they open the
database; these commands do it, or tell where it stands, explicitly."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from convoca.runtime import migration_keyring, settings_for
from workflow.errors import DomainError
from workflow.storage.db import Database
from workflow.storage.migrate import current as current_revision
from workflow.storage.migrate import head, pending
from workflow.storage.migrate import upgrade as apply_migrations

from .common import database_option


def _open(database_url: str | None) -> Database:
    return Database(settings_for(database_url).resolved_database_url)


def _where(db: Database) -> str:
    return make_url(db.url).render_as_string(hide_password=True)


@click.group()
def db() -> None:
    """Esquema de la base de datos (migraciones)."""


@db.command()
@database_option
def upgrade(database_url: str | None) -> None:
    """Aplica las migraciones pendientes (el servidor y los comandos también lo hacen al abrir la base)."""
    database = _open(database_url)
    try:
        applied = apply_migrations(database, keyring=migration_keyring(settings_for(database_url)))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        database.dispose()
    if applied:
        click.echo(f"{_where(database)}: migraciones aplicadas: {', '.join(applied)}; esquema {applied[-1]}")
    else:
        click.echo(f"{_where(database)}: el esquema ya está al día ({head()})")


@db.command()
@database_option
def current(database_url: str | None) -> None:
    """Muestra la versión del esquema de la base y las migraciones pendientes, sin cambiar nada."""
    database = _open(database_url)
    try:
        revision, todo = current_revision(database), pending(database)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        database.dispose()
    click.echo(f"{_where(database)}: esquema {revision or 'ninguno (base vacía)'}; el de esta versión es {head()}")
    if todo:
        click.echo(f"pendientes: {', '.join(todo)} (se aplican con `convoca db upgrade` o al iniciar)")
    else:
        click.echo("al día")
