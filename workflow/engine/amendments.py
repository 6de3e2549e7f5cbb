"""What an amendment may change once the process is under way: nothing in the past.

A passed instant cannot move; a closed phase cannot reopen; an open phase's end may move, but not into the past;
a phase that has started cannot be removed; a new or pending phase cannot start in the past.
"""

from __future__ import annotations

from datetime import datetime

from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar
from workflow.calendar.source import Path


def amendment_problems(old: Calendar, new: Calendar, now: datetime) -> list[tuple[Path, str]]:
    problems: list[tuple[Path, str]] = []
    if new.process.id != old.process.id:
        return [(("process", "id"), f"el calendario es del proceso «{new.process.id}», no de «{old.process.id}»")]
    tz_old, tz_new = old.tz, new.tz
    index = {p.id: i for i, p in enumerate(new.phases)}
    when = format_local(now, tz_old)

    def local(instant: datetime, is_end: bool = False) -> str:
        return format_local(instant, tz_old, is_end=is_end)

    for p in old.phases:
        start, end = p.start_utc(tz_old), p.end_utc(tz_old)
        if start > now:
            continue
        if p.id not in index:
            problems.append(
                (("phases",), f"la fase «{p.id}» ya inició ({local(start)}) y no puede eliminarse del calendario")
            )
            continue
        i = index[p.id]
        q = new.phases[i]
        new_start, new_end = q.start_utc(tz_new), q.end_utc(tz_new)
        if new_start != start:
            problems.append(
                (
                    ("phases", i, "start"),
                    f"la fase «{p.id}» ya inició el {local(start)}; un instante pasado no puede moverse "
                    f"(se propuso {local(new_start)})",
                )
            )
        if end <= now:
            if new_end != end:
                problems.append(
                    (
                        ("phases", i, "end"),
                        f"la fase «{p.id}» cerró el {local(end, True)}; una fase cerrada no puede reabrirse "
                        f"ni cambiar su cierre (se propuso {local(new_end, True)})",
                    )
                )
        elif new_end <= now:
            problems.append(
                (
                    ("phases", i, "end"),
                    f"la fase «{p.id}» está abierta; su cierre puede moverse, pero no al pasado: "
                    f"{local(new_end, True)} ya pasó (ahora es {when})",
                )
            )
    started = {p.id for p in old.phases if p.start_utc(tz_old) <= now}
    for i, q in enumerate(new.phases):
        if q.id in started:
            continue
        new_start = q.start_utc(tz_new)
        if new_start <= now:
            problems.append(
                (
                    ("phases", i, "start"),
                    f"la fase «{q.id}» empezaría el {local(new_start)}, que ya pasó (ahora es {when}); "
                    "una fase pendiente solo puede programarse hacia el futuro",
                )
            )
    return problems


def date_changes(old: Calendar, new: Calendar) -> list[str]:
    """Human-readable differences of dates between two versions, for `calendar history`."""
    lines = []
    tz_old, tz_new = old.tz, new.tz
    old_phases = {p.id: p for p in old.phases}
    new_phases = {p.id: p for p in new.phases}
    for pid, q in new_phases.items():
        p = old_phases.get(pid)
        if p is None:
            lines.append(
                f"+ {pid}: {format_local(q.start_utc(tz_new), tz_new)} → "
                f"{format_local(q.end_utc(tz_new), tz_new, is_end=True)}"
            )
            continue
        for edge, label in (("start", "inicio"), ("end", "fin")):
            a = getattr(p, f"{edge}_utc")(tz_old)
            b = getattr(q, f"{edge}_utc")(tz_new)
            if a != b:
                is_end = edge == "end"
                lines.append(
                    f"~ {pid}: {label} {format_local(a, tz_old, is_end=is_end)} → "
                    f"{format_local(b, tz_new, is_end=is_end)}"
                )
    for pid in old_phases:
        if pid not in new_phases:
            lines.append(f"- {pid}")
    return lines
