"""Local wall-clock moments → UTC instants, phase states at an instant, and the clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflow.calendar.localtime import (
    LocalTimeError,
    day_start_utc,
    end_instant,
    format_local,
    local_to_utc,
    start_instant,
)
from workflow.calendar.model import Calendar, PhaseKind
from workflow.calendar.timeline import PhaseState, ResolvedPhase, timeline
from workflow.clock import AcceleratedClock, FixedClock, SystemClock, parse_instant

MONTERREY = ZoneInfo("America/Monterrey")  # Durango
CANCUN = ZoneInfo("America/Cancun")  # Quintana Roo
MATAMOROS = ZoneInfo("America/Matamoros")  # Tamaulipas' border strip


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def resolved(cal: Calendar, phase_id: str) -> ResolvedPhase:
    return next(r for r in timeline(cal) if r.phase.id == phase_id)


# --- bare dates and the half-open [start, end) convention -------------------------------------------------------


def test_bare_start_date_is_first_instant_of_local_day() -> None:
    assert start_instant(date(2022, 1, 2), MONTERREY) == utc(2022, 1, 2, 6)
    assert start_instant(date(2022, 1, 2), CANCUN) == utc(2022, 1, 2, 5)


def test_bare_end_date_includes_the_whole_day() -> None:
    assert end_instant(date(2022, 2, 10), MONTERREY) == utc(2022, 2, 11, 6)
    assert end_instant(date(2022, 2, 10), CANCUN) == utc(2022, 2, 11, 5)


def test_end_with_time_is_that_exact_instant() -> None:
    assert end_instant(datetime(2022, 2, 10, 23, 59), MONTERREY) == utc(2022, 2, 11, 5, 59)
    assert start_instant(datetime(2022, 1, 7, 10, 0), CANCUN) == utc(2022, 1, 7, 15, 0)


def test_durango_capture_closes_at_the_end_of_10_february(durango: Calendar) -> None:
    r = resolved(durango, "captacion-ayuntamientos")
    assert (r.start, r.end) == (utc(2022, 1, 12, 6), utc(2022, 2, 11, 6))
    assert r.state(utc(2022, 1, 12, 5, 59, 59)) is PhaseState.pendiente
    assert r.state(utc(2022, 1, 12, 6)) is PhaseState.abierta
    assert r.state(utc(2022, 2, 11, 5, 59, 59)) is PhaseState.abierta
    assert r.state(utc(2022, 2, 11, 5, 59, 59, 999999)) is PhaseState.abierta
    assert r.state(utc(2022, 2, 11, 6)) is PhaseState.cerrada


def test_one_day_phase_lasts_one_local_day(durango: Calendar) -> None:
    r = resolved(durango, "dictamen")  # start and end 2022-02-18
    assert r.end - r.start == timedelta(days=1)


def test_timeline_sorted_by_start_then_end_then_file_order(durango: Calendar) -> None:
    ids = [r.phase.id for r in timeline(durango)]
    # In the file the approval (4 Apr) comes before the campaign (3 Apr); the timeline orders by instant.
    assert ids.index("campana-gubernatura") < ids.index("aprobacion-registro-ayuntamientos")
    starts = [(r.start, r.end) for r in timeline(durango)]
    assert starts == sorted(starts)
    a, b = durango.phase("verificacion"), durango.phase("garantia-audiencia")
    twin = b.model_copy(update={"id": "twin", "start": a.start, "end": a.end})
    cal = durango.model_copy(update={"phases": [twin, a]})
    assert [r.phase.id for r in timeline(cal)] == ["twin", "verificacion"]


# --- daylight saving: 3 Apr 2022 in America/Monterrey (02:00 CST → 03:00 CDT) --------------------------------------


def test_dst_start_day_in_monterrey() -> None:
    assert start_instant(date(2022, 4, 3), MONTERREY) == utc(2022, 4, 3, 6)  # midnight is still CST (UTC−6)
    assert start_instant(datetime(2022, 4, 3, 3, 0), MONTERREY) == utc(2022, 4, 3, 8)  # 03:00 CDT (UTC−5)
    assert end_instant(date(2022, 4, 3), MONTERREY) == utc(2022, 4, 4, 5)  # next midnight is CDT
    assert end_instant(date(2022, 4, 3), MONTERREY) - start_instant(date(2022, 4, 3), MONTERREY) == timedelta(hours=23)


def test_durango_campaign_starts_on_the_dst_day(durango: Calendar) -> None:
    r = resolved(durango, "campana-gubernatura")
    assert r.start == utc(2022, 4, 3, 6)
    assert r.end == utc(2022, 6, 2, 5)  # 1 Jun 24:00 CDT
    assert format_local(r.start, MONTERREY) == "2022-04-03 00:00 CST"
    assert format_local(r.end, MONTERREY, is_end=True) == "2022-06-01 24:00 CDT"


def test_skipped_local_time_is_rejected_with_its_name() -> None:
    with pytest.raises(LocalTimeError, match=r"2022-04-03 02:30 no existe en America/Monterrey"):
        local_to_utc(datetime(2022, 4, 3, 2, 30), MONTERREY)
    with pytest.raises(LocalTimeError, match="no existe"):
        start_instant(datetime(2022, 4, 3, 2, 0), MONTERREY)
    with pytest.raises(LocalTimeError, match="no existe"):
        end_instant(datetime(2022, 4, 3, 2, 59), MONTERREY)


def test_repeated_local_time_is_rejected_as_ambiguous() -> None:
    with pytest.raises(LocalTimeError, match=r"2022-10-30 01:30 ocurre dos veces en America/Monterrey"):
        local_to_utc(datetime(2022, 10, 30, 1, 30), MONTERREY)
    with pytest.raises(LocalTimeError, match="dos veces"):
        end_instant(datetime(2022, 10, 30, 1, 0), MONTERREY)
    # Just outside the repeated hour both sides are unique.
    assert local_to_utc(datetime(2022, 10, 30, 0, 59), MONTERREY) == utc(2022, 10, 30, 5, 59)
    assert local_to_utc(datetime(2022, 10, 30, 2, 0), MONTERREY) == utc(2022, 10, 30, 8, 0)


def test_cancun_is_utc_minus_5_all_year_without_gaps_or_repeats() -> None:
    for month in range(1, 13):
        assert datetime(2022, month, 15, 12, tzinfo=CANCUN).utcoffset() == timedelta(hours=-5)
    assert local_to_utc(datetime(2022, 4, 3, 2, 30), CANCUN) == utc(2022, 4, 3, 7, 30)
    assert local_to_utc(datetime(2022, 10, 30, 1, 30), CANCUN) == utc(2022, 10, 30, 6, 30)
    assert end_instant(date(2022, 4, 3), CANCUN) - start_instant(date(2022, 4, 3), CANCUN) == timedelta(hours=24)


def test_mexico_ended_dst_after_2022_but_not_in_the_border_strip() -> None:
    summer_2022, summer_2023 = datetime(2022, 7, 1, 12), datetime(2023, 7, 1, 12)
    assert summer_2022.replace(tzinfo=MONTERREY).utcoffset() == timedelta(hours=-5)
    assert summer_2023.replace(tzinfo=MONTERREY).utcoffset() == timedelta(hours=-6)
    assert summer_2023.replace(tzinfo=MATAMOROS).utcoffset() == timedelta(hours=-5)
    # Matamoros follows the US dates (2nd Sunday of March); Monterrey has no gap in 2023.
    with pytest.raises(LocalTimeError, match="America/Matamoros"):
        local_to_utc(datetime(2023, 3, 12, 2, 30), MATAMOROS)
    assert local_to_utc(datetime(2023, 3, 12, 2, 30), MONTERREY) == utc(2023, 3, 12, 8, 30)
    assert local_to_utc(datetime(2023, 4, 2, 2, 30), MONTERREY) == utc(2023, 4, 2, 8, 30)
    with pytest.raises(LocalTimeError, match="dos veces"):
        local_to_utc(datetime(2023, 11, 5, 1, 30), MATAMOROS)


def test_day_whose_midnight_was_skipped_starts_at_the_change() -> None:
    santiago = ZoneInfo("America/Santiago")  # 11 Sep 2022: 00:00 → 01:00
    with pytest.raises(LocalTimeError):
        local_to_utc(datetime(2022, 9, 11), santiago)
    assert day_start_utc(date(2022, 9, 11), santiago) == utc(2022, 9, 11, 4)
    assert start_instant(date(2022, 9, 11), santiago) == utc(2022, 9, 11, 4)


# --- display ----------------------------------------------------------------------------------------------------


def test_format_local_prints_exclusive_midnight_end_as_24h_of_previous_day() -> None:
    end = utc(2022, 2, 11, 6)
    assert format_local(end, MONTERREY, is_end=True) == "2022-02-10 24:00 CST"
    assert format_local(end, MONTERREY) == "2022-02-11 00:00 CST"
    assert format_local(utc(2022, 2, 11, 5), CANCUN, is_end=True) == "2022-02-10 24:00 EST"
    assert format_local(utc(2022, 3, 18, 23), CANCUN, is_end=True) == "2022-03-18 18:00 EST"
    assert format_local(utc(2022, 4, 4, 5), MONTERREY, is_end=True) == "2022-04-03 24:00 CDT"


def test_synthetic_calendar_resolves_in_cancun(synthetic: Calendar) -> None:
    assert synthetic.tz.key == "America/Cancun"
    assert resolved(synthetic, "convocatoria").start == utc(2022, 1, 7, 15)
    assert resolved(synthetic, "manifestacion-intencion").end == utc(2022, 1, 17, 23)
    capture = resolved(synthetic, "captacion-gubernatura")
    assert capture.end == utc(2022, 2, 11, 5)  # an hour before Durango's
    assert capture.state(utc(2022, 2, 11, 4, 59, 59)) is PhaseState.abierta
    assert capture.state(utc(2022, 2, 11, 5)) is PhaseState.cerrada
    assert resolved(synthetic, "campana").start == utc(2022, 4, 3, 5)  # no DST on 3 Apr


def test_synthetic_per_aspirante_window(synthetic: Calendar) -> None:
    phase = synthetic.phase("captacion-diputaciones")
    assert phase.kind is PhaseKind.captacion_apoyo
    assert phase.window_from_constancia is True
    assert phase.window_days == 30
    assert phase.cargos == ["diputacion"]
    assert phase.applies_to("diputacion") and not phase.applies_to("gubernatura")


# --- clocks -----------------------------------------------------------------------------------------------------


def test_parse_instant_accepts_z_and_offsets_and_returns_utc() -> None:
    assert parse_instant("2022-02-11T06:00:00Z") == utc(2022, 2, 11, 6)
    assert parse_instant(" 2022-02-11t06:00:00z ") == utc(2022, 2, 11, 6)
    instant = parse_instant("2022-02-11T00:00:00-06:00")
    assert instant == utc(2022, 2, 11, 6)
    assert instant.tzinfo is UTC


@pytest.mark.parametrize("text", ["2022-02-11T06:00:00", "2022-02-11"])
def test_parse_instant_refuses_naive(text: str) -> None:
    with pytest.raises(ValueError, match="no indica zona horaria"):
        parse_instant(text)


def test_parse_instant_refuses_garbage_in_spanish() -> None:
    with pytest.raises(ValueError, match="no es un instante ISO 8601"):
        parse_instant("mañana")


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_fixed_clock_stands_still_until_moved() -> None:
    clock = FixedClock(datetime(2022, 2, 10, 23, 59, 59, tzinfo=timezone(timedelta(hours=-6))))
    assert clock.now() == utc(2022, 2, 11, 5, 59, 59)
    assert clock.now().tzinfo is UTC
    assert clock.now() == clock.now()
    clock.advance(timedelta(seconds=1))
    assert clock.now() == utc(2022, 2, 11, 6)
    clock.set(utc(2022, 1, 1))
    assert clock.now() == utc(2022, 1, 1)
    assert "2022-01-01" in clock.describe()
    with pytest.raises(ValueError):
        FixedClock(datetime(2022, 1, 1))


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_held_accelerated_clock_stands_still_until_released() -> None:
    mono = FakeMonotonic()
    clock = AcceleratedClock(utc(2022, 2, 10, 23), 60, held=True, _monotonic=mono)
    released: list[bool] = []
    clock.subscribe(lambda: released.append(True))
    mono.t += 100
    assert clock.now() == utc(2022, 2, 10, 23)  # time spent starting up is not the clock's
    assert clock.to_real(utc(2022, 2, 11)) is None  # it will not get there while held
    clock.release()
    assert released == [True]
    mono.t += 10
    assert clock.now() == utc(2022, 2, 10, 23, 10)
    clock.release()  # once
    assert released == [True]


def test_accelerated_clock_runs_speed_times_faster() -> None:
    mono = FakeMonotonic()
    start = datetime(2022, 2, 10, 23, 0, tzinfo=timezone(timedelta(hours=-6)))
    clock = AcceleratedClock(start, 3600, _monotonic=mono)
    assert clock.now() == utc(2022, 2, 11, 5)
    mono.t += 1.0  # one real second is an hour of clock time
    assert clock.now() == utc(2022, 2, 11, 6)
    mono.t += 0.5
    assert clock.now() == utc(2022, 2, 11, 6, 30)
    assert "3600" in clock.describe()


def test_accelerated_clock_skips_forward_never_back() -> None:
    mono = FakeMonotonic()
    clock = AcceleratedClock(utc(2021, 11, 1), 60, _monotonic=mono)
    moves: list[datetime] = []
    clock.subscribe(lambda: moves.append(clock.now()))
    mono.t += 10
    clock.advance_to(utc(2022, 2, 10, 23))
    assert moves == [utc(2022, 2, 10, 23)]  # listeners see the new instant (the scheduler re-plans at it)
    mono.t += 1
    assert clock.now() == utc(2022, 2, 10, 23, 1)  # and it runs on at the same speed
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance_to(utc(2022, 2, 10, 23))
    assert clock.now() == utc(2022, 2, 10, 23, 1) and len(moves) == 1
    held = AcceleratedClock(utc(2021, 11, 1), 60, held=True, _monotonic=mono)
    held.advance_to(utc(2021, 12, 1))
    mono.t += 5
    assert held.now() == utc(2021, 12, 1)  # a held clock stays held where it was moved to


def test_accelerated_clock_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        AcceleratedClock(datetime(2022, 1, 1), 60)
    with pytest.raises(ValueError):
        AcceleratedClock(utc(2022, 1, 1), 0)
