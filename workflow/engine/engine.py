"""Reconcile the database with the calendars: fire every due phase edge exactly once, in calendar order, and run
its actions, retrying failures with backoff without blocking unrelated edges.

Exactly once across processes: a transition row is unique per (process, phase, edge), so of several engines that
race for an edge one insert wins; each action run is claimed with a conditional update and a lease, so only one
engine runs it at a time, and one that died mid-action is retried when its lease expires.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import textwrap
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workflow.calendar.localtime import format_local
from workflow.calendar.model import ActionCall
from workflow.records import ActionRun, Transition
from workflow.storage.db import Database

from .boundaries import boundaries
from .registry import ActionContext, ActionRegistry
from .store import ActiveCalendar, CalendarStore

log = logging.getLogger("convoca.engine")

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
LOGGED_ERROR_CHARS = 240  # an action's error in the log; the run keeps all of it


@dataclass(frozen=True)
class FiredTransition:
    process_id: str
    phase_id: str
    edge: str
    scheduled_at: datetime
    fired_at: datetime
    late: bool


@dataclass(frozen=True)
class ActionResult:
    process_id: str
    phase_id: str
    edge: str
    action: str
    ok: bool
    detail: str


@dataclass
class Report:
    fired: list[FiredTransition] = field(default_factory=list)
    actions: list[ActionResult] = field(default_factory=list)


AMEND = "amend"


def amendment_key(active: ActiveCalendar) -> tuple[str, str] | None:
    """The transition key of the amendment that made the version in force (none for a first version)."""
    number = active.version.number
    return None if number <= 1 else (f"calendario-v{number}", AMEND)


def fired_edges(db: Database, process_id: str) -> dict[tuple[str, str], Transition]:
    """The transitions recorded for a process, by (phase id, edge)."""
    with db.read_session() as s:
        rows = s.exec(select(Transition).where(Transition.process_id == process_id))
        return {(t.phase_id, t.edge): t for t in rows}


class Engine:
    def __init__(
        self,
        db: Database,
        store: CalendarStore,
        registry: ActionRegistry,
        *,
        late_tolerance: timedelta = timedelta(seconds=60),
        lease: timedelta = timedelta(minutes=10),
        rate: float = 1.0,
        instance_id: str | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.store = store
        # Tolerances are real durations; under an accelerated clock they stretch by its rate in clock time.
        self.scale = max(rate, 1.0)
        self.late_tolerance = late_tolerance * self.scale
        self.lease = lease * self.scale
        self.instance_id = instance_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    # -- firing -----------------------------------------------------------------------------------------------

    def reconcile(self, now: datetime) -> Report:
        report = Report()
        for pid in self.store.process_ids():
            active = self.store.active(pid)
            done = fired_edges(self.db, pid)
            due = [(b.key, b.instant, b.actions) for b in boundaries(active.calendar) if b.instant <= now]
            amendment = amendment_key(active)
            if amendment is not None and active.version.created_at <= now:
                # An amendment is an event of its own, before the edges it may have moved: the packages that
                # registered for it (e.g. documents to regenerate) run once per version.
                calls = [ActionCall.model_construct(action=n, params={}) for n in self.registry.amendment_actions()]
                due.insert(0, (amendment, active.version.created_at, calls))
            for key, instant, actions in due:
                if key not in done:
                    fired = self._fire(active, key, instant, actions, now)
                    if fired is not None:
                        report.fired.append(fired)
        self._run_due_actions(now, report)
        return report

    def _fire(
        self,
        active: ActiveCalendar,
        key: tuple[str, str],
        instant: datetime,
        actions: list[ActionCall],
        now: datetime,
    ) -> FiredTransition | None:
        pid = active.calendar.process.id
        phase_id, edge = key
        late = now - instant > self.late_tolerance
        with self.db.write_session() as s:
            t = Transition(
                process_id=pid,
                phase_id=phase_id,
                edge=edge,
                scheduled_at=instant,
                fired_at=now,
                late=late,
                calendar_version=active.version.number,
                fired_by=self.instance_id,
            )
            s.add(t)
            try:
                s.flush()
                assert t.id is not None  # the flush stored the row and gave it its id
                for pos, call in enumerate(actions):
                    s.add(
                        ActionRun(
                            transition_id=t.id,
                            position=pos,
                            action=call.action,
                            params=json.dumps(call.params, ensure_ascii=False, sort_keys=True, default=str),
                        )
                    )
                s.commit()
            except IntegrityError:
                s.rollback()
                return None  # another engine fired this edge first
        tz = active.calendar.tz
        what = {"start": "inicia", "end": "concluye", AMEND: "entra en vigor"}[edge]
        log.info(
            "%s: %s «%s» (%s)%s",
            pid,
            what,
            phase_id,
            format_local(instant, tz, is_end=edge == "end"),
            f", con retraso: disparada {format_local(now, tz)}" if late else "",
        )
        return FiredTransition(pid, phase_id, edge, instant, now, late)

    # -- actions ----------------------------------------------------------------------------------------------

    def _runnable(self, now: datetime):
        return or_(
            col(ActionRun.status) == "pending",
            and_(col(ActionRun.status) == "failed", col(ActionRun.next_attempt_at) <= now),
            and_(col(ActionRun.status) == "running", col(ActionRun.lease_until) <= now),
        )

    def _run_due_actions(self, now: datetime, report: Report) -> None:
        with self.db.read_session() as s:
            rows = s.exec(
                select(ActionRun, Transition)
                .join(Transition, col(ActionRun.transition_id) == Transition.id)
                .where(self._runnable(now))
                .order_by(col(Transition.scheduled_at), col(Transition.id), col(ActionRun.position))
            ).all()
        blocked: set[int] = set()
        for run, t in rows:
            assert t.id is not None  # read from the database
            if t.id in blocked or not self._predecessors_done(run):
                blocked.add(t.id)  # actions of one edge run in order: a failure holds the rest of that edge
                continue
            attempt = self._claim(run, now)
            if attempt is None:
                blocked.add(t.id)
                continue
            result = self._execute(run, t, now, attempt)
            report.actions.append(result)
            if not result.ok:
                blocked.add(t.id)

    def _predecessors_done(self, run: ActionRun) -> bool:
        with self.db.read_session() as s:
            pending = s.exec(
                select(ActionRun.id).where(
                    ActionRun.transition_id == run.transition_id,
                    ActionRun.position < run.position,
                    ActionRun.status != "succeeded",
                )
            ).first()
        return pending is None

    def _claim(self, run: ActionRun, now: datetime) -> int | None:
        """Claim ``run`` as it was read; returns the attempt this claim is (None if another claimed it first)."""
        with self.db.write_session() as s:
            result = s.exec(
                update(ActionRun)
                .where(col(ActionRun.id) == run.id, col(ActionRun.attempts) == run.attempts, self._runnable(now))
                .values(
                    status="running",
                    claimed_by=self.instance_id,
                    lease_until=now + self.lease,
                    attempts=ActionRun.attempts + 1,
                    started_at=now,
                )
            )
            s.commit()
            return run.attempts + 1 if result.rowcount == 1 else None

    def _execute(self, run: ActionRun, t: Transition, now: datetime, attempt: int) -> ActionResult:
        active = self.store.active(t.process_id)
        cal = active.calendar
        fn = self.registry.get(run.action)
        outcome: dict | None = None
        error: str | None = None
        try:
            if fn is None:
                raise LookupError(
                    f"la acción «{run.action}» no está registrada en este proceso de convoca "
                    f"(registradas: {', '.join(self.registry.names()) or 'ninguna'})"
                )
            phase = None
            if t.edge != AMEND:
                try:
                    phase = cal.phase(t.phase_id)
                except KeyError:
                    raise LookupError(f"la fase «{t.phase_id}» ya no existe en el calendario vigente") from None
            ctx = ActionContext(
                process_id=t.process_id,
                calendar=cal,
                calendar_version=active.version.number,
                phase=phase,
                edge=t.edge,
                scheduled_at=t.scheduled_at,
                now=now,
                params=json.loads(run.params),
                idempotency_key=f"{t.process_id}:{t.phase_id}:{t.edge}:{run.position}:{run.action}",
            )
            outcome = fn(ctx) or {}
        except Exception as exc:  # an action's failure is recorded and retried; it must not stop the engine
            error = f"{type(exc).__name__}: {exc}"
            # One readable line per attempt; the whole error is stored with the run (the portal's /admin/motor).
            brief = textwrap.shorten(error, LOGGED_ERROR_CHARS, placeholder=" […]")
            log.warning("%s: la acción %s de «%s» falló: %s", t.process_id, run.action, t.phase_id, brief)
            log.debug("".join(traceback.format_exception(exc)))
        with self.db.write_session() as s:
            if error is None:
                values = {
                    "status": "succeeded",
                    "outcome": json.dumps(outcome, default=str),
                    "error": None,
                    "finished_at": now,
                    "lease_until": None,
                    "next_attempt_at": None,
                }
            else:
                delay = min(BACKOFF_BASE * 2 ** max(attempt - 1, 0), BACKOFF_MAX)
                values = {
                    "status": "failed",
                    "error": error,
                    "lease_until": None,
                    "next_attempt_at": now + delay * self.scale,
                }
            # Only while this very claim holds: if the lease ran out and another engine (or another wake of this
            # one) took the action over, that claim's record stands and this one is dropped.
            s.exec(
                update(ActionRun)
                .where(
                    col(ActionRun.id) == run.id,
                    col(ActionRun.claimed_by) == self.instance_id,
                    col(ActionRun.status) == "running",
                    col(ActionRun.attempts) == attempt,
                )
                .values(**values)
            )
            s.commit()
        if error is None:
            log.info("%s: acción %s de «%s» completada", t.process_id, run.action, t.phase_id)
        return ActionResult(t.process_id, t.phase_id, t.edge, run.action, error is None, error or json.dumps(outcome))

    # -- planning ---------------------------------------------------------------------------------------------

    def next_wake(self, now: datetime) -> datetime | None:
        """The next instant at which reconcile has something to do: a future edge, a retry, an expiring lease."""
        candidates: list[datetime] = []
        for pid in self.store.process_ids():
            active = self.store.active(pid)
            done = fired_edges(self.db, pid)
            amendment = amendment_key(active)
            if amendment is not None and amendment not in done:
                candidates.append(max(active.version.created_at, now))
            for b in boundaries(active.calendar):
                if b.key not in done:
                    candidates.append(max(b.instant, now))
                    break
        with self.db.read_session() as s:
            runs = s.exec(
                select(ActionRun)
                .where(ActionRun.status != "succeeded")
                .order_by(col(ActionRun.transition_id), col(ActionRun.position))
            ).all()
        seen: set[int] = set()
        for run in runs:
            if run.transition_id in seen:
                continue  # only the first unfinished action of an edge can be next
            seen.add(run.transition_id)
            if run.status == "pending":
                candidates.append(now)
            elif run.status == "failed" and run.next_attempt_at is not None:
                candidates.append(max(run.next_attempt_at, now))
            elif run.lease_until is not None:
                candidates.append(max(run.lease_until, now))
        return min(candidates, default=None)
