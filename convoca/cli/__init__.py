"""The `convoca` command line. Each command group lives in its own module and calls into the domain packages."""

from __future__ import annotations

import click

from .calendar import calendar


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="convoca")
def main() -> None:
    """convoca: candidaturas independientes, de la convocatoria al dictamen."""


main.add_command(calendar)
