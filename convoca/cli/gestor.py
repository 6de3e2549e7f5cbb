"""`convoca gestor …`: the reference gestor client, which the demo and the benchmarks use."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from convoca.settings import get_settings
from workflow.clock import SystemClock

from .clock_options import INSTANT

if TYPE_CHECKING:  # OpenCV and httpx load only when a gestor command runs, not with every `convoca` command
    from convoca.gestor.client import CaptureQueue, Result, Stats


def _default_queue() -> Path:
    return get_settings().data_dir / "gestor-queue"


def _connection_options(func: Callable) -> Callable:
    for option in reversed(
        [
            click.option(
                "--server",
                envvar="CONVOCA_SERVER",
                help="URL del servidor, p. ej. http://127.0.0.1:8000 (o CONVOCA_SERVER).",
            ),
            click.option("--token", envvar="CONVOCA_GESTOR_TOKEN", help="Token del gestor (o CONVOCA_GESTOR_TOKEN)."),
            click.option(
                "--queue",
                "queue_dir",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="Carpeta de la cola sin conexión (por omisión, gestor-queue en CONVOCA_DATA_DIR).",
            ),
            click.option(
                "--concurrency", default=4, show_default=True, type=click.IntRange(1, 256), help="Envíos simultáneos."
            ),
            click.option(
                "--retry-for",
                default=60.0,
                show_default=True,
                type=click.FloatRange(0),
                help="Segundos que se reintenta cada captura antes de dejarla en la cola.",
            ),
            click.option(
                "--timeout",
                default=30.0,
                show_default=True,
                type=click.FloatRange(0, min_open=True),
                help="Segundos de espera de cada respuesta; al vencer se reintenta con el mismo capture_id.",
            ),
            click.option(
                "--sync/--no-sync",
                default=True,
                show_default=True,
                help="Forzar a disco (fsync) cada captura encolada; --no-sync solo para mediciones.",
            ),
            click.option("--quiet", is_flag=True, help="Solo el resumen, sin una línea por acuse."),
            click.option("--json", "as_json", is_flag=True, help="Imprimir el resumen como JSON (implica --quiet)."),
        ]
    ):
        func = option(func)
    return func


@click.group()
def gestor() -> None:
    """Cliente de referencia de un gestor: capturas sintéticas, cola sin conexión y envío con reintentos."""


def _print_result(result: Result) -> None:
    if result.receipt is not None:
        late = "  extemporáneo" if result.receipt.get("late") else ""
        click.echo(f"{result.receipt['folio']}  {result.capture_id}  {result.outcome}{late}")
    elif result.outcome == "rechazado":
        click.echo(f"rechazado ({result.status})  {result.capture_id}  {result.detail}", err=True)
    else:
        click.echo(f"en cola  {result.capture_id}  {result.detail}", err=True)


def _send(queue: CaptureQueue, server: str | None, token: str | None, opts: dict[str, Any], run) -> Stats:
    from convoca.gestor.client import GestorClient

    if not server or not token:
        raise click.UsageError("indique --server y --token (o CONVOCA_SERVER y CONVOCA_GESTOR_TOKEN)")
    quiet = opts["quiet"] or opts["as_json"]
    try:
        client = GestorClient(
            server,
            token,
            queue,
            concurrency=opts["concurrency"],
            timeout=opts["timeout"],
            retry_for=opts["retry_for"],
            on_result=None if quiet else _print_result,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    stats = run(client)
    if opts["as_json"]:
        click.echo(json.dumps(stats.as_dict(), ensure_ascii=False))
    else:
        click.echo(_summary(stats), err=True)
    for r in queue.rejected() if stats.rejected and not quiet else []:
        click.echo(f"  rechazada {r['capture_id']} ({r['status']}): {r.get('detail', '')}", err=True)
    if client.auth_error:
        raise click.ClickException(f"el servidor rechazó el token: {client.auth_error}; la cola se conserva")
    if stats.pending:
        raise click.ClickException(
            f"quedan {stats.pending} capturas en la cola {queue.root}; envíelas con `convoca gestor flush`"
        )
    return stats


def _summary(s: Stats) -> str:
    d = s.as_dict()
    rejected = sum(s.rejected.values())
    by_status = ", ".join(f"{k}: {v}" for k, v in d["rejected"].items())
    return (
        f"{s.sent} capturas enviadas: {s.accepted_new} acuses nuevos, {s.replays} repetidos, {rejected} rechazadas"
        + (f" ({by_status})" if by_status else "")
        + f", {s.pending} en cola; {s.retries} reintentos; "
        + (
            f"latencia p50 {d['latency_p50_ms']} ms, p99 {d['latency_p99_ms']} ms"
            if s.latencies
            else "sin respuestas del servidor"
        )
        + f"; {d['captures_per_s']} capturas/s en {d['elapsed_s']} s"
    )


@gestor.command()
@click.option("--count", required=True, type=click.IntRange(1), help="Cuántas capturas sintéticas generar.")
@click.option("--seed", type=int, default=None, help="Semilla: la misma produce exactamente las mismas capturas.")
@click.option(
    "--captured-at",
    type=INSTANT,
    default=None,
    help="Momento de captura en el dispositivo (por omisión, ahora según el reloj del sistema).",
)
@click.option("--offline", is_flag=True, help="Solo encolar, sin enviar (se envían después con `flush`).")
@click.option(
    "--roll",
    "roll_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Padrón sintético (CSV de `convoca roll synth`) del que tomar a las personas capturadas.",
)
@_connection_options
def simulate(
    count: int,
    seed: int | None,
    captured_at: datetime | None,
    offline: bool,
    roll_file: Path | None,
    server: str | None,
    token: str | None,
    queue_dir: Path | None,
    **opts: Any,
) -> None:
    """Genera capturas realistas (credencial, fotografía viva, firma), las encola y las envía; imprime los acuses."""
    from convoca.gestor.client import CaptureQueue
    from convoca.gestor.synthetic import CaptureGenerator, citizens_from_roll

    seed = random.SystemRandom().randrange(2**32) if seed is None else seed
    at = captured_at or SystemClock().now()
    queue = CaptureQueue(queue_dir or _default_queue(), sync=opts["sync"])
    generator = CaptureGenerator(seed, citizens=citizens_from_roll(roll_file) if roll_file else ())
    if not (opts["quiet"] or opts["as_json"]):
        click.echo(f"semilla {seed}; captura en {at.isoformat()}; cola en {queue.root}", err=True)
    if offline:
        for i in range(count):
            c = generator.capture(i, at)
            queue.put(c.data, c.images)
        click.echo(
            f"{count} capturas guardadas en la cola {queue.root} sin enviar ({len(queue.pending())} pendientes); "
            "envíelas con `convoca gestor flush`",
            err=True,
        )
        return
    _send(queue, server, token, opts, lambda client: client.simulate(generator, count, at))


@gestor.command()
@_connection_options
def flush(server: str | None, token: str | None, queue_dir: Path | None, **opts: Any) -> None:
    """Envía lo que haya en la cola sin conexión (lo rechazado no se reenvía)."""
    from convoca.gestor.client import CaptureQueue, Stats

    queue = CaptureQueue(queue_dir or _default_queue(), sync=opts["sync"])
    if not queue.pending():
        click.echo(json.dumps(Stats().as_dict()) if opts["as_json"] else f"la cola {queue.root} está vacía")
        return
    _send(queue, server, token, opts, lambda client: client.flush())
