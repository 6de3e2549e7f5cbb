"""The phase engine against real databases: order, exactly-once, restarts, races, failures and retries."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.helpers import utc, wait_for
from workflow.clock import AcceleratedClock, FixedClock
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionContext, ActionRegistry
from workflow.engine.scheduler import EngineScheduler
from workflow.engine.store import CalendarStore
from workflow.records import ActionRun, Transition
from workflow.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
ACTIONS = (
    "generate_documents",
    "publish",
    "open_capture",
    "close_capture",
    "run_verification",
    "open_audiencia",
    "final_dictamen",
)

DURANGO_TRANSITIONS = [
    ("convocatoria", "start", "2021-11-01T06:00:00Z"),
    ("protocolo", "start", "2021-11-15T06:00:00Z"),
    ("convocatoria", "end", "2021-11-22T06:00:00Z"),
    ("protocolo", "end", "2021-11-22T06:00:00Z"),
    ("manifestacion-intencion", "start", "2021-11-22T06:00:00Z"),
    ("manifestacion-intencion", "end", "2021-12-11T06:00:00Z"),
    ("captacion-gubernatura", "start", "2022-01-02T06:00:00Z"),
    ("captacion-ayuntamientos", "start", "2022-01-12T06:00:00Z"),
    ("captacion-gubernatura", "end", "2022-02-11T06:00:00Z"),
    ("captacion-ayuntamientos", "end", "2022-02-11T06:00:00Z"),
    ("verificacion", "start", "2022-02-11T06:00:00Z"),
    ("verificacion", "end", "2022-02-15T06:00:00Z"),
    ("garantia-audiencia", "start", "2022-02-15T06:00:00Z"),
    ("garantia-audiencia", "end", "2022-02-18T06:00:00Z"),
    ("dictamen", "start", "2022-02-18T06:00:00Z"),
    ("dictamen", "end", "2022-02-19T06:00:00Z"),
    ("registro-gubernatura", "start", "2022-02-19T06:00:00Z"),
    ("registro-gubernatura", "end", "2022-02-23T06:00:00Z"),
    ("registro-ayuntamientos", "start", "2022-03-22T06:00:00Z"),
    ("registro-ayuntamientos", "end", "2022-03-30T06:00:00Z"),
    ("campana-gubernatura", "start", "2022-04-03T06:00:00Z"),
    ("aprobacion-registro-ayuntamientos", "start", "2022-04-04T05:00:00Z"),
    ("aprobacion-registro-ayuntamientos", "end", "2022-04-05T05:00:00Z"),
    ("campana-ayuntamientos-grupo-1", "start", "2022-04-13T05:00:00Z"),
    ("campana-ayuntamientos-grupo-2", "start", "2022-04-23T05:00:00Z"),
    ("campana-ayuntamientos-grupo-3", "start", "2022-05-03T05:00:00Z"),
    ("campana-gubernatura", "end", "2022-06-02T05:00:00Z"),
    ("campana-ayuntamientos-grupo-1", "end", "2022-06-02T05:00:00Z"),
    ("campana-ayuntamientos-grupo-2", "end", "2022-06-02T05:00:00Z"),
    ("campana-ayuntamientos-grupo-3", "end", "2022-06-02T05:00:00Z"),
    ("jornada-electoral", "start", "2022-06-05T05:00:00Z"),
    ("jornada-electoral", "end", "2022-06-06T05:00:00Z"),
]


class Recorder:
    """Actions that record each call; optionally fail an action of a phase a number of times first."""

    def __init__(self, fail: dict[tuple[str, str], int] | None = None) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.fail = dict(fail or {})

    def registry(self) -> ActionRegistry:
        reg = ActionRegistry()
        for name in ACTIONS:
            reg.register(name, lambda ctx, name=name: self._call(name, ctx))
        return reg

    def _call(self, name: str, ctx: ActionContext) -> dict:
        self.calls.append((name, ctx.phase.id, ctx.edge))
        if self.fail.get((name, ctx.phase.id), 0) > 0:
            self.fail[(name, ctx.phase.id)] -= 1
            raise RuntimeError(f"{name} falló a propósito; " + "con un detalle muy largo " * 20)
        return {"key": ctx.idempotency_key}


def seed(db: Database, at: str = "2021-10-01T00:00:00Z") -> None:
    CalendarStore(db).apply(DURANGO.read_text(), file=str(DURANGO), author="test", reason="carga", now=utc(at))


def transitions(db: Database) -> list[Transition]:
    with db.write_session() as s:
        return list(s.exec(select(Transition).order_by(Transition.id)))


def as_rows(ts: list[Transition]) -> list[tuple[str, str, str]]:
    return [(t.phase_id, t.edge, t.scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")) for t in ts]


def test_whole_durango_calendar_on_an_accelerated_clock(db: Database) -> None:
    seed(db)
    recorder = Recorder()
    # Seven months in about four seconds.
    clock = AcceleratedClock(utc("2021-10-31T00:00:00Z"), speed=5_000_000)
    engine = Engine(db, CalendarStore(db), recorder.registry(), rate=clock.rate)
    sched = EngineScheduler(engine, clock, poll_seconds=0.5)
    sched.start()
    try:
        # Only the scheduler's alarms fire edges here (no final catch-up wake): if an alarm is missing, the edge
        # never fires and this waits in vain.
        assert wait_for(lambda: len(transitions(db)) == len(DURANGO_TRANSITIONS), timeout=30)
    finally:
        sched.shutdown()
    fired = transitions(db)
    assert as_rows(fired) == DURANGO_TRANSITIONS
    # On time in real terms: each edge fired within a second of real time of its instant (the engine's own "late"
    # flag scales its tolerance with the clock's speed, to months here, so it proves nothing).
    real_second = timedelta(seconds=clock.rate)
    assert all(t.scheduled_at <= t.fired_at <= t.scheduled_at + real_second for t in fired), [
        (t.phase_id, t.edge, t.fired_at - t.scheduled_at) for t in fired
    ]
    # Every action of the calendar ran once, in calendar order.
    assert recorder.calls == [
        ("generate_documents", "convocatoria", "start"),
        ("publish", "convocatoria", "start"),
        ("generate_documents", "protocolo", "start"),
        ("publish", "protocolo", "start"),
        ("open_capture", "captacion-gubernatura", "start"),
        ("open_capture", "captacion-ayuntamientos", "start"),
        ("close_capture", "captacion-gubernatura", "end"),
        ("run_verification", "captacion-gubernatura", "end"),
        ("close_capture", "captacion-ayuntamientos", "end"),
        ("run_verification", "captacion-ayuntamientos", "end"),
        ("open_audiencia", "garantia-audiencia", "start"),
        ("final_dictamen", "garantia-audiencia", "end"),
    ]


def test_each_boundary_fires_at_its_instant_and_not_before(db: Database) -> None:
    seed(db)
    engine = Engine(db, CalendarStore(db), Recorder().registry())
    for instant in sorted({i for _, _, i in DURANGO_TRANSITIONS}):
        due = {(p, e) for p, e, i in DURANGO_TRANSITIONS if i == instant}
        engine.reconcile(utc(instant) - timedelta(seconds=1))
        assert not due & {(t.phase_id, t.edge) for t in transitions(db)}
        engine.reconcile(utc(instant))
        assert due <= {(t.phase_id, t.edge) for t in transitions(db)}
    assert as_rows(transitions(db)) == DURANGO_TRANSITIONS


def test_restart_after_a_window_closed_fires_the_close_once_late(db: Database) -> None:
    seed(db)
    first = Engine(db, CalendarStore(db), Recorder().registry(), instance_id="antes")
    first.reconcile(utc("2022-01-20T12:00:00Z"))  # inside both capture windows
    assert len(transitions(db)) == 8
    # The engine is down from here until two days after the windows closed.
    recorder = Recorder()
    second = Engine(db, CalendarStore(db), recorder.registry(), instance_id="despues")
    restart = utc("2022-02-13T09:00:00Z")
    report = second.reconcile(restart)
    assert [(f.phase_id, f.edge) for f in report.fired] == [
        ("captacion-gubernatura", "end"),
        ("captacion-ayuntamientos", "end"),
        ("verificacion", "start"),
    ]
    close = next(t for t in transitions(db) if (t.phase_id, t.edge) == ("captacion-gubernatura", "end"))
    assert close.late and close.scheduled_at == utc("2022-02-11T06:00:00Z") and close.fired_at == restart
    assert close.fired_by == "despues"
    # A third start-up at the same instant changes nothing; nothing was skipped or repeated.
    assert Engine(db, CalendarStore(db), recorder.registry()).reconcile(restart).fired == []
    rows = as_rows(transitions(db))
    assert rows == [r for r in DURANGO_TRANSITIONS if utc(r[2]) <= restart]
    assert Counter((p, e) for p, e, _ in rows).most_common(1)[0][1] == 1
    assert recorder.calls == [
        ("close_capture", "captacion-gubernatura", "end"),
        ("run_verification", "captacion-gubernatura", "end"),
        ("close_capture", "captacion-ayuntamientos", "end"),
        ("run_verification", "captacion-ayuntamientos", "end"),
    ]


def test_failed_action_is_recorded_retried_with_backoff_and_blocks_nothing_else(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    seed(db)
    recorder = Recorder(fail={("generate_documents", "convocatoria"): 2})
    clock = FixedClock(utc("2021-11-15T06:00:00Z"))  # convocatoria and protocolo have both started
    engine = Engine(db, CalendarStore(db), recorder.registry())
    engine.reconcile(clock.now())
    with db.write_session() as s:
        runs = {(r.action, r.transition_id): r for r in s.exec(select(ActionRun))}
    failed = [r for r in runs.values() if r.action == "generate_documents"]
    assert sorted(r.status for r in failed) == ["failed", "succeeded"]  # the protocolo's generation succeeded
    bad = next(r for r in failed if r.status == "failed")
    assert "falló a propósito" in bad.error and bad.attempts == 1
    assert len(bad.error) > 500  # the run keeps the whole error; the log, one readable line
    logged = [r.getMessage() for r in caplog.records if "falló a propósito" in r.getMessage()]
    assert logged and all(len(m) < 320 and m.endswith("[…]") for m in logged)
    assert bad.next_attempt_at == clock.now() + timedelta(seconds=30)
    # publish of the same edge waits for its generate_documents; the other edge is not held back.
    assert ("publish", "protocolo", "start") in recorder.calls
    assert ("publish", "convocatoria", "start") not in recorder.calls
    assert engine.next_wake(clock.now()) == clock.now() + timedelta(seconds=30)
    engine.reconcile(clock.now() + timedelta(seconds=29))  # too early to retry
    assert recorder.calls.count(("generate_documents", "convocatoria", "start")) == 1
    engine.reconcile(clock.now() + timedelta(seconds=30))  # second failure: backoff doubles
    with db.write_session() as s:
        row = s.get(ActionRun, bad.id)
    assert row.status == "failed" and row.attempts == 2
    assert row.next_attempt_at == clock.now() + timedelta(seconds=90)
    engine.reconcile(clock.now() + timedelta(seconds=90))
    with db.write_session() as s:
        statuses = Counter(r.status for r in s.exec(select(ActionRun)))
    assert statuses == Counter({"succeeded": 4})
    assert recorder.calls[-1] == ("publish", "convocatoria", "start")


def test_unregistered_action_fails_visibly_in_spanish(db: Database) -> None:
    seed(db)
    Engine(db, CalendarStore(db), ActionRegistry()).reconcile(utc("2021-11-01T06:00:00Z"))
    with db.write_session() as s:
        run = s.exec(select(ActionRun).where(ActionRun.position == 0)).one()
    assert run.status == "failed"
    assert "la acción «generate_documents» no está registrada" in run.error


# -- leases: an engine that dies, or is too slow, mid-action ------------------------------------------------------

CONVOCATORIA = utc("2021-11-01T06:00:00Z")  # its start fires generate_documents, then publish
LEASE = timedelta(minutes=10)


class Died(BaseException):
    """The engine's process dies mid-action (no ``except Exception`` of the engine catches it)."""


