"""The one clock of the process. Nothing else in convoca reads the wall clock.

``SystemClock`` is real time; ``FixedClock`` stands still (tests, ``--at``); ``AcceleratedClock`` starts at a chosen
instant and runs ``speed`` times faster than real time, so a whole electoral process can be replayed in minutes.
All instants are timezone-aware UTC.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def describe(self) -> str: ...

    @property
    def rate(self) -> float:
        """Clock seconds per real second: 1 for real time, the speed when accelerated, 0 when fixed."""
        ...

    def to_real(self, instant: datetime) -> datetime | None:
        """The real UTC time at which this clock will show ``instant`` (for the scheduler's alarm), or None if it
        never will (a fixed clock before it is moved)."""
        ...


def real_now() -> datetime:
    """Real UTC time, whatever the process's clock shows: only for spans that are about people, not the calendar
    (how long a portal session lasts, when a signature was made), which an accelerated or fixed clock must not
    stretch or freeze."""
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset or Z. A naive time is refused: it would name no single instant."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(f"«{text}» no es un instante ISO 8601; use por ejemplo 2022-02-11T06:00:00Z") from None
    if value.tzinfo is None:
        raise ValueError(f"«{text}» no indica zona horaria; use por ejemplo 2022-02-11T06:00:00Z o -06:00")
    return value.astimezone(UTC)


class SystemClock:
    def now(self) -> datetime:
        return real_now()

    def describe(self) -> str:
        return "reloj del sistema"

    rate = 1.0

    def to_real(self, instant: datetime) -> datetime | None:
        return instant


class FixedClock:
    """A clock that shows one instant until moved with ``set`` or ``advance``."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._now = instant.astimezone(UTC)
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every move (the scheduler re-plans then)."""
        self._listeners.append(callback)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)
        for callback in list(self._listeners):
            callback()

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)

    def describe(self) -> str:
        return f"reloj fijo en {self._now.isoformat()}"

    rate = 0.0

    def to_real(self, instant: datetime) -> datetime | None:
        return datetime.now(UTC) if instant <= self._now else None


class AcceleratedClock:
    """Clock time = ``start`` + speed × (real time elapsed since it started running).

    It runs from its creation, or, created ``held``, shows ``start`` until ``release()``: a demo starts the clock
    only once its server is ready, so nothing it means to show happens before anyone can see it. ``advance_to``
    skips forward over a quiet stretch (a replay); nothing moves it back, so what has happened stays in the past.
    """

    def __init__(
        self, start: datetime, speed: float, *, held: bool = False, _monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("AcceleratedClock needs a timezone-aware start")
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._monotonic = _monotonic
        # (clock instant, real monotonic time it was shown at or None while held), replaced as one value so that a
        # reader in another thread never pairs a new instant with an old origin.
        self._anchor: tuple[datetime, float | None] = (start.astimezone(UTC), None if held else _monotonic())
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    @property
    def start(self) -> datetime:
        """The instant the clock (last) started running from."""
        return self._anchor[0]

    def subscribe(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` when a held clock starts running or the clock skips forward (the scheduler re-plans
        then, in the caller's thread: what is due at the new instant has run when the call returns)."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in list(self._listeners):
            callback()

    def release(self) -> None:
        with self._lock:
            start, origin = self._anchor
            if origin is not None:
                return
            self._anchor = (start, self._monotonic())
        self._notify()

    def advance_to(self, instant: datetime) -> None:
        """Skip forward to ``instant`` and run on from there at the same speed (a held clock stays held)."""
        if instant.tzinfo is None:
            raise ValueError("advance_to needs a timezone-aware instant")
        with self._lock:
            now, (_, origin) = self.now(), self._anchor
            if instant < now:
                raise ValueError(f"the clock does not go back: {instant.isoformat()} is before {now.isoformat()}")
            self._anchor = (instant.astimezone(UTC), None if origin is None else self._monotonic())
        self._notify()

    def now(self) -> datetime:
        start, origin = self._anchor
        if origin is None:
            return start
        return start + timedelta(seconds=(self._monotonic() - origin) * self.speed)

    def describe(self) -> str:
        return f"reloj acelerado ×{self.speed:g} desde {self.start.isoformat()}"

    @property
    def rate(self) -> float:
        return self.speed

    def to_real(self, instant: datetime) -> datetime | None:
        ahead = (instant - self.now()).total_seconds()
        if self._anchor[1] is None and ahead > 0:
            return None  # held: it will not get there until released
        return datetime.now(UTC) + timedelta(seconds=max(0.0, ahead) / self.speed)
