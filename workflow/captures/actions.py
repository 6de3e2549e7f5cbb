"""The capture windows' engine actions. Acceptance never depends on them (it is decided from the calendar and the
clock at receipt); they record, once per edge, whom the window concerns and what each had received by its close."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import select

from workflow.engine.registry import ActionContext, ActionRegistry
from workflow.participants.records import Aspirante
from workflow.storage.db import Database

from .records import Capture
from .windows import Window, window_for


def _concerned(db: Database, ctx: ActionContext) -> list[tuple[Aspirante, Window]]:
    """The aspirantes whose window is this phase (by cargo, group and constancia, as acceptance decides)."""
    with db.read_session() as s:
        rows = s.exec(select(Aspirante).where(Aspirante.process_id == ctx.process_id)).all()
    out = []
    for a in rows:
        w = window_for(ctx.calendar, a.cargo_id, a.demarcacion_id, a.constancia_date)
        if w is not None and ctx.phase is not None and w.phase.id == ctx.phase.id:
            out.append((a, w))
    return out


def register_capture_actions(registry: ActionRegistry, db: Database) -> None:
    def open_capture(ctx: ActionContext) -> dict[str, Any]:
        return {"aspirantes": [a.id for a, _ in _concerned(db, ctx)]}

    def close_capture(ctx: ActionContext) -> dict[str, Any]:
        received = {}
        with db.read_session() as s:
            for a, w in _concerned(db, ctx):
                received[str(a.id)] = s.exec(
                    select(func.count())
                    .select_from(Capture)
                    .where(Capture.aspirante_id == a.id, Capture.received_at < w.end)
                ).one()
        return {"received_by_aspirante": received}

    registry.register("open_capture", open_capture)
    registry.register("close_capture", close_capture)