def runs(db: Database) -> dict[str, ActionRun]:
    """The convocatoria start's action runs, by action."""
    with db.write_session() as s:
        rows = s.exec(
            select(ActionRun)
            .join(Transition, ActionRun.transition_id == Transition.id)
            .where(Transition.phase_id == "convocatoria", Transition.edge == "start")
        )
        return {r.action: r for r in rows}


def test_an_action_whose_engine_died_is_retried_when_its_lease_expires(db: Database) -> None:
    seed(db)

    def dies(ctx: ActionContext) -> dict:
        raise Died

    dying = ActionRegistry()
    dying.register("generate_documents", dies)
    first = Engine(db, CalendarStore(db), dying, lease=LEASE, instance_id="motor-a")
    with pytest.raises(Died):
        first.reconcile(CONVOCATORIA)
    claimed = runs(db)["generate_documents"]
    assert (claimed.status, claimed.claimed_by, claimed.attempts) == ("running", "motor-a", 1)
    assert claimed.lease_until == CONVOCATORIA + LEASE
    recorder = Recorder()
    second = Engine(db, CalendarStore(db), recorder.registry(), lease=LEASE, instance_id="motor-b")
    assert second.next_wake(CONVOCATORIA + timedelta(minutes=1)) == CONVOCATORIA + LEASE  # it plans the retry
    second.reconcile(CONVOCATORIA + LEASE - timedelta(seconds=1))  # the lease still holds: nobody else runs it
    assert recorder.calls == [] and runs(db)["generate_documents"].claimed_by == "motor-a"
    second.reconcile(CONVOCATORIA + LEASE)
    assert recorder.calls == [("generate_documents", "convocatoria", "start"), ("publish", "convocatoria", "start")]
    retried = runs(db)["generate_documents"]
    assert (retried.status, retried.claimed_by, retried.attempts) == ("succeeded", "motor-b", 2)
    assert retried.started_at == retried.finished_at == CONVOCATORIA + LEASE
    assert (runs(db)["publish"].status, runs(db)["publish"].attempts) == ("succeeded", 1)


