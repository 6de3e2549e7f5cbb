"""Spanish legal style (es-MX): dates and numbers in words, ordinals, separators. Built on num2words and babel."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_timezone_name
from babel.numbers import format_decimal
from num2words import num2words

from workflow.calendar.localtime import local_end as end_moment

LOCALE = "es_MX"


def number(value: int | Decimal | float) -> str:
    """13079 → «13,079»; 1.5 → «1.5»."""
    return format_decimal(value, locale=LOCALE)


def percentage(value: Decimal | float) -> str:
    """1.5 → «1.5 %»."""
    return f"{format_decimal(value, locale=LOCALE)} %"


def words(value: int) -> str:
    """13079 → «trece mil setenta y nueve». «Uno» before «mil» or «millones» is apocopated, which num2words does
    not do: 21000 → «veintiún mil», 41001 → «cuarenta y un mil uno»."""
    text = num2words(value, lang="es")
    return re.sub(r"\b(veinti)?uno (?=mil\b|millones\b)", lambda m: "veintiún " if m[1] else "un ", text)


def count_words(n: int, feminine: bool = False) -> str:
    """A count before a noun: «veintiún municipios», «veintiuna secciones», «un distrito», «mil un apoyos»,
    «trescientas treinta y tres secciones» (hundreds agree too, except those of «millones», a noun of its own)."""
    w = words(n)
    if w.endswith("uno"):
        w = w[:-3] + ("una" if feminine else ("ún" if w.endswith("iuno") else "un"))
    if feminine:
        last = max((m.end() for m in re.finditer(r"\bmill(ón|ones)\b", w)), default=0)
        w = w[:last] + re.sub(r"ientos\b", "ientas", w[last:])
    return w


def _feminine(masculine: str) -> str:
    return " ".join(w[:-1] + "a" if w.endswith("o") else w for w in masculine.split())


def ordinal_feminine(n: int) -> str:
    """1 → «primera», 11 → «décima primera»: the numbering of a convocatoria's bases."""
    if 11 <= n <= 19:
        return "décima " + ordinal_feminine(n - 10)
    return _feminine(num2words(n, lang="es", to="ordinal"))


def ordinal_masculine(n: int) -> str:
    """1 → «primero», 11 → «décimo primero»: the numbering of a dictamen's resolutivos."""
    if 11 <= n <= 19:
        return "décimo " + ordinal_masculine(n - 10)
    return str(num2words(n, lang="es", to="ordinal"))


def day_words(day: int) -> str:
    return "primero" if day == 1 else words(day)


def month(d: date) -> str:
    return format_date(d, "MMMM", locale=LOCALE)


def date_words(d: date) -> str:
    """«primero de noviembre de dos mil veintiuno»."""
    return f"{day_words(d.day)} de {month(d)} de {words(d.year)}"


def date_range_words(start: date, end: date) -> str:
    """«del dos de enero al diez de febrero de dos mil veintidós»; the year is said once when shared."""
    if start.year == end.year:
        if start.month == end.month:
            return f"del {day_words(start.day)} al {day_words(end.day)} de {month(end)} de {words(end.year)}"
        return f"del {day_words(start.day)} de {month(start)} al {date_words(end)}"
    return f"del {date_words(start)} al {date_words(end)}"


def short_date(d: date) -> str:
    """«10 de febrero de 2022»."""
    return format_date(d, "d 'de' MMMM 'de' y", locale=LOCALE)


# The zones as Mexican law names them (Ley del Sistema de Horario en los Estados Unidos Mexicanos), by their
# standard offset in minutes: legal texts write «tiempo del centro», not the CLDR name.
MEXICAN_ZONES = {
    -300: "tiempo del sureste",
    -360: "tiempo del centro",
    -420: "tiempo del Pacífico",
    -480: "tiempo del noroeste",
}


def _offset(minutes: int) -> str:
    sign = "−" if minutes < 0 else "+"
    hh, mm = divmod(abs(minutes), 60)
    return f"UTC{sign}{hh:02d}:{mm:02d}"


def zone_label(instant: datetime, tz: ZoneInfo) -> str:
    """«tiempo del centro, UTC−06:00»: the zone in force at that instant, as Mexican legal texts name it (with
    «horario de verano» while daylight saving time applied); another zone by its CLDR name."""
    local = instant.astimezone(tz)
    minutes = int((local.utcoffset() or timedelta(0)).total_seconds() // 60)
    summer = int((local.dst() or timedelta(0)).total_seconds() // 60)
    name = MEXICAN_ZONES.get(minutes - summer)
    if name is None:
        return f"{get_timezone_name(local, locale=LOCALE)}, {_offset(minutes)}"
    return f"{name}{', horario de verano' if summer else ''}, {_offset(minutes)}"


def local_start(instant: datetime, tz: ZoneInfo) -> tuple[date, str]:
    """The local day and «HH:MM» at which something starts."""
    local = instant.astimezone(tz)
    return local.date(), f"{local:%H:%M}"


def local_end(instant: datetime, tz: ZoneInfo) -> tuple[date, str]:
    """The local day and «HH:MM» at which something ends; an exclusive midnight is 24:00 of the day before."""
    local, hhmm = end_moment(instant, tz)
    return local.date(), hhmm


def window_words(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    """«de las 00:00 horas del dos de enero a las 24:00 horas del diez de febrero de dos mil veintidós»."""
    d1, h1 = local_start(start, tz)
    d2, h2 = local_end(end, tz)
    first = date_words(d1) if d1.year != d2.year else f"{day_words(d1.day)} de {month(d1)}"
    return f"de las {h1} horas del {first} a las {h2} horas del {date_words(d2)}"
