"""An aspirante's progress: what has arrived, against the quota of their demarcación, the state of their window, and
what the latest verification run found (counts by status and by municipio)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import select

from workflow.calendar.quotas import quotas
from workflow.captures.records import Capture
from workflow.captures.windows import Window, window_for
from workflow.engine.store import CalendarStore
from workflow.participants.records import Aspirante
from workflow.storage.db import Database

from .reasons import label
from .service import VerificationService, verdicts_of


class Count(BaseModel):
    key: str
    count: int


class StatusCount(Count):
    label: str = Field(description="El estado en palabras.")


class MunicipioCount(BaseModel):
    municipio: str = Field(description="Clave INEGI del municipio (según el padrón).")
    name: str
    received: int
    valid: int


class DispersionSummary(BaseModel):
    unit: str
    needed: int
    reached: int
    met: bool
    assumed: bool = Field(description="La regla no está confirmada por una fuente oficial.")


class VerificationSummary(BaseModel):
    run_id: int
    kind: str = Field(description="preliminar, final o manual")
    complete: bool = Field(description="Todos los periodos (con el plazo de gracia) habían cerrado al corte.")
    received_before_utc: datetime = Field(description="Corte: apoyos recibidos antes de este momento.")
    verified: int
    valid: int
    flagged: int = Field(description="Válidos que esperan decisión en la mesa de control (se cuentan como válidos).")
    missing: int = Field(description="Apoyos válidos que faltan para el requerido.")
    meets: bool
    by_status: list[StatusCount]
    by_municipio: list[MunicipioCount]
    dispersion: DispersionSummary | None


class Progress(BaseModel):
    aspirante_id: int
    cargo: str
    demarcacion: str
    required: int | None = Field(description="Apoyo requerido en la demarcación.")
    received: int
    late: int = Field(description="Recibidos en el plazo de gracia tras el cierre.")
    by_status: list[StatusCount] = Field(
        description="Por estado de la última verificación; «sin_verificar» los recibidos después de su corte."
    )
    by_seccion: list[Count]
    window_opens_utc: datetime | None
    window_closes_utc: datetime | None
    window_state: str = Field(description="pendiente, abierta, plazo de gracia, cerrada o sin periodo")
    verification: VerificationSummary | None = Field(description="La última verificación de su cargo, si la hay.")


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
    def __init__(self, db: Database, calendars: CalendarStore, verification: VerificationService) -> None:
        self.db = db
        self.calendars = calendars
        self.verification = verification

    def _summary(self, aspirante: Aspirante, now: datetime) -> VerificationSummary | None:
        run = self.verification.latest(aspirante.process_id, aspirante.cargo_id)
        if run is None or run.id is None or aspirante.id is None:
            return None
        if self.verification.desk is not None:  # counts with the mesa de control's decisions and the audiencia's
            verdicts = self.verification.review_figures(run, now, [aspirante.id]).aspirantes
        else:
            verdicts = verdicts_of(run)
        mine = next((v for v in verdicts if v["aspirante_id"] == aspirante.id), None)
        if mine is None:
            return None
        d = mine.get("dispersion")
        return VerificationSummary(
            run_id=run.id,
            kind=run.kind,
            complete=run.complete,
            received_before_utc=run.received_before,
            verified=mine["received"],
            valid=mine["valid"],
            flagged=mine["flagged"],
            missing=mine["missing"],
            meets=mine["meets"],
            by_status=[StatusCount(key=k, count=n, label=label(k)) for k, n in mine["counts"].items() if n],
            by_municipio=[
                MunicipioCount(municipio=m["id"], name=m["name"], received=m["received"], valid=m["valid"])
                for m in mine["by_municipio"]
            ],
            dispersion=DispersionSummary(
                unit=d["unit"], needed=d["needed"], reached=d["reached"], met=d["met"], assumed=d["assumed"]
            )
            if d
            else None,
        )

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
        summary = self._summary(aspirante, now)
        by_status = [StatusCount(key="recibido", count=len(rows), label="Recibido, sin verificar")] if rows else []
        if summary is not None:
            by_status = summary.by_status + (
                [
                    StatusCount(
                        key="sin_verificar", count=len(rows) - summary.verified, label="Recibido después del corte"
                    )
                ]
                if len(rows) > summary.verified
                else []
            )
        return Progress(
            aspirante_id=aspirante.id,
            cargo=aspirante.cargo_id,
            demarcacion=aspirante.demarcacion_id,
            required=required,
            received=len(rows),
            late=sum(1 for _, late in rows if late),
            by_status=by_status,
            by_seccion=[Count(key=str(k), count=v) for k, v in sorted(by_seccion.items())],
            window_opens_utc=window.start if window else None,
            window_closes_utc=window.end if window else None,
            window_state=window_state(window, now),
            verification=summary,
        )