@pytest.mark.parametrize("late_outcome", ["succeeds", "fails"])
def test_a_late_outcome_is_dropped_once_another_engine_took_the_action_over(db: Database, late_outcome: str) -> None:
    seed(db)
    taken_over = CONVOCATORIA + LEASE
    b_calls: list[str] = []

    def b_generate(ctx: ActionContext) -> dict:
        b_calls.append("generate_documents")
        return {"by": "motor-b"}

    b_registry = ActionRegistry()
    b_registry.register("generate_documents", b_generate)
    b_registry.register("publish", lambda ctx: b_calls.append("publish") or {"by": "motor-b"})
    second = Engine(db, CalendarStore(db), b_registry, lease=LEASE, instance_id="motor-b")

    def a_generate(ctx: ActionContext) -> dict:
        # So slow that its lease runs out: meanwhile the other engine claims the action and finishes it.
        second.reconcile(taken_over)
        if late_outcome == "fails":
            raise RuntimeError("llegó tarde y además falló")
        return {"by": "motor-a"}

    a_calls: list[str] = []
    a_registry = ActionRegistry()
    a_registry.register("generate_documents", a_generate)
    a_registry.register("publish", lambda ctx: a_calls.append("publish") or {"by": "motor-a"})
    first = Engine(db, CalendarStore(db), a_registry, lease=LEASE, instance_id="motor-a")
    first.reconcile(CONVOCATORIA)
    generated = runs(db)["generate_documents"]
    # The other engine's record stands: its claim, its outcome, its finish; the late result changed nothing.
    assert (generated.status, generated.claimed_by, generated.attempts) == ("succeeded", "motor-b", 2)
    assert json.loads(generated.outcome) == {"by": "motor-b"} and generated.error is None
    assert generated.finished_at == taken_over and generated.next_attempt_at is None
    assert b_calls == ["generate_documents", "publish"] and a_calls == []  # publish ran once, by the other engine
    published = runs(db)["publish"]
    assert (published.status, published.claimed_by, published.attempts) == ("succeeded", "motor-b", 1)


