"""Captures per second and latency of `convoca serve` under the reference gestor client, against a bare endpoint.

    .venv/bin/python benchmarks/ingest.py [--captures N] [--gestores 32] [--clients P] [--configs LIST]

One run measures every configuration in ``--configs`` (default ``sqlite-1,sqlite-2,postgresql-2``: one and two
workers on SQLite, two on PostgreSQL) against the same baseline. Each is a real server run as a subprocess
(``convoca serve --workers N``, fixed clock inside Durango's Gubernatura window, engine on unless ``--no-engine``) on
a temporary data directory, and on a fresh database: a temporary SQLite file, or a database of a throwaway
PostgreSQL server started for the run with fsync on (``convoca.throwaway_pg``; ``--postgres URL`` names a server of
your own instead). Each server is started, measured and stopped in turn. One aspirante and ``--gestores`` gestores
are registered over HTTP; the captures (``CaptureGenerator``: anverso, reverso and foto JPEG of ~60–110 KB, firma PNG)
are generated and queued once, before anything is timed. Then every gestor flushes its queue with its own
``GestorClient`` (one request in flight, as a phone), the gestores spread over ``--clients`` processes.

Baseline, same run: a minimal Litestar app under uvicorn with the same settings (``--bare-server PORT``) whose one
route parses the same multipart body, computes the receipt's SHA-256 (which the client checks), discards the rest and
answers 201. It receives the very same requests from the same client processes, first.

At the end each server's progress endpoint must count exactly N captures for the aspirante; otherwise exit 1.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from queue import Empty

import httpx
import uvicorn
from litestar import Litestar, Request, get, post

from capture_api.app import MAX_BODY
from convoca.gestor.client import CaptureQueue, GestorClient, Stats
from convoca.gestor.receipt import receipt_sha256
from convoca.gestor.synthetic import CaptureGenerator
from convoca.throwaway_pg import empty_database, free_port, throwaway_postgres
from workflow.captures.model import IMAGE_PARTS

CONVOCA = str(Path(sys.executable).parent / "convoca")
PROCESS = "durango-2021-2022"
SERVER_AT = "2022-01-20T12:00:00Z"  # inside Durango's Gubernatura window (2 Jan–10 Feb 2022)
CAPTURED_AT = datetime.fromisoformat("2022-01-20T11:00:00+00:00")
WARM_UP = 64  # untimed captures per server, from another aspirante's gestor: the measured count stays exact


# -- the baseline: a bare endpoint ---------------------------------------------------------------------------------


@post("/api/v1/captures", status_code=201)
async def bare_capture(request: Request) -> dict[str, str]:
    # The same multipart parsing as the real route, and the receipt's hash (the reference client checks it, so a
    # baseline without it would have every capture refused); the images are dropped beyond that.
    form = await request.form()
    data = json.loads(form["data"])
    images = {part: await form[part].read() for part in IMAGE_PARTS}
    return {"capture_id": data["capture_id"], "sha256": receipt_sha256(data, images)}


@get("/health")
async def bare_health() -> dict[str, str]:
    return {"status": "ok"}


def serve_bare(port: int) -> None:
    # What `convoca serve` passes to uvicorn with one worker; uvloop and httptools come with uvicorn[standard].
    app = Litestar([bare_capture, bare_health], request_max_body_size=MAX_BODY)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# -- server processes ----------------------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    process: subprocess.Popen
    log: Path

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU (user + system, all threads; Linux /proc) of the server process and its descendants (``--workers N``
        runs each worker in a process of its own), as (serving, triage): triage runs in niced worker processes,
        started and ended per batch, so it is the niced processes' CPU plus what ended children used."""
        serving = triage = 0
        for pid in _tree(self.process.pid):
            own, children, nice = _cpu_ticks(pid)
            serving += own if nice == 0 else 0
            triage += (own if nice else 0) + children
        tick = os.sysconf("SC_CLK_TCK")
        return serving / tick, triage / tick

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/PID/task/TID/children."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:  # the thread or process ended meanwhile
                continue
    return out


def _cpu_ticks(pid: int) -> tuple[int, int, int]:
    """(own CPU ticks, ticks of its ended children, nice value) of a process; zeros if it has ended."""
    try:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0, 0, 0
    return int(after_name[11]) + int(after_name[12]), int(after_name[13]) + int(after_name[14]), int(after_name[16])


