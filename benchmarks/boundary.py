"""How long after a phase boundary its action runs: on time, and after a restart that missed it.

    .venv/bin/python benchmarks/boundary.py [--runs N] [--database URL]

Each run stores a one-phase calendar whose end (a real local time in America/Mexico_City) is a couple of seconds
ahead, drives the engine with ``SystemClock`` and stamps the action's execution. Baselines are measured in the same
run, interleaved with the engine's runs so that both see the same machine load:

- on time: an APScheduler ``date`` job at the same kind of instant (the engine's alarm clock, without the engine);
- restart: the same start-up (new connection pool, Engine, EngineScheduler) when nothing was missed.

The default database is a temporary SQLite file. ``--database`` takes any SQLAlchemy URL of an *empty* database:
the benchmark refuses one that holds processes (the engine would fire their phases) and deletes the rows it wrote.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import delete
from sqlmodel import col, select

from workflow.clock import SystemClock
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionContext, ActionRegistry
from workflow.engine.scheduler import EngineScheduler
from workflow.engine.store import CalendarStore
from workflow.records import ActionRun, CalendarVersion, ProcessRecord, Transition
from workflow.storage.db import Database
from workflow.storage.migrate import upgrade

TZ = ZoneInfo("America/Mexico_City")
PHASE = "ventana"
ACTION = "publish"  # any name the calendar schema accepts; the benchmark registers its own function under it
DOWN_AFTER = 1.5  # seconds the engine stays down after the boundary: more than the 1 s late tolerance below
LATE_TOLERANCE = timedelta(seconds=1)

CALENDAR = """\
process:
  id: {pid}
  name: Proceso de medición
  ople: {{name: Instituto Electoral de Prueba, acronym: IEP}}
  state: Ciudad de México
  entity_key: "09"
  timezone: {tz}
  start: {process_start}
  election_day: {election_day}
  approving_acuerdo: IEP/CG01/2026
  roll_cut_date: {roll_cut}
territory:
  groups:
    - {{id: 1, name: Grupo 1}}
  municipios:
    - {{inegi: "09002", ine: "002", name: Azcapotzalco, cabecera: Azcapotzalco, group: 1, lista_nominal: 350000}}
cargos:
  - id: ayuntamiento
    name: Alcaldía
    demarcacion: municipio
    threshold: {{percentage: 1}}
phases:
  - id: {phase}
    name: Ventana de medición
    kind: otra
    start: {start}
    end: {end}
    on_end: [{action}]