def test_a_late_outcome_of_an_earlier_claim_by_the_same_engine_is_dropped(db: Database) -> None:
    seed(db)
    running = [threading.Event(), threading.Event()]
    release = [threading.Event(), threading.Event()]
    attempts: list[int] = []

    def generate(ctx: ActionContext) -> dict:
        attempt = len(attempts)
        attempts.append(attempt)
        running[attempt].set()
        release[attempt].wait(20)
        return {"attempt": attempt + 1}

    registry = ActionRegistry()
    registry.register("generate_documents", generate)
    registry.register("publish", lambda ctx: {})
    engine = Engine(db, CalendarStore(db), registry, lease=LEASE, instance_id="motor")
    # Two threads of one engine: the first claim is so slow that its lease runs out and the second takes over.
    first = threading.Thread(target=engine.reconcile, args=(CONVOCATORIA,))
    second = threading.Thread(target=engine.reconcile, args=(CONVOCATORIA + LEASE,))
    try:
        first.start()
        assert running[0].wait(20)
        second.start()
        assert running[1].wait(20)
        release[0].set()  # the first attempt ends while the second still runs
        first.join(20)
        row = runs(db)["generate_documents"]
        assert (row.status, row.attempts) == ("running", 2), (row.status, row.outcome)
        release[1].set()
        second.join(20)
        row = runs(db)["generate_documents"]
        assert (row.status, json.loads(row.outcome), row.finished_at) == (
            "succeeded",
            {"attempt": 2},
            CONVOCATORIA + LEASE,
        )
    finally:
        for event in release:
            event.set()
        first.join(20)
        second.join(20)


