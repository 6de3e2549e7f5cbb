"""Verification's background stage, beside the server: image triage as captures arrive, a preliminary report once a
local day while windows are open, the final run once a cargo's last window has closed, grace included, and the
dictamen again when the mesa de control's decisions change its figures (at most every ``dictamen_every`` seconds).

Each tick is idempotent and safe with several workers: triage skips captures another worker did, and each scheduled
run has its key (``diario:…:<day>``, ``final:…``) so it happens once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from workflow.clock import Clock
from workflow.errors import DomainError

from .service import VerificationService

log = logging.getLogger("convoca.verification")


class VerificationStage:
    def __init__(
        self,
        service: VerificationService,
        clock: Clock,
        triage: Callable[[], int] | None = None,
        dictamen_every: float = 600.0,
    ) -> None:
        self.service = service
        self.clock = clock
        self.triage = triage
        self.dictamen_every = dictamen_every
        self._decisions_seen: dict[str, int] = {}  # by process: the last decision its dictamenes reflect
        self._refreshed_at: dict[str, float] = {}

    def tick(self) -> dict[str, Any]:
        done: dict[str, Any] = {}
        if self.triage is not None:
            done["triaged"] = self.triage()
        now = self.clock.now()
        for process_id in self.service.calendars.process_ids():
            cal = self.service.calendars.active(process_id).calendar
            if self.service.rolls.current(process_id) is None:
                continue  # nothing to verify against yet
            for cargo in cal.cargos:
                try:
                    report = self.service.due(process_id, cargo.id, now)
                except DomainError as exc:
                    log.warning("verificación de %s/%s: %s", process_id, cargo.id, exc.message)
                    continue
                if report is not None and not report.reused:
                    done[f"{process_id}/{cargo.id}"] = report.run.kind
                    log.info(
                        "verificación %s de %s/%s: %s apoyos",
                        report.run.kind,
                        process_id,
                        cargo.id,
                        (report.run.counts or {}).get("apoyos"),
                    )
            done |= self._refresh_dictamenes(process_id, [c.id for c in cal.cargos], now)
        return done

    def _refresh_dictamenes(self, process_id: str, cargos: list[str], now: Any) -> dict[str, Any]:
        """Each cargo's dictamen again once decisions were recorded since the last time (a new version only if a
        figure changed). The first pass after a start-up always checks."""
        last = self.service.last_decision_id(process_id)
        seen = self._decisions_seen.get(process_id)
        if seen == last or time.monotonic() - self._refreshed_at.get(process_id, -1e18) < self.dictamen_every:
            return {}
        done = {}
        for cargo in cargos:
            try:
                version, created = self.service.refresh_dictamen(process_id, cargo, now)
            except DomainError as exc:
                log.warning("dictamen de %s/%s: %s", process_id, cargo, exc.message)
                continue
            if version is not None and created:
                done[f"{process_id}/{cargo}/dictamen"] = version.number
        self._decisions_seen[process_id] = last
        self._refreshed_at[process_id] = time.monotonic()
        return done
