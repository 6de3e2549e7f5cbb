"""The edges of a calendar's phases as UTC instants, in the order the engine fires them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from workflow.calendar.model import ActionCall, Calendar, Phase


@dataclass(frozen=True)
class Boundary:
    instant: datetime
    phase: Phase
    edge: str  # "start" or "end"
    position: int  # the phase's place in the file, to break ties

    @property
    def actions(self) -> list[ActionCall]:
        return list(self.phase.on_start if self.edge == "start" else self.phase.on_end)

    @property
    def key(self) -> tuple[str, str]:
        return (self.phase.id, self.edge)


def boundaries(cal: Calendar) -> list[Boundary]:
    """Every phase edge, by instant; at the same instant ends fire before starts (close a window, then open the
    next phase), then in file order."""
    out = []
    for i, p in enumerate(cal.phases):
        out.append(Boundary(cal.phase_start(p), p, "start", i))
        out.append(Boundary(cal.phase_end(p), p, "end", i))
    return sorted(out, key=lambda b: (b.instant, b.edge == "start", b.position))
