"""The administrator's view of what ran by itself: the engine's recent transitions with their actions (failures
first) and the verification runs with their results, read from the tables the engine and verification write."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from sqlmodel import col, select

from verification.records import VerificationRun
from verification.registral import STATUS_LABELS
from workflow.calendar.localtime import format_local
from workflow.records import ActionRun, Transition

from ..services import Services
from .admin import admin
from .web import page, to_sign_in

LIMIT = 50
EDGES = {"start": "Inicio", "end": "Fin", "amend": "Modificación del calendario"}
ACTION_STATES = {"pending": "Pendiente", "running": "En curso", "succeeded": "Completada", "failed": "Falló"}
ACTIONS = {
    "open_capture": "Abrir la captación",
    "close_capture": "Cerrar la captación",
    "generate_documents": "Generar documentos",
    "publish": "Publicar documentos",
    "refresh_documents": "Regenerar documentos tras la modificación",
    "run_verification": "Verificar los apoyos",
    "open_audiencia": "Abrir la garantía de audiencia",
    "final_dictamen": "Dictamen final",
}
RUN_KINDS = {"preliminar": "Preliminar", "final": "Final", "manual": "Manual"}
RUN_STATES = {"running": "En curso", "done": "Terminada", "failed": "Falló"}


@dataclass(frozen=True)
class ActionRow:
    action: str  # in words
    name: str  # as the calendar names it
    state: str
    state_key: str
    attempts: int
    finished: str | None
    retry: str | None
    error: str | None


@dataclass(frozen=True)
class TransitionRow:
    process: str
    phase: str
    edge: str
    scheduled: str
    fired: str
    late: bool
    calendar_version: int
    actions: list[ActionRow]


@dataclass(frozen=True)
class RunRow:
    id: int
    process: str
    cargo: str
    kind: str
    state: str
    state_key: str
    complete: bool
    cut: str
    started: str
    duration: str
    apoyos: int | None
    by_status: list[tuple[str, int]]
    error: str | None


class Names:
    """Each process's name, time zone, phases and cargos, from the calendar in force."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.cache: dict[str, tuple[str, ZoneInfo, dict[str, str], dict[str, str]]] = {}

    def of(self, pid: str) -> tuple[str, ZoneInfo, dict[str, str], dict[str, str]]:
        if pid not in self.cache:
            cal = self.services.calendars.active(pid).calendar
            phases = {p.id: p.name for p in cal.phases}
            self.cache[pid] = (cal.process.name, cal.tz, phases, {c.id: c.name for c in cal.cargos})
        return self.cache[pid]

    def local(self, pid: str, instant: datetime | None) -> str | None:
        return None if instant is None else format_local(instant, self.of(pid)[1])


def action_row(names: Names, pid: str, run: ActionRun) -> ActionRow:
    return ActionRow(
        action=ACTIONS.get(run.action, run.action),
        name=run.action,
        state=ACTION_STATES.get(run.status, run.status),
        state_key=run.status,
        attempts=run.attempts,
        finished=names.local(pid, run.finished_at),
        retry=names.local(pid, run.next_attempt_at) if run.status == "failed" else None,
        error=run.error,
    )


def transitions(services: Services) -> tuple[list[TransitionRow], list[tuple[TransitionRow, ActionRow]]]:
    """The latest transitions, newest first, and every action that failed and waits for its retry."""
    with services.db.read_session() as s:
        recent = list(s.exec(select(Transition).order_by(col(Transition.fired_at).desc(), col(Transition.id).desc())
                             .limit(LIMIT)))  # fmt: skip
        failed = list(s.exec(select(ActionRun).where(ActionRun.status == "failed").order_by(col(ActionRun.id))))
        ids = {t.id for t in recent} | {r.transition_id for r in failed}
        by_id = {t.id: t for t in s.exec(select(Transition).where(col(Transition.id).in_(ids)))}
        runs: dict[int, list[ActionRun]] = defaultdict(list)
        for r in s.exec(
            select(ActionRun).where(col(ActionRun.transition_id).in_(ids)).order_by(col(ActionRun.position))
        ):
            runs[r.transition_id].append(r)
    names = Names(services)

    def row(t: Transition) -> TransitionRow:
        name, _, phases, _ = names.of(t.process_id)
        phase = phases.get(t.phase_id, t.phase_id)
        return TransitionRow(
            process=name,
            phase=phase,
            edge=EDGES.get(t.edge, t.edge),
            scheduled=names.local(t.process_id, t.scheduled_at) or "",
            fired=names.local(t.process_id, t.fired_at) or "",
            late=t.late,
            calendar_version=t.calendar_version,
            actions=[action_row(names, t.process_id, r) for r in runs[t.id or 0]],
        )

    failures = [(row(by_id[r.transition_id]), action_row(names, by_id[r.transition_id].process_id, r))
                for r in failed]  # fmt: skip
    return [row(t) for t in recent], failures


def seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 60 else f"{value / 60:.1f} min"


def verification_runs(services: Services) -> list[RunRow]:
    with services.db.read_session() as s:
        runs = list(s.exec(select(VerificationRun).order_by(col(VerificationRun.id).desc()).limit(LIMIT)))
    names = Names(services)
    labels = {status.value: label for status, label in STATUS_LABELS.items()}
    out = []
    for r in runs:
        assert r.id is not None
        name, _, _, cargos = names.of(r.process_id)
        counts = r.counts or {}
        out.append(
            RunRow(
                id=r.id,
                process=name,
                cargo=cargos.get(r.cargo_id, r.cargo_id),
                kind=RUN_KINDS.get(r.kind, r.kind),
                state=RUN_STATES.get(r.status, r.status),
                state_key=r.status,
                complete=r.complete,
                cut=names.local(r.process_id, r.received_before) or "",
                started=names.local(r.process_id, r.started_at) or "",
                duration=seconds(r.duration_seconds),
                apoyos=counts.get("apoyos"),
                by_status=sorted(
                    ((labels.get(k, k), n) for k, n in counts.get("by_status", {}).items()), key=lambda kv: -kv[1]
                ),
                error=r.error,
            )
        )
    return out


@get("/admin/motor", sync_to_thread=True)
def engine_page(request: Request, services: NamedDependency[Services]) -> Template | Redirect:
    if admin(request, services) is None:
        return to_sign_in(request)
    recent, failures = transitions(services)
    return page("admin_motor.html", transitions=recent, failures=failures, limit=LIMIT)


@get("/admin/verificaciones", sync_to_thread=True)
def runs_page(request: Request, services: NamedDependency[Services]) -> Template | Redirect:
    if admin(request, services) is None:
        return to_sign_in(request)
    return page("admin_verificaciones.html", runs=verification_runs(services), limit=LIMIT)


HANDLERS = [engine_page, runs_page]