def test_an_amendment_stored_by_another_process_is_noticed_by_the_poll(db: Database, database_url: str) -> None:
    seed(db)
    # Three seconds of real time before the amended close (2022-02-05 24:00 CST), at ×10,000; the old close
    # (2022-02-10 24:00) is then more than 45 s away, and nothing else is due before it.
    speed = 10_000
    new_close = utc("2022-02-06T06:00:00Z")
    clock = AcceleratedClock(new_close - timedelta(seconds=3 * speed), speed=speed)
    recorder = Recorder()
    engine = Engine(db, CalendarStore(db), recorder.registry(), rate=clock.rate, instance_id="este")
    sched = EngineScheduler(engine, clock, poll_seconds=0.2)
    sched.start()
    other_db = Database(database_url)  # another process: its own connections, its own store, no link to `sched`
    try:
        assert sched.caught_up.wait(10)
        assert sched.next_wake == utc("2022-02-11T06:00:00Z")
        text = DURANGO.read_text()
        gubernatura_end = "    end: 2022-02-10\n    late_upload_grace_hours: 24   # en 2018"
        assert text.count(gubernatura_end) == 1
        shortened = text.replace(gubernatura_end, gubernatura_end.replace("2022-02-10", "2022-02-05"))
        version = CalendarStore(other_db).apply(
            shortened, file="d.yaml", author="secretaría", reason="IEPC/CG020/2022", now=clock.now()
        )
        assert version.number == 2
        # The poll notices the new version and re-plans: the new close fires at its instant, not at the old one.
        assert wait_for(lambda: sched.next_wake == new_close, timeout=5)
        assert wait_for(lambda: ("captacion-gubernatura", "end") in {(t.phase_id, t.edge) for t in transitions(db)})
    finally:
        sched.shutdown()
        other_db.dispose()
    close = next(t for t in transitions(db) if (t.phase_id, t.edge) == ("captacion-gubernatura", "end"))
    assert close.scheduled_at == new_close and close.calendar_version == 2 and close.fired_by == "este"
    assert close.fired_at - close.scheduled_at < timedelta(seconds=clock.rate)  # within a real second of it
    assert ("captacion-ayuntamientos", "end") not in {(t.phase_id, t.edge) for t in transitions(db)}  # not moved
    assert ("close_capture", "captacion-gubernatura", "end") in recorder.calls


