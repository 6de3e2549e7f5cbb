"""The engine action ``run_verification``: at the end of a captación, verify each of its cargos. Registered at start-up
by the composition root, like every action.

A cargo with no aspirantes has nothing to verify. A run fired while a grace period is still open verifies what has
arrived and is recorded as preliminar; the final run follows when the last window closes, grace included
(``VerificationStage``).
"""

from __future__ import annotations

from typing import Any

from workflow.engine.registry import ActionContext, ActionRegistry

from .service import VerificationService


def register_verification_actions(registry: ActionRegistry, service: VerificationService) -> None:
    def run_verification(ctx: ActionContext) -> dict[str, Any]:
        cargos = (
            ctx.params.get("cargos")
            or (ctx.phase.cargos if ctx.phase is not None else [])
            or [c.id for c in ctx.calendar.cargos]
        )
        out: dict[str, Any] = {}
        for cargo in cargos:
            report = service.scheduled(ctx.process_id, cargo, ctx.now, run_key=f"{ctx.idempotency_key}:{cargo}")
            out[cargo] = (
                "sin aspirantes"
                if report is None
                else {"run": report.run.id, "kind": report.run.kind, "apoyos": (report.run.counts or {}).get("apoyos")}
            )
        return out

    registry.register("run_verification", run_verification)
