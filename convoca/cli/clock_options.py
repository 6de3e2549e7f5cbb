"""The clock options every long-running or time-dependent command accepts."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from workflow.clock import AcceleratedClock, Clock, FixedClock, SystemClock, parse_instant


class InstantType(click.ParamType):
    name = "INSTANTE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return parse_instant(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


INSTANT = InstantType()


def make_clock(kind: str, at: Any, start: Any, speed: float) -> Clock:
    if kind == "system" and (at is not None or start is not None):
        kind = "fixed" if start is None else "accelerated"  # --at alone means fixed, --from alone accelerated
    if (kind == "fixed" and start is not None) or (kind == "accelerated" and at is not None):
        raise click.UsageError("--at es para --clock fixed y --from para --clock accelerated; no los combine")
    if kind == "fixed":
        if at is None:
            raise click.UsageError("--clock fixed necesita --at INSTANTE")
        return FixedClock(at)
    if kind == "accelerated":
        if start is None:
            raise click.UsageError("--clock accelerated necesita --from INSTANTE")
        return AcceleratedClock(start, speed)
    return SystemClock()


def clock_options(func: Callable) -> Callable:
    """Add --clock/--at/--from/--speed and pass a ready ``clock`` argument instead."""

    @click.option(
        "--clock",
        "clock_kind",
        type=click.Choice(["system", "fixed", "accelerated"]),
        default="system",
        show_default=True,
        help="Reloj: del sistema, fijo (--at) o acelerado (--from, --speed).",
    )
    @click.option("--at", type=INSTANT, default=None, help="Instante fijo, p. ej. 2022-02-11T06:00:00Z.")
    @click.option("--from", "start", type=INSTANT, default=None, help="Inicio del reloj acelerado.")
    @click.option(
        "--speed",
        type=click.FloatRange(min=0, min_open=True),
        default=60.0,
        show_default=True,
        help="Factor del reloj acelerado.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, clock_kind: str, at: Any, start: Any, speed: float, **kwargs: Any) -> Any:
        return func(*args, clock=make_clock(clock_kind, at, start, speed), **kwargs)

    return wrapper
