"""The capture windows' engine actions. Acceptance never depends on them (it is decided from the calendar and the
clock at receipt); they record, once per edge, who the window concerns and what had arrived when it closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from workflow.captures.records import Capture
from workflow.engine.registry import ActionContext, ActionRegistry
from workflow.participants.records import Aspirante

from .services import Services


def _aspirantes(services: Services, ctx: ActionContext) -> list[Aspirante]:
    cargos = set(ctx.phase.cargos) if ctx.phase is not None else set()
    with services.db.reading() as s:
        rows = s.exec(select(Aspirante).where(Aspirante.process_id == ctx.process_id)).all()
    return [a for a in rows if not cargos or a.cargo_id in cargos]


def register_capture_actions(registry: ActionRegistry, services: Services) -> None:
    def open_capture(ctx: ActionContext) -> dict[str, Any]:
        return {"aspirantes": [a.id for a in _aspirantes(services, ctx)]}

    def close_capture(ctx: ActionContext) -> dict[str, Any]:
        ids = [a.id for a in _aspirantes(services, ctx)]
        with services.db.reading() as s:
            counts = dict(
                s.exec(
                    select(Capture.aspirante_id, func.count())
                    .where(Capture.aspirante_id.in_(ids), Capture.received_at < ctx.scheduled_at)  # type: ignore[union-attr]
                    .group_by(Capture.aspirante_id)
                ).all()
            )
        return {"received_by_aspirante": {str(i): counts.get(i, 0) for i in ids}}

    registry.register("open_capture", open_capture)
    registry.register("close_capture", close_capture)
