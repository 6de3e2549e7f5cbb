"""`convoca demo` (what `make demo` runs): a whole process replayed in about a minute; see ``replay.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from convoca.settings import ROOT, get_settings

from .replay import Replay
from .summary import show


@click.command()
@click.option(
    "--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Puerto (0: uno libre cualquiera)."
)
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Carpeta de datos de la demostración (se vacía al empezar; por omisión, var/demo).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=ROOT / "out" / "demo",
    show_default=True,
    help="Carpeta donde quedan los PDF, la traza y el resumen.",
)
def demo(port: int, data_dir: Path | None, out_dir: Path) -> None:
    """Demostración: Durango 2021-2022 de la convocatoria al dictamen, con el servidor real, en un minuto."""
    # A terminal gets live bars at its own width; a log or a pipe gets the lines and the table at a readable one.
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
    service_data = get_settings().data_dir
    data_dir = data_dir or service_data / "demo"
    if data_dir.resolve() == service_data.resolve():
        raise click.UsageError(f"la demostración vacía su carpeta de datos: no puede ser la del servicio ({data_dir})")
    summary = Replay(data_dir, out_dir, port, console).run()
    show(summary, out_dir, console)
    console.print(
        f"\nDemostración completa en {summary.seconds:.0f} s. Para recorrer en el portal lo que quedó: "
        f"CONVOCA_DATA_DIR={data_dir} .venv/bin/convoca serve",
        highlight=False,
    )
