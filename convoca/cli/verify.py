"""`convoca verify PROCESS`: verify a process's apoyos now, against the roll in force, and print each verdict;
`convoca verify report PROCESS`: the per-apoyo trail of the mesa de control and the audiencia, as CSV."""

from __future__ import annotations

import json

import click

from convoca.runtime import build, settings_for
from verification.registral import STATUS_LABELS, Status
from verification.service import RunKind, RunReport, verdicts_of
from workflow.calendar.localtime import format_local
from workflow.calendar.model import DispersionUnit
from workflow.clock import Clock, SystemClock
from workflow.documents.context import UNIT_PLURAL
from workflow.errors import DomainError

from .clock_options import clock_options
from .common import database_option


def _n(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


class _RunByDefault(click.Group):
    """``convoca verify PROCESO`` runs a verification; ``convoca verify report PROCESO`` is a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RunByDefault)
def verify() -> None:
    """Verificación de los apoyos: «convoca verify PROCESO» verifica ahora; «convoca verify report PROCESO» exporta
    la traza de cada apoyo."""


@verify.command(name="run")
@click.argument("process_id", metavar="PROCESO")
@click.option(
    "--cargo", "cargo_id", default=None, help="Solo este cargo (por omisión, todos los que tienen aspirantes)."
)
@click.option("--aspirante", "aspirante_id", type=int, default=None, help="Solo el cargo de esta persona aspirante.")
@click.option("--json", "as_json", is_flag=True, help="Resultado en JSON.")
@click.option(
    "--dask-scheduler",
    envvar="CONVOCA_DASK_SCHEDULER",
    default=None,
    help="Dirección de un planificador dask.distributed (tcp://host:8786) donde correr el cruce con el padrón.",
)
@database_option
@clock_options
def run(
    process_id: str,
    cargo_id: str | None,
    aspirante_id: int | None,
    as_json: bool,
    dask_scheduler: str | None,
    database_url: str | None,
    clock: Clock,
) -> None:
    """Verifica ahora los apoyos recibidos: estado registral de cada uno, conteos y resultado por aspirante.

    Una verificación con las mismas entradas que otra ya hecha no cambia nada: se muestra la anterior."""
    now = clock.now()
    if now > SystemClock().now():
        raise click.ClickException("el corte de una verificación no puede estar en el futuro; quite --at o --from")
    settings = settings_for(database_url)
    if dask_scheduler:
        settings = settings.model_copy(update={"dask_scheduler": dask_scheduler})
    runtime = build(clock, settings)
    services = runtime.services
    try:
        cal = services.calendars.active(process_id).calendar
        cargos = [cargo_id] if cargo_id else [c.id for c in cal.cargos]
        if aspirante_id is not None:
            a = services.participants.aspirante(aspirante_id)
            if a is None or a.process_id != process_id:
                raise click.ClickException(f"no existe la persona aspirante {aspirante_id} en «{process_id}»")
            cargos = [a.cargo_id]
        reports: list[RunReport] = []
        for c in cargos:
            if cargo_id is None and aspirante_id is None and not services.verification.aspirantes(process_id, c):
                continue
            reports.append(services.verification.run(process_id, c, now, kind=RunKind.manual))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        runtime.close()
    out = []
    for r in reports:
        verdicts = [v for v in verdicts_of(r.run) if aspirante_id is None or v["aspirante_id"] == aspirante_id]
        out.append({"run": r.run.id, "cargo": r.run.cargo_id, "reused": r.reused, "aspirantes": verdicts})
        if as_json:
            continue
        again = " (mismas entradas que una verificación anterior: sin cambios)" if r.reused else ""
        cut = format_local(r.run.received_before, cal.tz)
        apoyos = (r.run.counts or {}).get("apoyos", 0)
        click.echo(
            f"verificación {r.run.id} · {r.run.cargo_id} · {r.run.kind} · corte {cut} · {apoyos:,} apoyos{again}"
        )
        for v in verdicts:
            verdict = "CUMPLE" if v["meets"] else "NO CUMPLE"
            valid, received = _n(v["valid"], "válido", "válidos"), _n(v["received"], "recibido", "recibidos")
            click.echo(
                f"  {v['name']} ({v['demarcacion_name']}): {valid} de {received}; "
                f"requeridos {v['required'] or 0:,}; {verdict}"
            )
            for status, n in v["counts"].items():
                if n:
                    click.echo(f"    {STATUS_LABELS[Status(status)]}: {n:,}")
            if v["flagged"]:
                click.echo(f"    válidos marcados para la mesa de control: {v['flagged']:,}")
            d = v.get("dispersion")
            if d:
                click.echo(
                    f"    dispersión: {d['reached']} {UNIT_PLURAL[DispersionUnit(d['unit'])]} alcanzan su mínimo; "
                    f"se necesitan {d['needed']}" + (" (regla supuesta, no confirmada)" if d["assumed"] else "")
                )
    if not reports and not as_json:
        click.echo(f"{process_id}: ningún cargo tiene aspirantes registrados")
    if as_json:
        click.echo(json.dumps(out, ensure_ascii=False, indent=2, default=str))


@verify.command()
@click.argument("process_id", metavar="PROCESO")
@click.option("--cargo", "cargo_id", default=None, help="Solo este cargo (por omisión, todos).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    show_default=True,
    help="Archivo CSV de salida («-»: la salida estándar).",
)
@database_option
@clock_options
def report(process_id: str, cargo_id: str | None, output: str, database_url: str | None, clock: Clock) -> None:
    """Exporta en CSV la traza de cada apoyo de la última verificación de cada cargo: el resultado registral, el
    envío a la mesa de control con lo que midió la revisión automática, cada decisión y corrección con su autor,
    fecha, motivo y nota, la objeción de la persona aspirante y su resolución, y el resultado final. No contiene
    datos personales: cada apoyo se identifica por su folio."""
    runtime = build(clock, settings_for(database_url))
    try:
        text = runtime.services.trail.csv(process_id, cargo_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        runtime.close()
    with click.open_file(output, "w", encoding="utf-8") as f:
        f.write(text if output != "-" else text.removeprefix("\ufeff"))
    if output != "-":
        click.echo(f"{output}: {text.count(chr(10)) - 1:,} eventos", err=True)
