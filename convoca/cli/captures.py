"""`convoca captures synth`: a process's captures with known outcomes, to measure verification against."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from convoca.runtime import build, settings_for
from verification.ground_truth import (
    plan,
    read_roll,
    register_aspirantes,
    sample_aspirantes,
    synthesize,
    write_expected,
)
from workflow.clock import SystemClock
from workflow.errors import DomainError

from .common import database_option


@click.group()
def captures() -> None:
    """Capturas de apoyo: de prueba, con resultado conocido."""


@captures.command()
@click.option("--process", "process_id", required=True, metavar="PROCESO", help="Proceso al que se envían.")
@click.option(
    "--roll",
    "roll_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="El padrón sintético en claro (CSV de `convoca roll synth`) que ya se cargó con `convoca roll load`.",
)
@click.option("--count", default=300, show_default=True, type=click.IntRange(1), help="Capturas, aproximadamente.")
@click.option("--seed", default=1, show_default=True, type=int, help="La misma semilla da las mismas capturas.")
@click.option("--defects", default=0.3, show_default=True, type=click.FloatRange(0, 1), help="Parte con defectos.")
@click.option(
    "-o", "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV de resultados esperados."
)
@database_option
def synth(
    process_id: str, roll_file: Path, count: int, seed: int, defects: float, out: Path, database_url: str | None
) -> None:
    """Registra tres aspirantes de prueba (dos al cargo estatal, uno municipal) y envía capturas de personas del
    padrón sintético cuyo estado registral y marcas de imagen se conocen de antemano; escribe lo esperado en --out.

    Nunca con un padrón real: el padrón es confidencial."""
    runtime = build(SystemClock(), settings_for(database_url))
    s = runtime.services
    try:
        roll = s.rolls.current(process_id)
        with roll_file.open("rb") as f:
            given = hashlib.file_digest(f, "sha256").hexdigest()
        if roll is None or roll.source_sha256 != given:
            raise click.ClickException(
                f"«{roll_file.name}» no es el padrón en vigor de «{process_id}»; cárguelo antes con `convoca roll load`"
            )
        cal = s.calendars.active(process_id).calendar
        who = sample_aspirantes(cal)
        planned = plan(read_roll(roll_file), who["mun"].ine or "", count, seed)  # refused before anyone registers
        aspirantes, gestores = register_aspirantes(s.participants, cal, who, SystemClock().now())
        expected = synthesize(s.captures, s.calendars, aspirantes, gestores, planned, seed, defect_share=defects)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        runtime.close()
    write_expected(out, expected)
    ids = ", ".join(f"{k}: {a.id}" for k, a in aspirantes.items())
    click.echo(f"{len(expected)} capturas enviadas (aspirantes {ids}); resultados esperados en {out}")
