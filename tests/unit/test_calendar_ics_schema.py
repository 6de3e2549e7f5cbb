"""iCalendar export and the JSON Schema of calendar files."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import icalendar
import jsonschema
import pytest
from ruamel.yaml import YAML

from workflow.calendar.ics import to_ics
from workflow.calendar.model import Calendar
from workflow.calendar.schema import SCHEMA_ID, calendar_json_schema, calendar_json_schema_text
from workflow.calendar.timeline import timeline

STAMP = datetime(2022, 1, 1, tzinfo=UTC)


# --- iCalendar ----------------------------------------------------------------------------------------------------


def parse(cal: Calendar, stamp: datetime = STAMP) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(to_ics(cal, stamp))


@pytest.mark.parametrize("which", ["durango", "synthetic"])
def test_ics_round_trips_one_event_per_phase_at_the_timeline_instants(
    which: str, request: pytest.FixtureRequest
) -> None:
    cal: Calendar = request.getfixturevalue(which)
    parsed = parse(cal)
    events = parsed.walk("VEVENT")
    resolved = timeline(cal)
    assert len(events) == len(cal.phases) == len(resolved)
    assert [str(e["UID"]) for e in events] == [f"{r.phase.id}@{cal.process.id}.convoca" for r in resolved]
    for event, r in zip(events, resolved, strict=True):
        assert str(event["SUMMARY"]) == r.phase.name
        for prop, instant in (("DTSTART", r.start), ("DTEND", r.end)):
            value = event[prop]
            assert value.params["TZID"] == cal.process.timezone
            assert isinstance(value.dt, datetime)  # exact times, never all-day dates
            assert value.dt.tzinfo is not None
            assert value.dt == instant
        assert event["DTSTAMP"].dt == STAMP
        assert event.get("CATEGORIES").cats == [r.phase.kind.value]


@pytest.mark.parametrize("which", ["durango", "synthetic"])
def test_ics_vtimezone_agrees_with_zoneinfo(which: str, request: pytest.FixtureRequest) -> None:
    cal: Calendar = request.getfixturevalue(which)
    parsed = parse(cal)
    (vtz,) = parsed.walk("VTIMEZONE")
    assert str(vtz["TZID"]) == cal.process.timezone
    assert str(parsed["X-WR-TIMEZONE"]) == cal.process.timezone
    # Resolve each event's wall-clock time with the VTIMEZONE's own rules, not the host's zone database.
    own = vtz.to_tz(lookup_tzid=False)
    for event, r in zip(parsed.walk("VEVENT"), timeline(cal), strict=True):
        for prop, instant in (("DTSTART", r.start), ("DTEND", r.end)):
            wall = event[prop].dt.replace(tzinfo=None)
            assert wall.replace(tzinfo=own).astimezone(UTC) == instant


def test_ics_durango_details(durango: Calendar) -> None:
    raw = to_ics(durango, STAMP).decode()
    # A capture that ends on 10 Feb closes at local midnight of the 11th (06:00Z), not at 23:59 of the 10th.
    assert "DTEND;TZID=America/Monterrey:20220211T000000" in raw
    events = {str(e["UID"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(raw).walk("VEVENT")}
    assert events["captacion-gubernatura"]["DTEND"].dt == datetime(2022, 2, 11, 6, tzinfo=UTC)
    assert "Cargos: Gubernatura" in str(events["captacion-gubernatura"]["DESCRIPTION"])
    assert "Grupos municipales: 2" in str(events["campana-ayuntamientos-grupo-2"]["DESCRIPTION"])
    assert "IEPC" in str(icalendar.Calendar.from_ical(raw)["X-WR-CALNAME"])


def test_ics_dtstamp_is_utc_whatever_the_stamp_zone(durango: Calendar) -> None:
    stamp = datetime(2022, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=-6)))
    raw = to_ics(durango, stamp).decode()
    assert "DTSTAMP:20220101T060000Z" in raw
    assert "DTSTAMP;" not in raw


# --- JSON Schema ------------------------------------------------------------------------------------------------


def as_json_data(path: Path) -> Any:
    """The YAML as JSON would carry it: dates and datetimes become ISO strings."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        if isinstance(value, date):  # datetime is a date too
            return value.isoformat()
        return value

    return convert(YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def validator(root: Path) -> jsonschema.Draft202012Validator:
    schema = json.loads((root / "calendars" / "calendar.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_shipped_schema_file_is_the_generated_one(root: Path) -> None:
    text = (root / "calendars" / "calendar.schema.json").read_text(encoding="utf-8")
    assert text == calendar_json_schema_text(), (
        "regenerate with: convoca calendar schema -o calendars/calendar.schema.json"
    )
    schema = calendar_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    assert set(schema["required"]) == {"process", "territory", "cargos", "phases"}


@pytest.mark.parametrize("which", ["durango_path", "synthetic_path"])
def test_schema_accepts_the_calendars(
    which: str, request: pytest.FixtureRequest, validator: jsonschema.Draft202012Validator
) -> None:
    data = as_json_data(request.getfixturevalue(which))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert errors == []


def _set(data: Any, path: tuple, value: Any) -> None:
    *parents, last = path
    for key in parents:
        data = data[key]
    data[last] = value


def _drop(data: Any, path: tuple) -> None:
    *parents, last = path
    for key in parents:
        data = data[key]
    del data[last]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: _set(d, ("phases", 3, "ends"), "2022-02-10"), ["phases", 3]),  # unknown key
        (lambda d: _set(d, ("phases", 3, "kind"), "captacion"), ["phases", 3, "kind"]),  # wrong kind
        (lambda d: _set(d, ("phases", 3, "end"), "2022-02-10T23:59Z"), ["phases", 3, "end"]),  # offset
        (lambda d: _set(d, ("phases", 3, "on_start"), ["abrir"]), ["phases", 3, "on_start", 0]),  # unknown action
        (lambda d: _set(d, ("cargos", 0, "demarcacion"), "region"), ["cargos", 0, "demarcacion"]),
        (lambda d: _set(d, ("cargos", 0, "threshold", "base"), "censo"), ["cargos", 0, "threshold", "base"]),
        (lambda d: _set(d, ("territory", "municipios", 0, "lista_nominal"), -1), ["territory", "municipios", 0]),
        (lambda d: _set(d, ("process", "id"), "Durango 2022"), ["process", "id"]),
        (lambda d: _drop(d, ("process", "timezone")), ["process"]),
        (lambda d: _set(d, ("extra",), True), []),
    ],
    ids=[
        "unknown-key",
        "wrong-kind",
        "offset",
        "unknown-action",
        "demarcacion",
        "base",
        "negative",
        "slug",
        "missing",
        "top-level-key",
    ],
)
def test_schema_rejects_broken_calendars(
    change: Any, where: list, durango_path: Path, validator: jsonschema.Draft202012Validator
) -> None:
    data = as_json_data(durango_path)
    assert not list(validator.iter_errors(data))
    broken = copy.deepcopy(data)
    change(broken)
    errors = list(validator.iter_errors(broken))
    assert errors
    assert any(list(e.absolute_path)[: len(where)] == where for e in errors), [
        (list(e.absolute_path), e.message) for e in errors
    ]


@pytest.mark.parametrize("which", ["durango_path", "synthetic_path"])
def test_calendar_files_point_editors_at_the_schema(which: str, request: pytest.FixtureRequest, root: Path) -> None:
    path: Path = request.getfixturevalue(which)
    first = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    target = (path.parent / first.removeprefix(prefix)).resolve()
    assert target == root / "calendars" / "calendar.schema.json"
