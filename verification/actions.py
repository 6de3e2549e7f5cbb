"""Verification's engine actions, registered at start-up by the composition root, like every action.

- ``run_verification``: at the end of a captación, verify each of its cargos. A cargo with no aspirantes has nothing
  to verify. A run fired while a grace period is still open verifies what has arrived and is recorded as
  preliminar; the final run follows when the last window closes, grace included (``VerificationStage``).
- ``open_audiencia``: at the start of the garantía de audiencia, record how many rejected apoyos each aspirante may
  object to (whether an objection is accepted is decided from the calendar and the clock, at the request).
- ``final_dictamen``: at its end, the dictamen of each cargo with every decision and resolution recorded.
"""

from __future__ import annotations

from typing import Any

from workflow.engine.registry import ActionContext, ActionRegistry

from .audiencia import Audiencia
from .service import VerificationService


def _cargos(ctx: ActionContext) -> list[str]:
    return list(
        ctx.params.get("cargos")
        or (ctx.phase.cargos if ctx.phase is not None else [])
        or [c.id for c in ctx.calendar.cargos]
    )


def register_verification_actions(registry: ActionRegistry, service: VerificationService, audiencia: Audiencia) -> None:
    def run_verification(ctx: ActionContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cargo in _cargos(ctx):
            report = service.scheduled(ctx.process_id, cargo, ctx.now, run_key=f"{ctx.idempotency_key}:{cargo}")
            out[cargo] = (
                "sin aspirantes"
                if report is None
                else {"run": report.run.id, "kind": report.run.kind, "apoyos": (report.run.counts or {}).get("apoyos")}
            )
        return out

    def open_audiencia(ctx: ActionContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cargo in _cargos(ctx):
            for a in service.aspirantes(ctx.process_id, cargo):
                assert a.id is not None
                out[str(a.id)] = {"rechazados": len(audiencia.rejected(a.id))}
        return out

    def final_dictamen(ctx: ActionContext) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for cargo in _cargos(ctx):
            if not service.aspirantes(ctx.process_id, cargo):
                out[cargo] = "sin aspirantes"
                continue
            version, _ = service.refresh_dictamen(ctx.process_id, cargo, ctx.now)
            out[cargo] = (
                "sin verificación concluida"
                if version is None
                else {"document": version.id, "version": version.number, "title": version.title}
            )
        return out

    registry.register("run_verification", run_verification)
    registry.register("open_audiencia", open_audiencia)
    registry.register("final_dictamen", final_dictamen)
