"""The aspirante's pace: at the rate apoyos have arrived lately, the day the quota is reached, or the daily rate
needed to reach it before the window closes. Pure arithmetic on figures the page already has, with the clock's
``now`` passed in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from workflow.calendar.localtime import format_local
from workflow.documents.spanish import number as figure
from workflow.documents.spanish import short_date

# "Lately": the last week of the window (or since it opened). A shorter span than a day is read as a day, so an
# hour's burst right after opening does not promise hundreds of apoyos a day.
RECENT = timedelta(days=7)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Counted:
    """What counts so far: ``counted`` apoyos (valid ones, estimated for those not yet verified, or received when
    nothing has been verified), the share of received ones that turn out valid, and the word for them."""

    counted: int
    share: float
    noun: str  # «apoyos válidos» or «apoyos recibidos»


@dataclass(frozen=True)
class Forecast:
    sentence: str
    per_day: float | None  # the current rate of counted apoyos
    needed_per_day: int | None  # what reaching the quota before the close takes
    reached_on: date | None  # local date the quota is reached at the current rate


def counted(received: int, verified: int | None, valid: int | None) -> Counted:
    """Valid apoyos so far: those the latest verification found, plus the same share of the ones received since
    its cut-off; received apoyos when nothing has been verified yet."""
    if verified is None or valid is None:
        return Counted(received, 1.0, "apoyos recibidos")
    share = valid / verified if verified else 1.0
    return Counted(valid + round(share * max(0, received - verified)), share, "apoyos válidos")


def number(rate: float) -> str:
    return figure(round(rate)) if rate >= 10 else f"{rate:.1f}"


def since(opens: datetime, now: datetime) -> datetime:
    """Where "lately" starts: a week ago, or the opening if later."""
    return max(opens, now - RECENT)


def forecast(
    *,
    required: int | None,
    so_far: Counted,
    recent: int,
    opens: datetime | None,
    closes: datetime | None,
    now: datetime,
    tz: ZoneInfo,
) -> Forecast | None:
    """``recent``: apoyos received since ``since(opens, now)``. None when there is no quota or no window."""
    if required is None or opens is None or closes is None:
        return None
    have, noun = so_far.counted, so_far.noun
    if have >= required:
        return Forecast(f"Ya reunió el apoyo requerido: {figure(have)} de {figure(required)} {noun}.", None, None, None)
    if now >= closes:
        return Forecast(
            f"El periodo de captación cerró el {format_local(closes, tz, is_end=True)} con {figure(have)} de "
            f"{figure(required)} {noun}.",
            None,
            None,
            None,
        )
    missing = required - have
    if now < opens:
        needed = math.ceil(required / max((closes - opens) / DAY, 1.0))
        return Forecast(
            f"El periodo de captación abre el {format_local(opens, tz)}. Para reunir {figure(required)} apoyos antes "
            f"del cierre necesitará unos {figure(needed)} apoyos válidos al día.",
            None,
            needed,
            None,
        )
    needed = math.ceil(missing / max((closes - now) / DAY, 1.0))
    close_text = format_local(closes, tz, is_end=True)
    if recent == 0:
        lead = "Todavía no ha llegado ningún apoyo" if have == 0 else "En los últimos días no llegó ningún apoyo"
        return Forecast(
            f"{lead}. Para reunir los {figure(missing)} que faltan antes del cierre ({close_text}) necesita unos "
            f"{figure(needed)} apoyos válidos al día.",
            0.0,
            needed,
            None,
        )
    span = max((now - since(opens, now)) / DAY, 1.0)
    rate = recent * so_far.share / span
    reached = now + DAY * (missing / rate) if rate > 0 else None
    lead = f"Al ritmo de los últimos días, unos {number(rate)} {noun} al día,"
    if reached is not None and reached < closes:
        return Forecast(
            f"{lead} alcanzaría el apoyo requerido el {short_date(reached.astimezone(tz).date())}, antes del cierre "
            f"({close_text}).",
            rate,
            needed,
            reached.astimezone(tz).date(),
        )
    return Forecast(
        f"{lead} no alcanzaría el apoyo requerido antes del cierre ({close_text}): faltan {figure(missing)}; necesita "
        f"unos {figure(needed)} apoyos válidos al día.",
        rate,
        needed,
        None,
    )
