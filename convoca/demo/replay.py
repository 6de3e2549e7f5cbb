"""The whole replay: Durango 2021-2022 from before the convocatoria to after the dictamen, in about a minute.

The real server and its engine run on an accelerated clock (a real second is a minute of the process) that skips
the quiet stretches: it moves forward to each phase edge in turn, and the engine fires that edge's actions on time
before the replay goes on, so everything happens in the calendar's order and nothing is late. Everyone else works
through the HTTP API like the real thing: the administration, the aspirantes, their gestores (the reference client)
and a reviewer. The replay checks that the system did what it shows, and stops with a message when it did not.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Column

from convoca.gestor.client import CaptureQueue, GestorClient, Result
from convoca.gestor.synthetic import citizens_from_roll
from convoca.logs import setup_logging
from convoca.server import build_app
from convoca.settings import Settings, get_settings
from verification.reasons import ACCEPTED, DESK_REJECTED
from verification.registral import Status
from verification.synth_roll import synthesize_roll
from verification.synthetic_images import credential, jpeg
from workflow.calendar.localtime import format_local
from workflow.clock import AcceleratedClock, parse_instant
from workflow.engine.boundaries import boundaries
from workflow.participants.records import Role

from . import gestores as gs
from .summary import Summary, write_outputs

PROCESS = "durango-2021-2022"
START = "2021-10-31T23:50:00-06:00"  # ten minutes before Durango's convocatoria
SPEED = 60.0  # between the edges the clock runs: a real second is a minute of the process
ROLL_SCALE = 0.005  # a synthetic Lista Nominal of ~7,000 people
FORCED = "demostración: proyecto con valores sin confirmar"
WAIT = 120.0  # real seconds the replay waits for the system before it calls it a failure


class DemoFailure(click.ClickException):
    """The system did not do what the demo shows: say what, in Spanish, and exit non-zero."""


class Api:
    """The HTTP API as its users call it; any unexpected answer stops the demo with the server's detail."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base + "/api/v1", timeout=60)

    def call(self, method: str, path: str, token: str | None = None, expect: int = 200, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(method, path, headers=headers, **kw)
        if r.status_code != expect:
            raise DemoFailure(f"la API respondió {r.status_code} a {method} {path} (se esperaba {expect}): {r.text}")
        if r.status_code == 204:
            return None
        return r.json() if "json" in r.headers.get("content-type", "") else r.content


class Replay:
    def __init__(self, data_dir: Path, out_dir: Path, port: int, console: Console) -> None:
        self.data_dir, self.out_dir, self.port, self.console = data_dir, out_dir, port, console
        self.summary = Summary(PROCESS)
        self.results: dict[str, Result] = {}  # capture_id → the server's answer
        self.planned: dict[str, tuple[gs.GestorPlan, gs.Planned]] = {}  # capture_id → what it is
        self._lock = threading.Lock()

    # -- narration ----------------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        when = format_local(self.clock.now(), self.tz)
        self.console.print(f"[cyan]{when}[/]  {text}", highlight=False)

    def expect(self, ok: bool, message: str) -> None:
        if not ok:
            raise DemoFailure(f"la demostración esperaba que {message}; revise los mensajes de arriba")

    def wait_for(self, what: str, probe: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + WAIT
        while (value := probe()) is None or value is False:
            if time.monotonic() > deadline:
                raise DemoFailure(f"{what}: no ocurrió en {WAIT:.0f} segundos")
            time.sleep(0.2)
        return value

    # -- the clock ----------------------------------------------------------------------------------------------

    def local(self, text: str) -> datetime:
        """A local time of the process (``2022-02-10T23:00``) as a UTC instant."""
        return datetime.fromisoformat(text).replace(tzinfo=self.tz).astimezone(UTC)

    def advance(self, to: datetime) -> None:
        """Move the clock to ``to``, through every phase edge on the way: at each one the engine runs its actions
        before the clock goes on (the scheduler re-plans in this thread when the clock moves)."""
        for b in boundaries(self.cal):
            if self.clock.now() < b.instant <= to:
                self.clock.advance_to(b.instant)
        if self.clock.now() < to:
            self.clock.advance_to(to)

    # -- the run ------------------------------------------------------------------------------------------------

    def run(self) -> Summary:
        setup_logging(logging.ERROR)  # the replay narrates; the engine's refusals to publish a PROYECTO are shown
        began = time.monotonic()
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        base = get_settings()
        settings = Settings(
            data_dir=self.data_dir,
            calendars_dir=base.calendars_dir,
            verification_poll_seconds=0.5,  # the stage's real-time pace, scaled to a replay
            triage_workers=0,  # triage in the stage's thread: a worker process per pass costs more than it saves
        )
        start = parse_instant(START)
        # Held until the server is up and the engine has caught up, so nothing happens before anyone can see it.
        self.clock = AcceleratedClock(start, SPEED, held=True)
        app = build_app(self.clock, settings)
        services = app.state.services
        self.cal = services.calendars.active(PROCESS).calendar
        self.tz = self.cal.tz
        end = self.cal.phase_end(self.cal.phase("dictamen"))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            self.wait_for("el servidor no inició", lambda: server.started or not thread.is_alive() or None)
            if not server.started:
                raise DemoFailure(f"el servidor no pudo iniciar en el puerto {self.port}")
            if not app.state.scheduler.caught_up.wait(WAIT):
                raise DemoFailure("el motor no terminó de ponerse al día con el calendario")
            self.url = url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
            self.api = Api(url)
            self.console.print(
                f"[bold]convoca[/] · {self.cal.process.name} de Durango, de la convocatoria al dictamen, con el "
                f"servidor real en {url}/ (API: {url}/schema) y un reloj acelerado; datos en {self.data_dir}/",
                highlight=False,
            )
            self.admin = services.participants.issue_token(Role.admin, self.clock.now(), label="demostración").token
            with self._progress(start, end) as progress:
                self.progress = progress
                self.clock.release()
                self._script(services)
                self.advance(end)
            self.summary.seconds = time.monotonic() - began
            write_outputs(self.summary, self.out_dir)
            return self.summary
        finally:
            server.should_exit = True
            thread.join(timeout=15)
            # The server's shutdown only tells verification's background stage to stop: wait for its pass to end, or
            # the interpreter's exit kills it inside DuckDB and the process aborts instead of reporting.
            for t in threading.enumerate():
                if t.name == "convoca-verification":
                    t.join(timeout=WAIT)

    def _progress(self, start: datetime, end: datetime) -> Progress:
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", table_column=Column(width=45, no_wrap=True)),
            BarColumn(bar_width=30),
            TaskProgressColumn(),
            TextColumn("{task.fields[detail]}", table_column=Column(no_wrap=True)),
            TimeElapsedColumn(),
            console=self.console,
        )
        total = (end - start).total_seconds()
        task = progress.add_task("Proceso", total=total, detail="")
        stop = threading.Event()

        def show() -> None:
            now = self.clock.now()
            phases = [p.name for p in self.cal.phases if self.cal.phase_start(p) <= now < self.cal.phase_end(p)]
            progress.update(
                task,
                description=f"Proceso: {phases[-1] if phases else 'concluida la fase de dictamen'}",
                completed=min(total, (now - start).total_seconds()),
                detail=format_local(now, self.tz),
            )

        def follow() -> None:  # the process bar follows the clock
            while not stop.wait(0.2):
                show()

        follower = threading.Thread(target=follow, daemon=True)
        original_stop = progress.stop

        def stop_all() -> None:
            stop.set()
            follower.join()
            show()
            original_stop()

        progress.stop = stop_all  # type: ignore[method-assign]
        follower.start()
        return progress

    def _script(self, services: Any) -> None:
        self._documents_on_start("convocatoria")
        self._documents_on_start("protocolo")
        self._people()
        self.advance(self.local("2021-12-20T10:00"))
        self._register()
        self.advance(self.local("2022-01-20T10:00"))
        self._send_inside()
        self.advance(self.local("2022-02-10T23:00"))
        self._queue_late()
        close = self.cal.phase_end(self.cal.phase("captacion-gubernatura"))
        self.advance(close - timedelta(minutes=1))
        self._roll(services)
        self.advance(close)
        self._after_close()
        grace_end = close + timedelta(hours=self.cal.phase("captacion-gubernatura").late_upload_grace_hours or 0)
        self.advance(grace_end + timedelta(minutes=1))
        self._final_verification()
        self.advance(self.local("2022-02-12T09:00"))
        self._desk()
        self.advance(self.local("2022-02-15T10:00"))
        self._objection()
        self.advance(self.local("2022-02-16T10:00"))
        self._resolve()
        self.advance(self.cal.phase_end(self.cal.phase("garantia-audiencia")))
        self._dictamen(services)
        self._trail()

    # -- documents ----------------------------------------------------------------------------------------------

    def _documents_on_start(self, kind: str) -> None:
        """The engine generates the document at its phase's start and tries to publish it: Durango's calendar has
        unconfirmed values, so it is a PROYECTO the engine does not publish; the administration forces it, with the
        reason, through the API."""
        self.advance(self.cal.phase_start(self.cal.phase(kind)))
        doc = self.api.call(
            "POST", f"/processes/{PROCESS}/documents/{kind}/publish", self.admin, json={"force": True, "reason": FORCED}
        )
        self.say(
            f"el motor generó {doc['title'].split(' a ')[0].split(' para ')[0].lower()} (v{doc['number']}): "
            f"{'PROYECTO, ' if doc['draft'] else ''}la administración la publica"
            f"{' forzándola, con motivo' if doc['draft'] else ''}"
        )
        pdf = self.api.call("GET", doc["url"].removeprefix("/api/v1"))
        self.summary.add_document(f"{kind}.pdf", doc["title"], doc["number"], doc["draft"], pdf)

    # -- the roll and the people -----------------------------------------------------------------------------------

    @property
    def roll_file(self) -> Path:
        return self.data_dir / "padron-sintetico.csv"

    def _people(self) -> None:
        """A synthetic roll shaped like Durango's (the real one is confidential), and whom each gestor will capture:
        its people, so that what verification must find is known."""
        synthesize_roll(self.cal, self.roll_file, seed=2022, scale=ROLL_SCALE)
        ine_of = {m.inegi: m.ine for m in self.cal.territory.municipios if m.ine}
        self.plans = gs.plan(citizens_from_roll(self.roll_file), ine_of, seed=2022)

    def _roll(self, services: Any) -> None:
        """The roll arrives for the verification at the close (loading it earlier would add a preliminary report
        for every day with captures, each with its dictamen: seconds of the replay spent on nothing new)."""
        roll = services.rolls.load(self.roll_file, PROCESS, self.cal.process.roll_cut_date, self.clock.now())
        self.say(
            f"la Lista Nominal con corte al {self.cal.process.roll_cut_date:%d/%m/%Y} (sintética: {roll.rows:,} "
            "registros) se carga para la verificación, como huellas con llave, sin nombres"
        )

    def _register(self) -> None:
        self.aspirantes: dict[str, dict[str, Any]] = {}
        self.gestor_tokens: dict[str, str] = {}
        constancia = self.clock.now().astimezone(self.tz).date()
        for spec in gs.ASPIRANTES:
            a = self.api.call(
                "POST",
                f"/processes/{PROCESS}/aspirantes",
                self.admin,
                expect=201,
                json={
                    "name": spec.name,
                    "cargo": spec.cargo,
                    "demarcacion": spec.demarcacion,
                    "constancia_date": constancia.isoformat(),
                },
            )
            self.aspirantes[spec.name] = a
            for g_name, clave, _ in spec.gestores:
                g = self.api.call(
                    "POST",
                    f"/aspirantes/{a['id']}/gestores",
                    a["token"],
                    expect=201,
                    json={"name": g_name, "clave_elector": clave},
                )
                self.gestor_tokens[g_name] = g["token"]
            self.summary.add_aspirante(a, spec, self._demarcacion_name(spec))
        self.say(
            f"la administración registra {len(gs.ASPIRANTES)} aspirantes con su constancia; cada quien registra a "
            f"sus gestores ({len(self.gestor_tokens)} en total) por la API"
        )

    def _demarcacion_name(self, spec: gs.AspiranteSpec) -> str:
        if spec.demarcacion == self.cal.process.entity_key:
            return self.cal.process.state
        return next(m.name for m in self.cal.territory.municipios if m.inegi == spec.demarcacion)

    # -- captures -----------------------------------------------------------------------------------------------

    def _gestor_dir(self, g: gs.GestorPlan) -> Path:
        return self.data_dir / "gestores" / g.clave

    def _queue(self, batch: list[tuple[gs.GestorPlan, gs.Planned, datetime]], label: str) -> None:
        """The gestores capture offline: each capture goes to its gestor's on-disk queue (the app's)."""
        task = self.progress.add_task(label, total=len(batch), detail="")
        generators = {g.clave: g.generator() for g in self.plans}

        def put(item: tuple[gs.GestorPlan, gs.Planned, datetime]) -> None:
            g, p, at = item
            c = g.capture(generators[g.clave], p, at)
            # Not fsynced: a demo's queue need not survive a power cut, and four syncs per capture cost seconds.
            CaptureQueue(self._gestor_dir(g), sync=False).put(c.data, c.images)
            with self._lock:
                self.planned[str(c.data["capture_id"])] = (g, p)
            self.progress.advance(task)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(put, batch))
        self.progress.remove_task(task)

    def _flush(self, label: str) -> Counter[str]:
        """Every gestor sends its queue over HTTP with the reference client, all at once."""
        total = sum(len(CaptureQueue(self._gestor_dir(g), sync=False).pending()) for g in self.plans)
        task = self.progress.add_task(label, total=total, detail="")
        outcomes: Counter[str] = Counter()

        def record(r: Result) -> None:
            with self._lock:
                self.results[r.capture_id] = r
                outcomes[r.outcome] += 1
            self.progress.advance(task)

        def send(g: gs.GestorPlan) -> None:
            queue = CaptureQueue(self._gestor_dir(g), sync=False)
            GestorClient(self.url, self.gestor_tokens[g.name], queue, concurrency=2, on_result=record).flush()

        with ThreadPoolExecutor(len(self.plans)) as pool:
            list(pool.map(send, self.plans))
        self.progress.remove_task(task)
        return outcomes

    def _send_inside(self) -> None:
        now = self.clock.now()
        batch = [
            (g, p, at)
            for g in self.plans
            for p, at in zip(g.inside, gs.spread(now, len(g.inside), timedelta(hours=2)), strict=True)
        ]
        self._queue(batch, "Gestores: captan sin conexión")
        out = self._flush("Gestores: envían por HTTP")
        self.expect(
            out["nuevo"] == len(batch), f"el servidor recibiera los {len(batch)} apoyos (recibió {out['nuevo']})"
        )
        bad = Counter(p.kind for _, p, _ in batch if p.kind != gs.PADRON)
        self.say(
            f"{len(self.plans)} gestores envían {len(batch)} apoyos con el cliente de referencia; todos con acuse. "
            f"Entre ellos, a propósito: {bad[gs.FOTOCOPIA]} fotocopias, {bad[gs.NO_CREDENCIAL]} imágenes que no son "
            f"credencial, {bad[gs.DUPLICADO]} personas repetidas, {bad[gs.SIN_PADRON]} personas fuera del padrón y "
            f"{bad[gs.FUERA_DE_AMBITO]} de otro municipio"
        )

    def _queue_late(self) -> None:
        now = self.clock.now()
        batch = [(g, p, now - timedelta(minutes=5 * (k + 1))) for g in self.plans for k, p in enumerate(g.late)]
        self._queue(batch, "Gestores: captan antes del cierre, sin señal")
        self.late_count = len(batch)
        self.say(f"{len(batch)} apoyos captados antes del cierre esperan en las colas de los gestores, sin señal")

    def _after_close(self) -> None:
        close = self.clock.now()
        self.say("cierra la captación: el motor cierra los periodos y verifica lo recibido (preliminar)")
        out = self._flush("Gestores: envían en el plazo de gracia")
        self.expect(out["nuevo"] == self.late_count, f"se recibieran {self.late_count} apoyos en el plazo de gracia")
        batch = [(g, p, close + timedelta(minutes=10)) for g in self.plans for p in g.after]
        self.advance(close + timedelta(minutes=30))
        self._queue(batch, "Gestores: captan después del cierre")
        out = self._flush("Gestores: envían después del cierre")
        refused = [r for r in self.results.values() if r.outcome == "rechazado"]
        for r in refused:
            self.summary.row(self.planned[r.capture_id][0].aspirante.name).refused += 1
        self.expect(
            out["rechazado"] == len(batch) and all(r.status == 409 for r in refused),
            f"el servidor rechazara con 409 los {len(batch)} apoyos captados después del cierre",
        )
        self.say(
            f"tras el cierre: {self.late_count} apoyos captados antes se reciben en el plazo de gracia; "
            f"{len(batch)} captados después se rechazan (409): {refused[0].detail}"
        )

    # -- verification, desk, audiencia ------------------------------------------------------------------------------

    def _runs(self) -> list[dict[str, Any]]:
        return self.api.call("GET", f"/processes/{PROCESS}/verification/", self.admin)

    def _final_verification(self) -> None:
        cargos = {s.cargo for s in gs.ASPIRANTES}

        def finals() -> list[dict[str, Any]] | None:
            done = [r for r in self._runs() if r["kind"] == "final" and r["status"] == "done"]
            return done if {r["cargo"] for r in done} == cargos else None

        runs = self.wait_for("la verificación final tras el plazo de gracia", finals)
        self.say(
            "vence el plazo de gracia: la verificación final compulsa "
            + " y ".join(f"{r['apoyos']} apoyos de {r['cargo']}" for r in runs)
            + " contra la Lista Nominal; la revisión de imágenes señala los dudosos para la mesa de control"
        )

    def _desk(self) -> None:
        reviewer = self.api.call("POST", "/reviewers", self.admin, expect=201, json={"name": "Lucía Reyes Ortiz"})
        self.reviewer = reviewer["token"]
        first = self._next()
        task = self.progress.add_task("Mesa de control", total=first["queue_pending"] if first else 0, detail="")
        decided: Counter[str] = Counter()
        item = first
        while item is not None:
            _, p = self.by_folio[item["folio"]]
            decision = gs.DESK_REASONS.get(p.kind, ACCEPTED)
            self.api.call("POST", f"/review/{item['apoyo_id']}", self.reviewer, expect=201, json={"decision": decision})
            decided[decision] += 1
            self.summary.desk[item["kind"]] += 1
            self.progress.advance(task)
            item = self._next()
        self.progress.remove_task(task)
        planted = sum(1 for _, p in self.planned.values() if p.kind in gs.DESK_REASONS)
        rejected = sum(n for d, n in decided.items() if d != "aceptado")
        self.expect(rejected == planted, f"la revisión de imágenes señalara las {planted} imágenes defectuosas")
        self.summary.decisions = dict(decided)
        self.say(
            f"mesa de control: la revisora decide {sum(decided.values())} apoyos (los señalados y una muestra de los "
            f"válidos): acepta {decided['aceptado']}, rechaza {decided['fotocopia']} fotocopias y "
            f"{decided['no_es_credencial']} imágenes que no son credencial"
        )

    @property
    def by_folio(self) -> dict[str, tuple[gs.GestorPlan, gs.Planned]]:
        return {r.receipt["folio"]: self.planned[cid] for cid, r in self.results.items() if r.receipt}

    def _next(self) -> dict[str, Any] | None:
        r = self.api.http.get(
            "/review/next", params={"process_id": PROCESS}, headers={"Authorization": f"Bearer {self.reviewer}"}
        )
        if r.status_code == 204:
            return None
        if r.status_code != 200:
            raise DemoFailure(f"la API respondió {r.status_code} a GET /review/next: {r.text}")
        return r.json()

    def _objection(self) -> None:
        spec = gs.ASPIRANTES[0]
        a = self.aspirantes[spec.name]
        rejected = self.api.call("GET", f"/aspirantes/{a['id']}/rechazos", a["token"])
        copies = {f for f, (_, p) in self.by_folio.items() if p.kind == gs.FOTOCOPIA}
        copy = next((r for r in rejected if r["folio"] in copies and r["can_object"]), None)
        self.expect(copy is not None, f"{spec.name} pudiera objetar una fotocopia rechazada por la mesa de control")
        assert copy is not None
        self.api.call(
            "POST",
            f"/aspirantes/{a['id']}/rechazos/{copy['apoyo_id']}/objecion",
            a["token"],
            files={
                "argumento": (None, "La ciudadana mostró su credencial original; se adjunta su fotografía."),
                "imagen": ("credencial.jpg", jpeg(credential("anverso", 4242)), "image/jpeg"),
            },
            expect=201,
        )
        self.objected = copy["folio"]
        self.say(
            f"garantía de audiencia: {spec.name} ve sus {len(rejected)} apoyos rechazados con su motivo y objeta el "
            f"{copy['folio']} ({copy['reason'].lower()}) con una foto de la credencial original"
        )

    def _resolve(self) -> None:
        item = self._next()
        self.expect(
            item is not None and item["kind"] == "objecion" and item["folio"] == self.objected,
            "la objeción encabezara la fila de la mesa de control",
        )
        assert item is not None
        self.api.call(
            "POST",
            f"/review/{item['apoyo_id']}",
            self.reviewer,
            expect=201,
            json={"decision": "fundada", "note": "La credencial original es legible y vigente."},
        )
        self.summary.objections.append({"folio": item["folio"], "resolucion": "fundada"})
        self.say(f"la revisora resuelve fundada la objeción del {item['folio']}: el apoyo se computa")

    def _dictamen(self, services: Any) -> None:
        """The engine produced each cargo's dictamen at the close of the audiencia; a PROYECTO is not published, so
        its PDF is read from the document store."""
        for cargo in sorted({s.cargo for s in gs.ASPIRANTES}):
            v = services.documents.latest(PROCESS, f"dictamen-{cargo}")
            if v is None:
                raise DemoFailure(f"el motor no emitió el dictamen de {cargo} al concluir la garantía de audiencia")
            self.summary.add_document(f"dictamen-{cargo}.pdf", v.title, v.number, v.draft, services.documents.pdf(v))
        for spec in gs.ASPIRANTES:
            a = self.aspirantes[spec.name]
            progress = self.api.call("GET", f"/aspirantes/{a['id']}/progress", a["token"])
            self.summary.set_result(spec.name, progress)
            self._check(spec)
        self.say("concluye la garantía de audiencia: el motor emite el dictamen de cada cargo (PROYECTO)")

    def _check(self, spec: gs.AspiranteSpec) -> None:
        """The final figures are exactly what the planted captures must give: each one's registral status, the
        desk's rejections, the objection resolved as fundada, the refusals after the close."""
        expected = gs.expected_counts(self.plans, spec)
        refused = expected.pop("rechazada", 0)
        for key in [k for k in expected if k.startswith("mesa:")]:
            expected[DESK_REJECTED] += expected.pop(key)
        for o in self.summary.objections:
            if self.by_folio[o["folio"]][0].aspirante is spec:
                expected[DESK_REJECTED] -= 1
                expected[Status.valido] += 1
        row = self.summary.row(spec.name)
        got = Counter(row.by_status)
        self.expect(
            +got == +expected and row.refused == refused and row.valid == expected[Status.valido],
            f"{spec.name} terminara con {dict(+expected)} y {refused} rechazados por la API; terminó con "
            f"{dict(got)} y {row.refused}",
        )

    def _trail(self) -> None:
        csv = self.api.call("GET", f"/processes/{PROCESS}/review/report", self.admin)
        self.summary.trail = csv if isinstance(csv, bytes) else str(csv).encode()
        self.say(f"traza de cada apoyo exportada (CSV, sin datos personales): {self.summary.trail_events} eventos")