# -- two engines racing ---------------------------------------------------------------------------------------


def _racer(url: str, log_path: str, instants: list[str], barrier, name: str) -> None:
    db = Database(url)

    def act(ctx: ActionContext) -> dict:
        # O_APPEND writes of one short line are atomic: the log shows every execution by either engine.
        fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, f"{ctx.idempotency_key}\n".encode())
        finally:
            os.close(fd)
        return {}

    reg = ActionRegistry()
    for action in ACTIONS:
        reg.register(action, act)
    engine = Engine(db, CalendarStore(db), reg, instance_id=name)
    for instant in instants:
        barrier.wait(timeout=60)
        engine.reconcile(utc(instant))
    db.dispose()


@pytest.mark.slow
def test_two_engines_racing_fire_every_action_exactly_once(db: Database, database_url: str, tmp_path: Path) -> None:
    seed(db)
    instants = sorted({i for _, _, i in DURANGO_TRANSITIONS})
    log_path = tmp_path / "actions.log"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_racer, args=(database_url, str(log_path), instants, barrier, name))
        for name in ("motor-a", "motor-b")
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    fired = transitions(db)
    assert sorted(as_rows(fired)) == sorted(DURANGO_TRANSITIONS)
    executions = Counter(log_path.read_text().split())
    assert len(executions) == 12
    assert set(executions.values()) == {1}, executions
    with db.write_session() as s:
        assert {r.status for r in s.exec(select(ActionRun))} == {"succeeded"}, [
            (r.action, r.error) for r in s.exec(select(ActionRun)) if r.status != "succeeded"
        ]


def test_scheduler_replans_when_a_fixed_clock_moves(db: Database) -> None:
    seed(db)
    clock = FixedClock(utc("2021-10-31T00:00:00Z"))
    engine = Engine(db, CalendarStore(db), Recorder().registry())
    sched = EngineScheduler(engine, clock, poll_seconds=60)
    sched.start()
    try:
        assert sched.caught_up.wait(10)
        assert transitions(db) == []
        assert sched.next_wake == utc("2021-11-01T06:00:00Z")
        clock.set(utc("2021-11-01T06:00:00Z"))  # re-plans and fires before returning
        assert as_rows(transitions(db)) == DURANGO_TRANSITIONS[:1]
    finally:
        sched.shutdown()


def test_shutdown_during_a_running_action_does_not_hang(db: Database) -> None:
    seed(db)
    running = threading.Event()

    def slow(ctx: ActionContext) -> dict:
        running.set()
        time.sleep(1.5)  # a slow action (rendering a document, say), still running when shutdown is asked
        return {}

    registry = ActionRegistry()
    registry.register("generate_documents", slow)
    registry.register("publish", lambda ctx: {})
    # The convocatoria starts half a second (real time) after the scheduler: its alarm runs as an APScheduler job.
    clock = AcceleratedClock(utc("2021-11-01T06:00:00Z") - timedelta(seconds=0.5), speed=1)
    sched = EngineScheduler(Engine(db, CalendarStore(db), registry), clock, poll_seconds=60)
    sched.start()
    assert running.wait(20), "the convocatoria's action never started"
    stopper = threading.Thread(target=sched.shutdown)
    stopper.start()
    stopper.join(timeout=15)
    assert not stopper.is_alive(), "shutdown hung while a wake was running"
    assert as_rows(transitions(db)) == DURANGO_TRANSITIONS[:1]
