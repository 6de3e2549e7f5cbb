"""Each phase of a calendar resolved to UTC instants, and its state at a given instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from .localtime import end_instant, start_instant
from .model import Calendar, Phase


class PhaseState(StrEnum):
    pendiente = "pendiente"
    abierta = "abierta"
    cerrada = "cerrada"


@dataclass(frozen=True)
class ZoneSpan:
    """A phase as read on one zone's wall clock, and the demarcaciones on that clock."""

    zone: str
    start: datetime  # UTC
    end: datetime  # UTC
    members: tuple[str, ...]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


@dataclass(frozen=True)
class ResolvedPhase:
    phase: Phase
    start: datetime  # UTC, inclusive: the earliest over its zones
    end: datetime  # UTC, exclusive: the latest over its zones
    zones: tuple[ZoneSpan, ...] = ()  # more than one when demarcaciones on another clock read its dates

    def state(self, at: datetime) -> PhaseState:
        if at < self.start:
            return PhaseState.pendiente
        if at < self.end:
            return PhaseState.abierta
        return PhaseState.cerrada


def timeline(cal: Calendar) -> list[ResolvedPhase]:
    """Phases in calendar order (by start, then end, then file order)."""
    return sorted((resolve(cal, p) for p in cal.phases), key=lambda r: (r.start, r.end))


def resolve(cal: Calendar, p: Phase) -> ResolvedPhase:
    zones = cal.phase_zones(p)
    spans = tuple(
        ZoneSpan(z, start_instant(p.start, ZoneInfo(z)), end_instant(p.end, ZoneInfo(z)), tuple(members))
        for z, members in zones
    )
    return ResolvedPhase(p, min(s.start for s in spans), max(s.end for s in spans), spans if len(spans) > 1 else ())
