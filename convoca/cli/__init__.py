"""The `convoca` command line. Each command group lives in its own module and calls into the domain packages."""

from __future__ import annotations

import click

from convoca.demo import demo

from .admin import admin
from .calendar import calendar
from .captures import captures
from .db import db
from .documents import documents
from .engine import engine
from .gestor import gestor
from .roll import roll
from .serve import serve
from .spanish import install, spanish_usage
from .verify import verify
from .versions import register_version_commands

install()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convoca")
def main() -> None:
    """convoca: candidaturas independientes, de la convocatoria al dictamen."""


main.add_command(calendar)
main.add_command(engine)
main.add_command(documents)
main.add_command(serve)
main.add_command(admin)
main.add_command(gestor)
main.add_command(demo)
main.add_command(db)
main.add_command(roll)
main.add_command(verify)
main.add_command(captures)
register_version_commands(calendar)
spanish_usage(main)
