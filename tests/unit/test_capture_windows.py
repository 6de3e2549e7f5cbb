"""Capture windows by cargo, by municipal group and from each aspirante's constancia; the acceptance rule."""

from datetime import date, timedelta

from tests.helpers import utc
from workflow.calendar.model import Calendar
from workflow.captures.windows import decide, window_for
from workflow.errors import ErrorKind


def test_windows_by_cargo(durango: Calendar) -> None:
    gub = window_for(durango, "gubernatura", "10", date(2021, 12, 20))
    ayto = window_for(durango, "ayuntamiento", "10005", date(2021, 12, 20))
    assert (gub.start, gub.end, gub.grace) == (utc("2022-01-02T06:00Z"), utc("2022-02-11T06:00Z"), timedelta(hours=24))
    assert (ayto.start, ayto.end) == (utc("2022-01-12T06:00Z"), utc("2022-02-11T06:00Z"))


def test_window_from_each_constancia_lasts_window_days_within_the_phase(synthetic: Calendar) -> None:
    # Quintana Roo (synthetic, America/Cancun, UTC-5): the phase runs 20 Jan–5 Mar 2022, 30 days per aspirante.
    early = window_for(synthetic, "diputacion", "01", date(2022, 1, 10))  # constancia before the phase opened
    mid = window_for(synthetic, "diputacion", "01", date(2022, 2, 1))
    late = window_for(synthetic, "diputacion", "01", date(2022, 2, 20))  # 30 days would pass the phase's end
    assert early.start == utc("2022-01-20T05:00Z") and early.end == utc("2022-02-19T05:00Z")  # 30 days from opening
    assert mid.start == utc("2022-02-01T05:00Z") and mid.end == utc("2022-03-03T05:00Z")
    assert late.start == utc("2022-02-20T05:00Z") and late.end == utc("2022-03-06T05:00Z")
    assert mid.grace == timedelta(hours=12)


def test_decisions_at_the_edges(durango: Calendar) -> None:
    w = window_for(durango, "gubernatura", "10", date(2021, 12, 20))
    tz = durango.tz
    close = utc("2022-02-11T06:00Z")
    second = timedelta(seconds=1)
    assert decide(w, close - second, close - second, tz).accepted
    shut = decide(w, close, close, tz)
    assert not shut.accepted and shut.kind is ErrorKind.conflict and "cerró el 2022-02-10 24:00 CST" in shut.reason
    late = decide(w, close - second, close + timedelta(hours=24) - second, tz)
    assert late.accepted and late.late
    expired = decide(w, close - second, close + timedelta(hours=24), tz)
    assert not expired.accepted and "venció el 2022-02-11 24:00 CST" in expired.reason
    early = decide(w, utc("2022-01-02T05:59:59Z"), utc("2022-01-02T06:00:01Z"), tz)
    assert not early.accepted and early.kind is ErrorKind.invalid and "antes de que abriera" in early.reason
    future = decide(w, utc("2022-01-20T12:06:00Z"), utc("2022-01-20T12:00:00Z"), tz)
    assert not future.accepted and future.kind is ErrorKind.invalid and "en el futuro" in future.reason
    skew_ok = decide(w, utc("2022-01-20T12:04:00Z"), utc("2022-01-20T12:00:00Z"), tz)
    assert skew_ok.accepted
    assert "no prevé periodo" in decide(None, close, close, tz).reason


def test_windows_by_municipal_group(durango_path) -> None:
    from workflow.calendar.loader import parse_calendar

    text = durango_path.read_text()
    # Small municipios (group 3) get a shorter window, as Aguascalientes 2024 did.
    old = "  - id: captacion-ayuntamientos\n"
    extra = (
        "  - id: captacion-ayuntamientos-grupo-3\n    name: Captación (Ayuntamientos del grupo 3)\n"
        "    kind: captacion_apoyo\n    cargos: [ayuntamiento]\n    groups: [3]\n"
        "    start: 2022-01-12\n    end: 2022-02-05\n\n"
    )
    text = text.replace(old, extra + old).replace(
        "    cargos: [ayuntamiento]\n    start: 2022-01-12\n    end: 2022-02-10\n",
        "    cargos: [ayuntamiento]\n    groups: [1, 2]\n    start: 2022-01-12\n    end: 2022-02-10\n",
    )
    cal = parse_calendar(text).calendar
    canelas = window_for(cal, "ayuntamiento", "10002", date(2021, 12, 20))  # group 3
    durango_city = window_for(cal, "ayuntamiento", "10005", date(2021, 12, 20))  # group 1
    assert canelas.phase.id == "captacion-ayuntamientos-grupo-3" and canelas.end == utc("2022-02-06T06:00Z")
    assert durango_city.phase.id == "captacion-ayuntamientos" and durango_city.end == utc("2022-02-11T06:00Z")
