"""An aspirante's capture window, from the calendar: by cargo, by municipal group, or from their own constancia.

Whether a capture is accepted is decided here, from the calendar and the clock at receipt, never from whether an
engine action has run: a closed window rejects within the same second even if ``close_capture`` is late.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workflow.calendar.localtime import day_start_utc, format_local
from workflow.calendar.model import Calendar, Demarcacion, Phase, PhaseKind
from workflow.errors import ErrorKind

# A device clock may run a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Window:
    phase: Phase
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    grace: timedelta  # after ``end``, captures taken inside the window may still arrive
    tz: ZoneInfo | None = field(default=None, compare=False)  # the wall clock it is read on (the demarcación's)

    def open_at(self, instant: datetime) -> bool:
        return self.start <= instant < self.end


@dataclass(frozen=True)
class Decision:
    accepted: bool
    late: bool = False  # accepted in the grace period after the window closed
    reason: str = ""  # Spanish, for the API's error detail
    kind: ErrorKind | None = None  # of a refusal: invalid (the capture's times) or conflict (the window's state)


def group_of(cal: Calendar, cargo_id: str, demarcacion_id: str) -> int | None:
    cargo = cal.cargo(cargo_id)
    if cargo.demarcacion is not Demarcacion.municipio:
        return None
    for m in cal.territory.municipios:
        if m.inegi == demarcacion_id:
            return m.group
    return None


def window_for(cal: Calendar, cargo_id: str, demarcacion_id: str, constancia: date) -> Window | None:
    """The capture window of an aspirante, or None when the calendar gives their cargo none. Its dates are read on
    the wall clock of the aspirante's demarcación when it keeps its own zone (a border municipio), else the
    process's."""
    if cargo_id not in {c.id for c in cal.cargos}:
        return None
    cargo = cal.cargo(cargo_id)
    group = group_of(cal, cargo_id, demarcacion_id)
    for phase in cal.phases:
        if phase.kind is not PhaseKind.captacion_apoyo or not phase.applies_to(cargo_id, group):
            continue
        tz = cal.edge_zone(phase, cargo, demarcacion_id)
        start, end = phase.start_utc(tz), phase.end_utc(tz)
        if phase.window_from_constancia:
            # Each aspirante's window opens when their constancia is issued (never before the phase opens) and
            # lasts window_days from that opening, never past the phase's end.
            start = max(start, day_start_utc(constancia, tz))
            if phase.window_days is not None:
                first_day = start.astimezone(tz).date()
                end = min(end, day_start_utc(first_day + timedelta(days=phase.window_days), tz))
        grace = timedelta(hours=phase.late_upload_grace_hours or 0)
        return Window(phase, start, end, grace, tz)
    return None


def decide(window: Window | None, captured_at: datetime, received_at: datetime, tz) -> Decision:
    """Accept a capture received at ``received_at`` (server clock) and taken at ``captured_at`` (device clock)?
    Times in the reasons are on the window's own clock when it has one, else on ``tz``."""
    if window is None:
        return Decision(
            False, reason="el calendario no prevé periodo de captación para este cargo", kind=ErrorKind.conflict
        )
    tz = window.tz or tz
    name = f"«{window.phase.name}»"
    if captured_at > received_at + CLOCK_SKEW:
        return Decision(
            False,
            reason=f"captured_at ({format_local(captured_at, tz)}) está en el futuro respecto de la hora del "
            f"servidor ({format_local(received_at, tz)}); revise el reloj del dispositivo",
            kind=ErrorKind.invalid,
        )
    if captured_at < window.start:
        return Decision(
            False,
            reason=f"el apoyo se captó ({format_local(captured_at, tz)}) antes de que abriera el periodo {name} "
            f"({format_local(window.start, tz)})",
            kind=ErrorKind.invalid,
        )
    if window.open_at(received_at):
        return Decision(True)
    if received_at < window.start:
        return Decision(
            False,
            reason=f"el periodo {name} aún no abre: abre el {format_local(window.start, tz)}",
            kind=ErrorKind.conflict,
        )
    if window.open_at(captured_at) and received_at < window.end + window.grace:
        return Decision(True, late=True)
    closes = format_local(window.end, tz, is_end=True)  # refused from here on: only a refusal formats its times
    if window.grace and window.open_at(captured_at):
        limit = format_local(window.end + window.grace, tz, is_end=True)
        return Decision(
            False,
            reason=f"el periodo {name} cerró el {closes} y el plazo para enviar apoyos captados dentro de él "
            f"venció el {limit}",
            kind=ErrorKind.conflict,
        )
    return Decision(False, reason=f"el periodo {name} cerró el {closes}", kind=ErrorKind.conflict)