"""


def calendar_text(pid: str, boundary: datetime) -> str:
    """A valid calendar whose only phase opened an hour ago and closes at ``boundary`` (a whole local second)."""
    local = boundary.astimezone(TZ).replace(tzinfo=None)
    today = local.date()
    return CALENDAR.format(
        pid=pid,
        tz=TZ.key,
        process_start=today - timedelta(days=30),
        election_day=today + timedelta(days=200),
        roll_cut=today - timedelta(days=60),
        phase=PHASE,
        start=(local - timedelta(hours=1)).isoformat(timespec="seconds"),
        end=local.isoformat(timespec="seconds"),
        action=ACTION,
    )


def next_instant(lead: float) -> datetime:
    """The first whole second at least ``lead`` seconds from now: calendars name seconds, not fractions."""
    soon = datetime.now(UTC) + timedelta(seconds=lead)
    return soon.replace(microsecond=0) + timedelta(seconds=1)


@dataclass
class Stamp:
    """When something ran, read from the wall clock and from perf_counter (immune to clock steps)."""

    wall: datetime
    perf: float


class Alarm:
    """Records the first execution and wakes whoever waits for it."""

    def __init__(self, clock: SystemClock) -> None:
        self.clock = clock
        self.done = threading.Event()
        self.stamp: Stamp | None = None
        self.ctx_now: datetime | None = None

    def __call__(self, ctx: ActionContext | None = None) -> dict:
        stamp = Stamp(self.clock.now(), time.perf_counter())
        if self.stamp is None:
            self.stamp, self.ctx_now = stamp, ctx.now if ctx else None
        self.done.set()
        return {}

    def wait(self, until: datetime, slack: float = 15.0) -> Stamp:
        if not self.done.wait((until - datetime.now(UTC)).total_seconds() + slack):
            raise SystemExit(f"the action did not run within {slack:g} s of {until.isoformat()}")
        assert self.stamp is not None
        return self.stamp


def delay_ms(stamp: Stamp, instant: datetime, anchor: Stamp) -> tuple[float, float]:
    """Delay after ``instant`` by the wall clock, and by perf_counter via a wall/perf pair read just before."""
    wall = (stamp.wall - instant).total_seconds() * 1000
    instant_perf = anchor.perf + (instant - anchor.wall).total_seconds()
    return wall, (stamp.perf - instant_perf) * 1000


def now_stamp() -> Stamp:
    return Stamp(datetime.now(UTC), time.perf_counter())


# -- the database ------------------------------------------------------------------------------------------------


class Bench:
    def __init__(self, url: str, poll: float, lead: float) -> None:
        self.url, self.poll, self.lead = url, poll, lead
        self.clock = SystemClock()
        self.db = Database(url)
        upgrade(self.db)
        if CalendarStore(self.db).process_ids():
            raise SystemExit(f"{url} holds processes: use an empty database (the engine would fire their phases)")

    def store(self, boundary: datetime) -> str:
        pid = f"medicion-{uuid.uuid4().hex[:8]}"
        CalendarStore(self.db).apply(
            calendar_text(pid, boundary),
            file=f"{pid}.yaml",
            author="benchmark",
            reason="medición",
            now=self.clock.now(),
        )
        return pid

    def transition(self, pid: str) -> Transition:
        with self.db.write_session() as s:
            return s.exec(
                select(Transition).where(
                    Transition.process_id == pid, Transition.phase_id == PHASE, Transition.edge == "end"
                )
            ).one()

    def forget(self, pid: str) -> None:
        # Finished processes stay in every reconcile; removing them keeps run N as cheap as run 1.
        with self.db.write_session() as s:
            ids = select(Transition.id).where(Transition.process_id == pid)
            s.exec(delete(ActionRun).where(col(ActionRun.transition_id).in_(ids)))
            s.exec(delete(Transition).where(Transition.process_id == pid))
            s.exec(delete(CalendarVersion).where(CalendarVersion.process_id == pid))
            s.exec(delete(ProcessRecord).where(ProcessRecord.id == pid))
            s.commit()

    def scheduler(self, db: Database, alarm: Alarm, **engine_options) -> EngineScheduler:
        registry = ActionRegistry()
        registry.register(ACTION, alarm)
        return EngineScheduler(
            Engine(db, CalendarStore(db), registry, **engine_options), self.clock, poll_seconds=self.poll
        )

    # -- 1. on time ----------------------------------------------------------------------------------------------

    def baseline_on_time(self) -> tuple[float, float]:
        alarm = Alarm(self.clock)
        sched = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
        )
        sched.start()
        boundary = next_instant(self.lead)
        anchor = now_stamp()
        job = sched.add_job(alarm, "date", run_date=boundary)
        stamp = alarm.wait(boundary)
        # Shutting down before the scheduler has dropped the spent job makes its thread die on a JobLookupError.
        while sched.get_job(job.id) is not None:
            time.sleep(0.001)
        sched.shutdown(wait=True)
        return delay_ms(stamp, boundary, anchor)

    def engine_on_time(self) -> tuple[float, float, float, bool]:
        alarm = Alarm(self.clock)
        boundary = next_instant(self.lead)
        pid = self.store(boundary)
        sched = self.scheduler(self.db, alarm)
        sched.start()  # fires the phase's start (no actions) and sets the alarm for its end
        anchor = now_stamp()
        if anchor.wall >= boundary:
            raise SystemExit("start-up ended after the boundary; raise --lead")
        stamp = alarm.wait(boundary)
        sched.shutdown()
        wall, perf = delay_ms(stamp, boundary, anchor)
        assert alarm.ctx_now is not None
        woke = (alarm.ctx_now - boundary).total_seconds() * 1000
        late = self.transition(pid).late
        self.forget(pid)
        return wall, perf, woke, late

    # -- 2. after a restart --------------------------------------------------------------------------------------

    def restart(self) -> tuple[float, float, bool]:
        """One process runs inside the window and stops; a restart before the boundary (nothing due) gives the
        baseline; the boundary passes while down; a second restart must catch the close up, late."""
        boundary = next_instant(self.lead)
        pid = self.store(boundary)
        first = self.scheduler(self.db, Alarm(self.clock))
        first.start()
        first.shutdown()

        idle_ms = self.start_up(Alarm(self.clock))[0]
        if self.clock.now() >= boundary:
            raise SystemExit("the idle restart ended after the boundary; raise --lead")

        time.sleep(max(0.0, (boundary + timedelta(seconds=DOWN_AFTER) - self.clock.now()).total_seconds()))
        alarm = Alarm(self.clock)
        _, t0 = self.start_up(alarm, late_tolerance=LATE_TOLERANCE)
        if alarm.stamp is None:  # start_up waited for the start-up reconciliation: the action has run by now
            raise SystemExit("the restarted engine did not run the missed action")
        late = self.transition(pid).late
        self.forget(pid)
        return idle_ms, (alarm.stamp.perf - t0) * 1000, late

    def start_up(self, alarm: Alarm, **engine_options) -> tuple[float, float]:
        """What a restarted process does before serving: a new pool, engine and scheduler, then start()."""
        t0 = time.perf_counter()
        db = Database(self.url)
        upgrade(db)
        sched = self.scheduler(db, alarm, **engine_options)
        sched.start()  # reconciles in the scheduler's thread: wait for it, that is when the engine is caught up
        if not sched.caught_up.wait(60):
            raise SystemExit("the engine did not finish its start-up reconciliation")
        ready = (time.perf_counter() - t0) * 1000
        sched.shutdown()
        db.dispose()
        return ready, t0


# -- report ------------------------------------------------------------------------------------------------------


def summary(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18] if len(ordered) > 1 else ordered[0]
    return ordered[0], statistics.median(ordered), p95, ordered[-1]


def row(label: str, values: list[float]) -> str:
    lo, med, p95, hi = summary(values)
    return f"  {label:<46} {len(values):>3} {lo:>9.1f} {med:>9.1f} {p95:>9.1f} {hi:>9.1f}"


def ratio(label: str, num: list[float], den: list[float]) -> str:
    value = statistics.median(num) / statistics.median(den)
    return f"  {label:<46} {'':>3} {'':>9} {value:>8.1f}×"


def repeat(runs: int, what: str, step: Callable[[], tuple]) -> list[tuple]:
    out = []
    for i in range(runs):
        if sys.stderr.isatty():
            print(f"\r{what}: {i + 1}/{runs}", end="", file=sys.stderr, flush=True)
        out.append(step())
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="repetitions of each measurement (default 10)")
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--poll", type=float, default=5.0, help="EngineScheduler poll_seconds (default 5)")
    parser.add_argument("--lead", type=float, default=1.5, help="minimum seconds from setup to boundary (default 1.5)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    with tempfile.TemporaryDirectory(prefix="convoca-bench-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'convoca.sqlite3'}"
        bench = Bench(url, args.poll, args.lead)
        started = time.perf_counter()
        # One untimed round first: SQLAlchemy compiles each statement on first use, a cost paid once per process.
        bench.baseline_on_time(), bench.engine_on_time(), bench.restart()

        # Interleaved, so that a burst of load on the machine hits engine and baseline alike.
        pairs = repeat(args.runs, "on time", lambda: (bench.baseline_on_time(), bench.engine_on_time()))
        base = [b[0] for b, _ in pairs]
        engine = [e[0] for _, e in pairs]
        woke = [e[2] for _, e in pairs]
        skew = max(abs(x[0] - x[1]) for pair in pairs for x in pair)
        on_time_late = sum(e[3] for _, e in pairs)

        restarts = repeat(args.runs, "restart", bench.restart)
        idle = [r[0] for r in restarts]
        catch_up = [r[1] for r in restarts]
        late = sum(r[2] for r in restarts)
        elapsed = time.perf_counter() - started
        bench.db.dispose()

    backend = url.split(":", 1)[0] if args.database else "sqlite (temporary file)"
    print(f"convoca boundary benchmark — {platform.python_implementation()} {platform.python_version()}, {backend}")
    print(f"runs={args.runs}, poll_seconds={args.poll:g}, clock=SystemClock, zone={TZ.key}, {elapsed:.0f} s in all")
    print()
    print(f"  {'milliseconds':<46} {'n':>3} {'min':>9} {'median':>9} {'p95':>9} {'max':>9}")
    print("boundary → action, engine up (late tolerance 60 s)")
    print(row("engine: EngineScheduler → action runs", engine))
    print(row("  of which until reconcile starts", woke))
    print(row("baseline: APScheduler date job, no-op", base))
    print(ratio("ratio engine / baseline (medians)", engine, base))
    print(f"restart, boundary passed {DOWN_AFTER:g} s before start-up (late tolerance {LATE_TOLERANCE.seconds} s)")
    print(row("catch-up: start-up → late action runs", catch_up))
    print(row("baseline: start-up with nothing due", idle))
    print(ratio("ratio catch-up / baseline (medians)", catch_up, idle))
    print()
    print(f"transitions recorded late: on time {on_time_late}/{args.runs} (expect 0), after restart {late}/{args.runs}")
    print(f"wall clock vs perf_counter, largest disagreement on a delay: {skew:.2f} ms")
    if on_time_late or late != args.runs:
        raise SystemExit("late flags are not as expected")


if __name__ == "__main__":
    main()
