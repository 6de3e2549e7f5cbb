"""Local wall-clock moments of a calendar and the UTC instants they denote.

Convention, held everywhere: a phase is the half-open interval [start, end). A bare start date means the first
instant of that local day; a bare end date means the end of that local day, i.e. the first instant of the next one,
at which the phase is already closed. Conversions use ``zoneinfo`` (with the ``tzdata`` package), never fixed offsets.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_LOCAL_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$")


class LocalTimeError(ValueError):
    """A local wall-clock time that does not denote exactly one instant in its zone."""


def _parse_local(value: Any) -> date | datetime:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            raise PydanticCustomError(
                "local_with_offset",
                "escriba la hora local sin desfase (por ejemplo 2022-02-10T23:59); la zona horaria es la del proceso",
            )
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        m = _LOCAL_RE.match(value.strip())
        if m:
            y, mo, d, hh, mm, ss = m.groups()
            try:
                if hh is None:
                    return date(int(y), int(mo), int(d))
                return datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss or 0))
            except ValueError:
                raise PydanticCustomError(
                    "local_invalid",
                    "«{value}» no es una fecha u hora válida del calendario",
                    {"value": value},
                ) from None
        if re.search(r"(Z|[+-]\d{2}:?\d{2})$", value.strip()):
            raise PydanticCustomError(
                "local_with_offset",
                "escriba la hora local sin desfase (por ejemplo 2022-02-10T23:59); la zona horaria es la del proceso",
            )
    raise PydanticCustomError(
        "local_format",
        "se esperaba una fecha local AAAA-MM-DD o una fecha y hora local AAAA-MM-DDTHH:MM, no «{value}»",
        {"value": value},
    )


def _serialize_local(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    return value.isoformat()


LOCAL_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$"

LocalMoment = Annotated[
    date | datetime,
    BeforeValidator(_parse_local),
    PlainSerializer(_serialize_local, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_PATTERN,
            "description": "Fecha local (AAAA-MM-DD) o fecha y hora local sin desfase (AAAA-MM-DDTHH:MM).",
        }
    ),
]


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "timezone",
            "«{name}» no es una zona horaria IANA conocida; use por ejemplo America/Monterrey, "
            "America/Mexico_City o America/Cancun",
            {"name": name},
        ) from None
    return name


def local_to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The one UTC instant that a naive local datetime denotes, or ``LocalTimeError`` if it names none or two."""
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    a, b = first.astimezone(UTC), second.astimezone(UTC)
    if a == b:
        return a
    # fold=0 and fold=1 disagree: either a gap (the time was skipped) or an overlap (it happened twice).
    if a.astimezone(tz).replace(tzinfo=None) != local:
        raise LocalTimeError(
            f"la hora local {local:%Y-%m-%d %H:%M} no existe en {tz.key}: el reloj se adelantó en ese momento"
        )
    raise LocalTimeError(
        f"la hora local {local:%Y-%m-%d %H:%M} ocurre dos veces en {tz.key} (el reloj se atrasó); "
        "elija otra hora para que el instante no sea ambiguo"
    )


def day_start_utc(day: date, tz: ZoneInfo) -> datetime:
    """First instant of a local day. If midnight was skipped by a clock change, the day starts at the change."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def start_instant(moment: date | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        return local_to_utc(moment, tz)
    return day_start_utc(moment, tz)


def end_instant(moment: date | datetime, tz: ZoneInfo) -> datetime:
    """Exclusive end: a bare date closes at the first instant of the next local day."""
    if isinstance(moment, datetime):
        return local_to_utc(moment, tz)
    return day_start_utc(moment + timedelta(days=1), tz)


def local_end(instant: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """The local moment of an exclusive end and its «HH:MM»: an end at local midnight is 24:00 of the day before
    (the way a deadline is written), so the moment returned is the last second of that day."""
    local = instant.astimezone(tz)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (instant - timedelta(seconds=1)).astimezone(tz), "24:00"
    return local, f"{local:%H:%M}"


def format_local(instant: datetime, tz: ZoneInfo, *, is_end: bool = False) -> str:
    """``2022-01-02 00:00 CST``; an exclusive end at local midnight reads as ``2022-01-01 24:00 CST``."""
    local, hhmm = local_end(instant, tz) if is_end else (instant.astimezone(tz), None)
    return f"{local:%Y-%m-%d} {hhmm or f'{local:%H:%M}'} {local:%Z}"
