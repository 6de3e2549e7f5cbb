"""An aspirante's progress: what has arrived, against the quota of their demarcación, and the state of their window."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import select

from workflow.calendar.quotas import quotas
from workflow.engine.store import CalendarStore
from workflow.participants.records import Aspirante
from workflow.storage.db import Database

from .records import Capture
from .windows import Window, window_for


class Count(BaseModel):
    key: str
    count: int


class Progress(BaseModel):
    aspirante_id: int
    cargo: str
    demarcacion: str
    required: int | None = Field(description="Apoyo requerido en la demarcación.")
    received: int
    late: int = Field(description="Recibidos en el plazo de gracia tras el cierre.")
    by_status: list[Count] = Field(description="Por estado de verificación (todos «recibido» hasta verificar).")
    by_seccion: list[Count]
    window_opens_utc: datetime | None
    window_closes_utc: datetime | None
    window_state: str = Field(description="pendiente, abierta, plazo de gracia, cerrada o sin periodo")


def window_state(window: Window | None, now: datetime) -> str:
    if window is None:
        return "sin periodo"
    if now < window.start:
        return "pendiente"
    if now < window.end:
        return "abierta"
    if now < window.end + window.grace:
        return "plazo de gracia"  # closed to new captures; those taken inside may still arrive
    return "cerrada"


class ProgressService:
    def __init__(self, db: Database, calendars: CalendarStore) -> None:
        self.db = db
        self.calendars = calendars

    def of(self, aspirante: Aspirante, now: datetime) -> Progress:
        assert aspirante.id is not None  # a registered aspirante, read from the database
        cal = self.calendars.active(aspirante.process_id).calendar
        with self.db.read_session() as s:
            rows = list(s.exec(select(Capture.seccion, Capture.late).where(Capture.aspirante_id == aspirante.id)))
        cargo = next((c for c in cal.cargos if c.id == aspirante.cargo_id), None)
        required = None
        if cargo is not None:
            required = next(
                (q.required for q in quotas(cal, cargo) if q.demarcacion.id == aspirante.demarcacion_id), None
            )
        window = window_for(cal, aspirante.cargo_id, aspirante.demarcacion_id, aspirante.constancia_date)
        by_seccion = Counter(seccion for seccion, _ in rows)
        return Progress(
            aspirante_id=aspirante.id,
            cargo=aspirante.cargo_id,
            demarcacion=aspirante.demarcacion_id,
            required=required,
            received=len(rows),
            late=sum(1 for _, late in rows if late),
            by_status=[Count(key="recibido", count=len(rows))] if rows else [],
            by_seccion=[Count(key=str(k), count=v) for k, v in sorted(by_seccion.items())],
            window_opens_utc=window.start if window else None,
            window_closes_utc=window.end if window else None,
            window_state=window_state(window, now),
        )
