"""RFC 5545 export of a calendar, with the OPLE's time zone, for Outlook or Google Calendar subscriptions."""

from __future__ import annotations

from datetime import datetime

import icalendar

from .model import Calendar, Phase
from .timeline import timeline

_FIRST_DATE, _LAST_DATE = icalendar.Timezone.DEFAULT_FIRST_DATE, icalendar.Timezone.DEFAULT_LAST_DATE


def _event(
    cal: Calendar,
    p: Phase,
    zone: str | None,
    start: datetime,
    end: datetime,
    members: tuple[str, ...],
    stamp: datetime,
) -> icalendar.Event:
    ev = icalendar.Event()
    ev.add("uid", f"{p.id}{'.' + zone.replace('/', '-') if zone else ''}@{cal.process.id}.convoca")
    ev.add("dtstamp", stamp)
    ev.add("summary", p.name + (f" (hora de {zone})" if zone else ""))
    # Always exact local times with TZID (never floating all-day dates): a window that closes at 24:00 in
    # Durango must show as that instant to a subscriber in any other zone.
    ev.add("dtstart", start)
    ev.add("dtend", end)
    description = [f"Tipo de fase: {p.kind.label}"]
    if zone:
        description.append(f"Zona horaria {zone}: " + ", ".join(members))
    if p.cargos:
        description.append("Cargos: " + ", ".join(cal.cargo(c).name for c in p.cargos))
    if p.groups:
        description.append("Grupos municipales: " + ", ".join(str(g) for g in p.groups))
    if p.notes:
        description.append(p.notes)
    ev.add("description", "\n".join(description))
    ev.add("categories", [p.kind.value])
    return ev


def to_ics(cal: Calendar, stamp: datetime) -> bytes:
    """``stamp`` is the DTSTAMP of every event (the clock's now, or the calendar version's creation time)."""
    tz = cal.tz
    out = icalendar.Calendar()
    out.add("prodid", "-//convoca//calendario electoral//ES")
    out.add("version", "2.0")
    out.add("calscale", "GREGORIAN")
    out.add("x-wr-calname", f"{cal.process.ople.acronym} · {cal.process.name}")
    out.add("x-wr-timezone", cal.process.timezone)
    for r in timeline(cal):
        # A phase read on several clocks (a border municipio) is one event per zone, each with its own TZID.
        spans = (
            [(None, r.start, r.end, tz, ())]
            if not r.zones
            else [(z.zone, z.start, z.end, z.tz, z.members) for z in r.zones]
        )
        for zone, start, end, zone_tz, members in spans:
            out.add_component(
                _event(cal, r.phase, zone, start.astimezone(zone_tz), end.astimezone(zone_tz), members, stamp)
            )
    out.add_missing_timezones()
    for vtimezone in out.timezones:  # icalendar writes an English COMMENT on the VTIMEZONE it builds
        vtimezone.pop("COMMENT", None)
        vtimezone.add("COMMENT", f"Zona horaria válida del {_FIRST_DATE} al {_LAST_DATE}.")
    return out.to_ical()
