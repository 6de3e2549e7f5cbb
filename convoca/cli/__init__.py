"""The `convoca` command line. Each command group lives in its own module and calls into the domain packages."""

from __future__ import annotations

import click

from .calendar import calendar
from .engine import engine
from .versions import register_version_commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convoca")
def main() -> None:
    """convoca: candidaturas independientes, de la convocatoria al dictamen."""


main.add_command(calendar)
main.add_command(engine)
register_version_commands(calendar)
