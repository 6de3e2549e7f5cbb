"""Verification's background stage, beside the server: image triage as captures arrive, a preliminary report once a
local day while windows are open, and the final run once a cargo's last window has closed, grace included.

Each tick is idempotent and safe with several workers: triage skips captures another worker did, and each scheduled
run has its key (``diario:…:<day>``, ``final:…``) so it happens once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from workflow.clock import Clock
from workflow.errors import DomainError

from .service import VerificationService

log = logging.getLogger("convoca.verification")


class VerificationStage:
    def __init__(self, service: VerificationService, clock: Clock, triage: Callable[[], int] | None = None) -> None:
        self.service = service
        self.clock = clock
        self.triage = triage

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
        return done
