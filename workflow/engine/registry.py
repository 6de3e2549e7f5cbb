"""Actions by name. Packages that provide actions register them at start-up; ``workflow`` imports none of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflow.calendar.model import Calendar, Phase


@dataclass(frozen=True)
class ActionContext:
    """What an action gets. ``idempotency_key`` is the same on every retry of this action of this edge: actions
    key their effects on it (or on content) so that running twice changes nothing the second time."""

    process_id: str
    calendar: Calendar
    calendar_version: int
    phase: Phase | None  # None for an amendment event
    edge: str  # "start", "end" or "amend"
    scheduled_at: datetime
    now: datetime
    params: dict[str, Any]
    idempotency_key: str


Action = Callable[[ActionContext], dict[str, Any] | None]


@dataclass
class ActionRegistry:
    _actions: dict[str, Action] = field(default_factory=dict)
    _on_amendment: list[str] = field(default_factory=list)

    def register(self, name: str, action: Action, *, on_amendment: bool = False) -> None:
        """``on_amendment``: also run it once whenever an amendment puts a new calendar version in force."""
        if name in self._actions and self._actions[name] is not action:
            raise ValueError(f"action {name!r} is already registered")
        self._actions[name] = action
        if on_amendment and name not in self._on_amendment:
            self._on_amendment.append(name)

    def amendment_actions(self) -> list[str]:
        return list(self._on_amendment)

    def get(self, name: str) -> Action | None:
        return self._actions.get(name)

    def names(self) -> list[str]:
        return sorted(self._actions)