def start(name: str, command: list[str], env: dict[str, str], tmp: Path) -> Target:
    port = free_port()
    log = tmp / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([*command, str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    target = Target(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(target.url + "/health", timeout=1).status_code == 200:
                return target
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    target.stop()
    raise SystemExit(f"{name} did not answer within 60 s")


def call(method: str, url: str, token: str, **kwargs) -> dict:
    r = httpx.request(method, url, headers={"Authorization": f"Bearer {token}"}, timeout=30, **kwargs)
    if r.status_code not in (200, 201):
        raise SystemExit(f"{method} {url}: {r.status_code} {r.text}")
    return r.json()


def register(api: str, admin: str, name: str, claves: list[str]) -> tuple[int, str, list[str]]:
    """An aspirante to Durango's Gubernatura and its gestores: (aspirante id, its token, the gestors' tokens)."""
    a = call(
        "POST",
        f"{api}/processes/{PROCESS}/aspirantes",
        admin,
        json={"name": name, "cargo": "gubernatura", "demarcacion": "10", "constancia_date": "2021-12-20"},
    )
    tokens = [
        call(
            "POST", f"{api}/aspirantes/{a['id']}/gestores", a["token"], json={"name": f"Gestor {i}", "clave_elector": c}
        )["token"]
        for i, c in enumerate(claves)
    ]
    return a["id"], a["token"], tokens


# -- client processes ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    gestor: int
    captures: int


def queue_dir(root: Path, target: str, gestor: int) -> Path:
    return root / target / f"g{gestor:03d}"


def client_process(jobs: list[Job], root: Path, seed: int, targets: list[str], sync: bool, inbox, results) -> None:
    # Untimed: each gestor's captures (its own phone: its own generator and device_id) go to its queue for the
    # first target; the other targets' queues get hard links to the very same files.
    for job in jobs:
        generator = CaptureGenerator(seed + job.gestor)
        queue = CaptureQueue(queue_dir(root, targets[0], job.gestor), sync=False)
        for i in range(job.captures):
            c = generator.capture(i, CAPTURED_AT)
            queue.put(c.data, c.images)
        for target in targets[1:]:
            shutil.copytree(queue.root, queue_dir(root, target, job.gestor), copy_function=os.link)
    results.put(("ready", None))
    while (order := inbox.get()) is not None:  # (target, url, each gestor's token), one target after another
        target, url, tokens = order
        queues = {job.gestor: CaptureQueue(queue_dir(root, target, job.gestor), sync=sync) for job in jobs}
        clients = [GestorClient(url, tokens[g], queue, concurrency=1) for g, queue in queues.items()]
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        began = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes on Linux
        with ThreadPoolExecutor(len(clients)) as pool:
            stats = list(pool.map(GestorClient.flush, clients))
        ended = time.monotonic()
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        results.put((target, (began, ended, cpu_s, stats)))


def note(text: str) -> None:
    if sys.stderr.isatty():
        print(text, file=sys.stderr, flush=True)


def collect(kind: str, count: int, results, workers: list) -> list:
    out = []
    while len(out) < count:
        try:
            got, value = results.get(timeout=1)
        except Empty:  # check that no client process died meanwhile
            if any(w.exitcode not in (None, 0) for w in workers):
                raise SystemExit("a client process failed (see its traceback above)") from None
            continue
        assert got == kind, (got, kind)
        out.append(value)
    return out


def merged(parts: list[Stats]) -> Stats:
    total = Stats()
    for s in parts:
        for f in fields(Stats):  # ints, a Counter, a list: all add up
            setattr(total, f.name, getattr(total, f.name) + getattr(s, f.name))
    return total


@dataclass
class Phase:
    label: str
    stats: Stats
    server_cpu: float
    triage_cpu: float
    client_cpu: float
    received: int | None = None  # the server's own count of the aspirante's captures afterwards

    def row(self) -> str:
        s, n = self.stats, max(self.stats.acknowledged, 1)
        p50, p99 = (s.percentile(q) or 0.0 for q in (50, 99))
        return (
            f"  {self.label:<44} {s.rate:>10.1f} {p50 * 1000:>8.1f} {p99 * 1000:>8.1f}"
            f" {self.server_cpu / n * 1000:>10.2f} {self.triage_cpu / n * 1000:>10.2f}"
            f" {self.client_cpu / n * 1000:>10.2f}"
        )


class Clients:
    """The client processes, their queues generated once; ``load`` sends them all at one server."""

    def __init__(self, jobs: list[Job], count: int, root: Path, seed: int, targets: list[str], sync: bool) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.results = ctx.Queue()
        self.inboxes = [ctx.Queue() for _ in range(count)]
        self.workers = [
            ctx.Process(
                target=client_process, args=(jobs[w::count], root, seed, targets, sync, self.inboxes[w], self.results)
            )
            for w in range(count)
        ]
        for w in self.workers:
            w.start()
        collect("ready", count, self.results, self.workers)

    def load(self, name: str, label: str, target: Target, tokens: list[str]) -> Phase:
        note(f"loading {label}…")
        before = target.cpu_seconds()
        for inbox in self.inboxes:
            inbox.put((name, target.url, tokens))
        parts = collect(name, len(self.workers), self.results, self.workers)
        after = target.cpu_seconds()
        stats = merged([s for *_, per_gestor in parts for s in per_gestor])
        stats.elapsed = max(p[1] for p in parts) - min(p[0] for p in parts)
        return Phase(label, stats, after[0] - before[0], after[1] - before[1], sum(p[2] for p in parts))

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for w in self.workers:
            w.join(5)
            if w.is_alive():
                w.kill()


def warm_up(target: Target, token: str, samples: list, tmp: Path, name: str) -> None:
    """Untimed: first requests pay for lazy imports, statement compilation, connections."""
    queue = CaptureQueue(tmp / "warm-up" / name, sync=False)
    for c in samples:
        queue.put(c.data, c.images)
    stats = GestorClient(target.url, token, queue, concurrency=8).flush()
    if stats.acknowledged != len(samples):
        raise SystemExit(f"warm-up on {name}: {stats.as_dict()}\n{target.log.read_text()}")


def wait_quiet(target: Target, timeout: float = 180) -> None:
    """Wait until the server is idle: at start-up its engine catches up with the calendar (rendering Durango's
    documents takes seconds of CPU), which must not run into the timed load."""
    deadline = time.monotonic() + timeout
    before = sum(target.cpu_seconds())
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(target.cpu_seconds())
        if now - before < 0.05:  # under a tenth of a core
            return
        before = now
    raise SystemExit(f"the server was still busy {timeout:.0f} s after start-up")


CONFIGS = {  # name: (database, workers)
    "sqlite-1": ("sqlite", 1),
    "sqlite-2": ("sqlite", 2),
    "postgresql-1": ("postgresql", 1),
    "postgresql-2": ("postgresql", 2),
}


def measure_convoca(name: str, args, tmp: Path, postgres: str | None, clients: Clients, samples: list) -> Phase:
    """Start a server of configuration ``name`` (on a new database of ``postgres`` if it is a PostgreSQL one),
    register the gestores, warm it up, load it, check its count; stop it and drop its database."""
    backend, workers = CONFIGS[name]
    with ExitStack() as stack:
        db = ["--database", stack.enter_context(empty_database(postgres))] if backend == "postgresql" else []
        (tmp / name).mkdir()
        env = {**os.environ, "CONVOCA_DATA_DIR": str(tmp / name)}
        clock = ["--clock", "fixed", "--at", SERVER_AT]
        serve = [CONVOCA, "serve", "--workers", str(workers), *clock, *db]
        serve += [*(["--no-engine"] if args.no_engine else []), "--port"]
        target = start(name, serve, env, tmp)
        stack.callback(target.stop)  # before the database is dropped
        command = [CONVOCA, "admin", "token", "create", *clock, *db]
        made = subprocess.run(command, env=env, capture_output=True, text=True)
        if made.returncode:
            raise SystemExit(f"convoca admin token create: {made.stderr}")
        admin = made.stdout.strip()
        claves = [f"GESTOR85031210H{n:03d}" for n in range(args.gestores + 1)]
        api = target.url + "/api/v1"
        aspirante, aspirante_token, tokens = register(api, admin, "Aspirante medida", claves[:-1])
        warm_up(target, register(api, admin, "Aspirante de calentamiento", claves[-1:])[2][0], samples, tmp, name)
        wait_quiet(target)
        label = f"convoca serve, {backend}, {workers} worker{'s' if workers > 1 else ''}"
        phase = clients.load(name, label, target, tokens)
        phase.received = call("GET", f"{api}/aspirantes/{aspirante}/progress", aspirante_token)["received"]
        if phase.received != args.captures:
            log = target.log.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{name}: the server counts {phase.received} captures, not {args.captures}\n{log}")
        return phase


# -- main ----------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captures", type=int, default=3000, help="captures sent to each server (default 3000)")
    parser.add_argument("--gestores", type=int, default=32, help="concurrent gestores, one request each (default 32)")
    parser.add_argument("--clients", type=int, default=4, help="client processes the gestores spread over (default 4)")
    parser.add_argument(
        "--configs",
        default="sqlite-1,sqlite-2,postgresql-2",
        help=f"configurations measured, in order, comma-separated, of {', '.join(CONFIGS)}",
    )
    parser.add_argument("--postgres", help="base URL of a PostgreSQL server (default: a throwaway one, fsync on)")
    parser.add_argument("--no-engine", action="store_true", help="serve without the phase engine")
    parser.add_argument("--sync", action="store_true", help="fsync the client queues, as a phone does (default off)")
    parser.add_argument("--seed", type=int, help="capture generator seed (default: random)")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server)
        return
    if not 1 <= args.gestores <= 999 or not 1 <= args.clients <= args.gestores or args.captures < args.gestores:
        parser.error("need 1 ≤ --clients ≤ --gestores ≤ 999 and --captures ≥ --gestores")
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    if not configs or any(c not in CONFIGS for c in configs):
        parser.error(f"--configs takes names of {', '.join(CONFIGS)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    began, load_before = time.monotonic(), os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="convoca-ingest-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        postgres = args.postgres
        if postgres is None and any(CONFIGS[c][0] == "postgresql" for c in configs):
            postgres = stack.enter_context(throwaway_postgres(durable=True))
        warm = CaptureGenerator(seed + args.gestores)
        samples = [warm.capture(i, CAPTURED_AT) for i in range(WARM_UP)]
        sizes = {p: sum(len(c.images[p]) for c in samples) / WARM_UP / 1000 for p in IMAGE_PARTS}
        share, extra = divmod(args.captures, args.gestores)
        jobs = [Job(g, share + (g < extra)) for g in range(args.gestores)]
        note(f"generating {args.captures} captures in {args.clients} processes…")
        clients = Clients(jobs, args.clients, tmp / "queues", seed, ["bare", *configs], args.sync)
        stack.callback(clients.close)
        # Generation left the queues' bytes dirty in the page cache: write them back now, not during a timed
        # phase (where the write-back would also hold up the server's fsyncs).
        os.sync()
        bare_server = start("bare", [sys.executable, __file__, "--bare-server"], dict(os.environ), tmp)
        try:
            warm_up(bare_server, "-", samples, tmp, "bare")
            bare = clients.load("bare", "baseline: bare Litestar, parse and drop", bare_server, ["-"] * args.gestores)
        finally:
            bare_server.stop()
        phases = [measure_convoca(name, args, tmp, postgres, clients, samples) for name in configs]
    elapsed = time.monotonic() - began

    engine = "off" if args.no_engine else "on"
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"convoca ingest benchmark — {python}, engine {engine}; {', '.join(configs)} against one baseline")
    print(
        f"{args.captures} captures to each server from {args.gestores} gestores (one request in flight each) in "
        f"{args.clients} client processes, client queue {'with' if args.sync else 'without'} fsync; seed {seed}; "
        f"{elapsed:.0f} s in all"
    )
    loads = ", ".join(f"{a:.1f}/{b:.1f}" for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"machine: {os.cpu_count()} cores, load average (1, 5, 15 min) before/after: {loads}")
    per_request = sum(sizes.values())
    print("request: " + ", ".join(f"{p} {kb:.0f} KB" for p, kb in sizes.items()) + f" ({per_request:.0f} KB of images)")
    print()
    print(
        f"  {'':<44} {'captures/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'server CPU':>10} {'triage CPU':>10}"
        f" {'client CPU':>10}"
    )
    print(f"  {'':<44} {'':>10} {'':>8} {'':>8} {'ms/capture':>10} {'ms/capture':>10} {'ms/capture':>10}")
    print(bare.row())
    for phase in phases:
        print(phase.row())
    print()
    print(f"  {'ratio to the baseline':<44} {'captures/s':>10} {'p50':>8} {'p99':>8}")
    for name, phase in zip(configs, phases, strict=True):
        ours, base = phase.stats, bare.stats
        p50, p99 = (ours.percentile(q) / base.percentile(q) for q in (50, 99))  # type: ignore[operator]
        print(f"  {name:<44} {ours.rate / base.rate:>9.2f}× {p50:>7.1f}× {p99:>7.1f}×")
    print()
    problems = []
    for name, phase in zip(["bare", *configs], [bare, *phases], strict=True):
        s = phase.stats
        counted = "" if phase.received is None else f"; the server counts {phase.received}"
        print(
            f"{name}: {s.accepted_new} new, {s.replays} replays, {sum(s.rejected.values())} rejected, "
            f"{s.pending} pending, {s.retries} retries{counted}"
        )
        if s.accepted_new != args.captures or s.pending or s.rejected:
            problems.append(f"{name} acknowledged {s.accepted_new} new captures of {args.captures}")
    if problems:
        raise SystemExit("; ".join(problems))


if __name__ == "__main__":
    main()
