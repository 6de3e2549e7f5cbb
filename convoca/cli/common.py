"""Options shared by commands that use the database."""

from __future__ import annotations

from collections.abc import Callable

import click


def database_option(func: Callable) -> Callable:
    return click.option(
        "--database",
        "database_url",
        envvar="CONVOCA_DATABASE_URL",
        default=None,
        help="URL SQLAlchemy de la base de datos (por omisión, SQLite en var/convoca.sqlite3; "
        "también CONVOCA_DATABASE_URL).",
    )(func)
