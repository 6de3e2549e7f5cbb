"""APScheduler 3 as the engine's alarm clock: one job, with a stable id, at the next instant that needs work.

The truth lives in the database; the scheduler only decides when to call ``Engine.reconcile``. Its job never
expires (unlimited misfire grace) and coalesces, and the engine reconciles at start-up, so downtime is caught up in
order. A light poll notices amendments stored by other processes and re-plans.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from workflow.clock import Clock

from .engine import Engine

log = logging.getLogger("convoca.engine")

WAKE_JOB = "convoca-next-boundary"
POLL_JOB = "convoca-amendment-poll"


class EngineScheduler:
    def __init__(self, engine: Engine, clock: Clock, *, poll_seconds: float = 5.0) -> None:
        self.engine = engine
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.caught_up = threading.Event()  # set once the start-up reconciliation has run
        self._lock = threading.Lock()
        self._stopping = False
        self._signature: tuple = ()
        self.next_wake: datetime | None = None
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    def start(self) -> None:
        """Start, and reconcile at once in the scheduler's thread: what passed while we were down is caught up
        without holding up the caller (a server answers requests meanwhile)."""
        self.scheduler.start()
        subscribe = getattr(self.clock, "subscribe", None)
        if subscribe is not None:
            subscribe(self.wake)  # a moved clock re-plans before the mover goes on
        self.scheduler.add_job(self._poll, "interval", seconds=self.poll_seconds, id=POLL_JOB, replace_existing=True)
        self.wake_soon()

    def shutdown(self) -> None:
        # APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs, and a running
        # wake ends by setting its alarm, which needs that lock: stop new wakes, let one in flight finish, then stop.
        self._stopping = True
        with self._lock:
            pass
        self.scheduler.shutdown(wait=True)

    def _versions(self) -> tuple:
        return tuple((p.id, p.active_version) for p in self.engine.store.processes())

    def _poll(self) -> None:
        if self._versions() != self._signature:
            self.wake()

    def wake_soon(self) -> None:
        """Reconcile as soon as possible, in the scheduler's thread (e.g. after an amendment stored by a request)."""
        if not self._stopping:
            self.scheduler.add_job(self.wake, id=f"{WAKE_JOB}-now", replace_existing=True)

    def wake(self) -> None:
        """Reconcile now, then set the alarm for the next instant that needs work. Safe to call at any time."""
        with self._lock:
            if self._stopping:
                return
            try:
                self._signature = self._versions()
                self.engine.reconcile(self.clock.now())
                self.next_wake = self.engine.next_wake(self.clock.now())
                real = None if self.next_wake is None else self.clock.to_real(self.next_wake)
                if real is None:
                    self._remove_alarm()
                else:
                    self._alarm(real)
            except Exception:  # e.g. the database briefly unreachable: the next poll tries again; never die
                log.exception("la conciliación falló; se reintentará")
                self._signature = ()
            finally:
                self.caught_up.set()

    def _alarm(self, real: datetime) -> None:
        self.scheduler.add_job(self.wake, "date", run_date=real, id=WAKE_JOB, replace_existing=True)

    def _remove_alarm(self) -> None:
        if self.scheduler.get_job(WAKE_JOB) is not None:
            self.scheduler.remove_job(WAKE_JOB)
