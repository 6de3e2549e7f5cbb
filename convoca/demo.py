"""`convoca demo`: the server with its engine, on Durango's calendar, around the close of the capture window.

It is what `make run` runs: a fresh data folder, the server on an accelerated clock that starts ten real seconds
before Durango's captación closes, an aspirante and a gestor registered through the API, synthetic captures
sent by the reference gestor client before and after the close, and the results read back from the API. Then it
keeps serving until Ctrl-C, so the API (/schema) and the documents can be explored.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import uvicorn

from convoca.gestor.client import CaptureQueue, GestorClient
from convoca.gestor.synthetic import CaptureGenerator, citizens_from_roll
from convoca.logs import setup_logging
from convoca.server import build_app
from convoca.settings import Settings, get_settings
from verification.synth_roll import synthesize_roll
from workflow.calendar.localtime import format_local
from workflow.clock import AcceleratedClock, parse_instant
from workflow.documents import spanish as es
from workflow.participants.records import Role

PROCESS = "durango-2021-2022"
CLOSE = "2022-02-11T00:00:00-06:00"  # Durango's captación closes at 24:00 of 10 Feb 2022
ROLL_SCALE = 0.005  # a synthetic Lista Nominal of ~7,000 people: the captures are of them
LEAD_SECONDS = 10  # real seconds before the close: enough to send the first captures on a slow machine


def _say(text: str) -> None:
    click.echo(click.style("» ", fg="cyan") + text)


def _expect(got: int, wanted: int, what: str) -> None:
    """The demo shows what the system does: if it did not, say so and fail, rather than print zeros."""
    if got != wanted:
        raise click.ClickException(
            f"la demostración esperaba {wanted} {what} y hubo {got}; revise los mensajes de arriba"
        )


def run_demo(data_dir: Path, port: int, speed: float, keep_serving: bool) -> None:
    setup_logging(logging.WARNING)
    if data_dir.exists():
        shutil.rmtree(data_dir)
    base = get_settings()
    settings = Settings(data_dir=data_dir, calendars_dir=base.calendars_dir)
    close = parse_instant(CLOSE)
    # Held until the server is up and the engine has caught up (first-run costs: imports, fonts, documents), so
    # the ten seconds before the close are all the demo's.
    clock = AcceleratedClock(close - timedelta(seconds=LEAD_SECONDS * speed), speed, held=True)
    app = build_app(clock, settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise click.ClickException(f"el servidor no pudo iniciar en el puerto {port}")
        time.sleep(0.05)
    if not app.state.scheduler.caught_up.wait(120):
        raise click.ClickException("el motor no terminó de ponerse al día con el calendario en dos minutos")
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=url + "/api/v1", timeout=60)
    try:
        services = app.state.services
        tz = services.calendars.active(PROCESS).calendar.tz
        _say(f"portal en {url}/ — documentación de la API en {url}/schema; datos en {data_dir}/")
        _say(f"reloj acelerado ×{speed:g}: son las {format_local(clock.now(), tz)} en Durango")

        admin = services.participants.issue_token(Role.admin, clock.now(), label="demo").token
        # Durango's calendar still has unconfirmed values: its documents are a PROYECTO, which the engine does not
        # publish. An administrator forces it here, through the API, with the reason stored beside each version.
        for kind in ("convocatoria", "protocolo"):
            forced = api.post(
                f"/processes/{PROCESS}/documents/{kind}/publish",
                headers={"Authorization": f"Bearer {admin}"},
                json={"force": True, "reason": "demostración: proyecto con valores sin confirmar"},
            )
            if forced.status_code != 200:
                raise click.ClickException(f"no se pudo publicar {kind}: {forced.text}")
        _say("convocatoria y protocolo: PROYECTO (valores sin confirmar), publicados por la administración con motivo")
        a = api.post(
            f"/processes/{PROCESS}/aspirantes",
            headers={"Authorization": f"Bearer {admin}"},
            json={
                "name": "Ana María Soto Rivas",
                "cargo": "gubernatura",
                "demarcacion": "10",
                "constancia_date": "2021-12-20",
            },
        ).json()
        g = api.post(
            f"/aspirantes/{a['id']}/gestores",
            headers={"Authorization": f"Bearer {a['token']}"},
            json={"name": "Jorge Ibarra", "clave_elector": "IBRAJR90051210H500"},
        ).json()
        _say(f"aspirante {a['id']} ({a['name']}, Gubernatura) y su gestor {g['id']} registrados por la API")

        roll_file = data_dir / "padron-sintetico.csv"
        cal = services.calendars.active(PROCESS).calendar
        synthesize_roll(cal, roll_file, seed=2022, scale=ROLL_SCALE)
        roll = services.rolls.load(roll_file, PROCESS, cal.process.roll_cut_date, clock.now())
        _say(
            f"Lista Nominal sintética cargada: {roll.rows:,} registros ({es.percentage(ROLL_SCALE * 100)} de la de "
            "Durango), guardada con la clave, el OCR y el CIC como huellas con llave, sin nombres"
        )

        generator = CaptureGenerator(seed=2022, citizens=citizens_from_roll(roll_file))
        clock.release()
        with tempfile.TemporaryDirectory() as queue_dir:
            client = GestorClient(url, g["token"], CaptureQueue(Path(queue_dir)), concurrency=4)
            stats = client.simulate(generator, 40, clock.now())
            p50 = stats.percentile(50)  # None if the server never answered
            _say(
                f"40 apoyos enviados antes del cierre: {stats.accepted_new} recibidos, {stats.rate:.0f} por segundo, "
                + (f"p50 {p50 * 1000:.0f} ms" if p50 is not None else "sin respuestas del servidor")
            )
            _expect(stats.accepted_new, 40, "apoyos recibidos antes del cierre")

            inside = clock.now()
            _say(f"esperando el cierre del periodo ({format_local(close, tz, is_end=True)}) …")
            while clock.now() < close:
                time.sleep(0.1)
            late = client.simulate(generator, 3, inside, start=100)
            after = client.simulate(generator, 3, clock.now(), start=200)
            _say(f"tras el cierre, 3 apoyos captados antes: {late.accepted_new} recibidos en el plazo de gracia")
            reasons = {r["detail"] for r in client.queue.rejected()}
            _say(
                f"tras el cierre, 3 apoyos captados después: {sum(after.rejected.values())} rechazados (409): "
                + "; ".join(sorted(reasons))
            )
            _expect(late.accepted_new, 3, "apoyos recibidos en el plazo de gracia")
            _expect(after.rejected.get(409, 0), 3, "apoyos rechazados por llegar tras el cierre")

        progress = api.get(f"/aspirantes/{a['id']}/progress", headers={"Authorization": f"Bearer {a['token']}"}).json()
        _say(
            f"avance: {progress['received']} apoyos recibidos ({progress['late']} en el plazo de gracia) de "
            f"{progress['required']:,} requeridos; estado del periodo: {progress['window_state']}"
        )
        _show_verification(api, a, data_dir, services)
        _show_desk(api, admin)
        deadline = time.monotonic() + 60
        docs: list[dict[str, Any]] = []
        while time.monotonic() < deadline and len(docs) < 2:  # the engine publishes them at start-up
            docs = api.get(f"/processes/{PROCESS}/documents").json()
            time.sleep(0.2)
        for d in docs:
            _say(f"{d['title']} (v{d['number']}): {url}{d['url']}")
        if keep_serving:
            _say("el servidor sigue en marcha con el reloj acelerado; Ctrl-C para terminar")
            while thread.is_alive():
                thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        api.close()
        server.should_exit = True
        thread.join(timeout=15)


def _show_verification(api: httpx.Client, a: dict[str, Any], data_dir: Path, services: Any) -> None:
    """The engine verified at the close (run_verification): what it found, and its dictamen."""
    headers = {"Authorization": f"Bearer {a['token']}"}
    deadline = time.monotonic() + 120
    progress = api.get(f"/aspirantes/{a['id']}/progress", headers=headers).json()
    while progress["verification"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        progress = api.get(f"/aspirantes/{a['id']}/progress", headers=headers).json()
    v = progress["verification"]
    if v is None:
        raise click.ClickException("el motor no verificó los apoyos al cierre de la captación en dos minutos")
    _say(
        f"verificación {v['kind']} al cierre (run {v['run_id']}): {v['verified']} apoyos, {v['valid']} válidos — "
        + "; ".join(f"{c['label']}: {c['count']}" for c in progress["by_status"])
    )
    while (dictamen := services.documents.latest(PROCESS, "dictamen-gubernatura")) is None:
        if time.monotonic() > deadline:
            raise click.ClickException("la verificación no generó su dictamen en dos minutos")
        time.sleep(0.2)
    target = data_dir / dictamen.file_name
    target.write_bytes(services.documents.pdf(dictamen))
    _say(f"dictamen (proyecto, sin publicar) v{dictamen.number}: {target}")


def _show_desk(api: httpx.Client, admin: str) -> None:
    """The mesa de control: a reviewer takes two apoyos from the queue, accepts one and rejects the other."""
    reviewer = api.post("/reviewers", headers={"Authorization": f"Bearer {admin}"}, json={"name": "Lucía Reyes"})
    token = reviewer.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    decided = []
    for decision in ("aceptado", "fotocopia"):
        r = api.get("/review/next", params={"process_id": PROCESS}, headers=headers)
        if r.status_code == 204:
            break
        apoyo = r.json()
        if decision == "aceptado":
            flags = ", ".join(f["code"] for f in apoyo["flags"]) or "ninguna"
            _say(
                f"mesa de control: {apoyo['queue_pending']} apoyos por revisar; la revisora toma el folio "
                f"{apoyo['folio']} ({apoyo['kind_label'].lower()}; señales: {flags})"
            )
        d = api.post(f"/review/{apoyo['apoyo_id']}", headers=headers, json={"decision": decision})
        _expect(d.status_code, 201, "decisión registrada en la mesa de control")
        decided.append(f"{apoyo['folio']}: {d.json()['label'].lower()}")
    if decided:
        _say("decisiones (quedan en la traza, con autora y hora): " + "; ".join(decided))
    trail = api.get(f"/processes/{PROCESS}/review/report", headers={"Authorization": f"Bearer {admin}"})
    _say(f"traza de cada apoyo (CSV, sin datos personales): {trail.text.count(chr(10)) - 1} eventos")


@click.command()
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--speed", default=10.0, show_default=True, type=click.FloatRange(min=1), help="Factor del reloj.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Carpeta de datos de la demostración (se vacía al empezar; por omisión, var/demo).",
)
@click.option("--exit/--serve", "exit_after", default=False, help="Terminar al acabar en vez de seguir sirviendo.")
def demo(port: int, speed: float, data_dir: Path | None, exit_after: bool) -> None:
    """Demostración: servidor, motor y gestor en torno al cierre de la captación de Durango 2021-2022."""
    run_demo(data_dir or get_settings().data_dir / "demo", port, speed, keep_serving=not exit_after)
