"""What an amendment may change once the process is under way: nothing in the past.

A passed instant cannot move; a closed phase cannot reopen; an open phase's end may move, but not into the past;
a phase that has started cannot be removed; a new or pending phase cannot start in the past.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timedelta

from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar
from workflow.calendar.source import Path

# What a started captación may not change: who it concerns and how each aspirante's window is computed.
FROZEN_CAPTURE_FIELDS = {
    "kind": "el tipo",
    "cargos": "los cargos",
    "groups": "los grupos",
    "window_from_constancia": "el inicio por constancia",
    "window_days": "los días por aspirante",
}


def amendment_problems(
    old: Calendar, new: Calendar, now: datetime, fired: Set[tuple[str, str]] = frozenset()
) -> list[tuple[Path, str]]:
    """Problems with replacing ``old`` by ``new`` at ``now``. ``fired`` are the edges the engine already fired:
    they count as past whatever the clock says, so a caller's clock cannot rewrite what has happened."""
    problems: list[tuple[Path, str]] = []
    if new.process.id != old.process.id:
        return [(("process", "id"), f"el calendario es del proceso «{new.process.id}», no de «{old.process.id}»")]
    tz_old = old.tz
    index = {p.id: i for i, p in enumerate(new.phases)}
    when = format_local(now, tz_old)

    def local(instant: datetime, is_end: bool = False) -> str:
        return format_local(instant, tz_old, is_end=is_end)

    def started(p) -> bool:
        return old.phase_start(p) <= now or (p.id, "start") in fired

    for p in old.phases:
        start, end = old.phase_start(p), old.phase_end(p)
        if not started(p):
            continue
        if p.id not in index:
            problems.append(
                (("phases",), f"la fase «{p.id}» ya inició ({local(start)}) y no puede eliminarse del calendario")
            )
            continue
        i = index[p.id]
        q = new.phases[i]
        new_start, new_end = new.phase_start(q), new.phase_end(q)
        if new_start != start:
            problems.append(
                (
                    ("phases", i, "start"),
                    f"la fase «{p.id}» ya inició el {local(start)}; un instante pasado no puede moverse "
                    f"(se propuso {local(new_start)})",
                )
            )
        if p.kind.value == "captacion_apoyo" or q.kind != p.kind:
            for name, label in FROZEN_CAPTURE_FIELDS.items():
                if getattr(q, name) != getattr(p, name):
                    problems.append((("phases", i, name), f"la fase «{p.id}» ya inició; no puede cambiar {label}"))
            old_limit = end + timedelta(hours=p.late_upload_grace_hours or 0)
            new_limit = new_end + timedelta(hours=q.late_upload_grace_hours or 0)
            if new_limit != old_limit and (old_limit <= now or new_limit <= now):
                problems.append(
                    (
                        ("phases", i, "late_upload_grace_hours"),
                        f"el plazo para enviar apoyos de «{p.id}» vence o venció el {local(old_limit, True)}; "
                        "no puede reabrirse ni llevarse al pasado",
                    )
                )
        if end <= now or (p.id, "end") in fired:
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
    started_ids = {p.id for p in old.phases if started(p)}
    for i, q in enumerate(new.phases):
        if q.id in started_ids:
            continue
        new_start = new.phase_start(q)
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
                f"+ {pid}: {format_local(new.phase_start(q), tz_new)} → "
                f"{format_local(new.phase_end(q), tz_new, is_end=True)}"
            )
            continue
        for edge, label in (("start", "inicio"), ("end", "fin")):
            a = old.phase_start(p) if edge == "start" else old.phase_end(p)
            b = new.phase_start(q) if edge == "start" else new.phase_end(q)
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
