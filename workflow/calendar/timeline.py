"""Each phase of a calendar resolved to UTC instants, and its state at a given instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .model import Calendar, Phase


class PhaseState(StrEnum):
    pendiente = "pendiente"
    abierta = "abierta"
    cerrada = "cerrada"


@dataclass(frozen=True)
class ResolvedPhase:
    phase: Phase
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    def state(self, at: datetime) -> PhaseState:
        if at < self.start:
            return PhaseState.pendiente
        if at < self.end:
            return PhaseState.abierta
        return PhaseState.cerrada


def timeline(cal: Calendar) -> list[ResolvedPhase]:
    """Phases in calendar order (by start, then end, then file order)."""
    tz = cal.tz
    resolved = [ResolvedPhase(p, p.start_utc(tz), p.end_utc(tz)) for p in cal.phases]
    return sorted(resolved, key=lambda r: (r.start, r.end))
