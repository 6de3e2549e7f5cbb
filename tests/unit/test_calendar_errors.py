"""Validation that teaches: every broken calendar under ``tests/data/calendars/broken`` reports exactly the problems its
``# expect: LINE:COLUMN: texto`` header announces, each at that line and column and in Spanish.

Each broken file is ``minimal.yaml`` with one kind of defect (``many-problems.yaml``: many at once), so a count that
does not match means a problem was hidden by another, or one defect was reported twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from convoca.cli import main
from workflow.calendar.loader import CalendarError, load_calendar, parse_calendar
from workflow.calendar.source import Problem

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "calendars"
BROKEN = sorted((DATA / "broken").glob("*.yaml"))
VALID = [DATA / "minimal.yaml", ROOT / "calendars" / "durango-2021-2022.yaml"]
EXPECT = re.compile(r"^# expect: (\d+):(\d+): (.+)$")
# pydantic's and the YAML parser's English, which must never reach a calendar editor.
ENGLISH = (
    "Field required",
    "Input should",
    "Extra inputs",
    "Value error",
    "String should",
    "should be",
    "expected",
    "not allowed",
    "found",
    "Unknown",
)


def _expected(path: Path) -> list[tuple[int, int, str]]:
    return [(int(m[1]), int(m[2]), m[3]) for line in path.read_text().splitlines() if (m := EXPECT.match(line))]


def _problems(path: Path) -> list[Problem]:
    with pytest.raises(CalendarError) as info:
        load_calendar(path)
    return info.value.problems


def _ids(path: Path) -> str:
    return path.stem


def test_corpus_has_at_least_20_broken_calendars() -> None:
    assert len(BROKEN) >= 20


@pytest.mark.parametrize("path", BROKEN, ids=_ids)
def test_reports_exactly_the_expected_problems_at_their_line_and_column(path: Path) -> None:
    expected = _expected(path)
    assert expected, f"{path.name} announces no '# expect:' lines"
    problems = _problems(path)
    shown = "\n".join(f"{p.line}:{p.column}: {p.message}" for p in problems)
    assert len(problems) == len(expected), f"{len(expected)} expected, {len(problems)} reported:\n{shown}"
    unmatched = list(problems)
    for line, column, text in expected:
        hit = next((p for p in unmatched if (p.line, p.column) == (line, column) and text in p.message), None)
        assert hit is not None, f"no problem at {line}:{column} containing «{text}»; reported:\n{shown}"
        unmatched.remove(hit)
    assert {p.file for p in problems} == {str(path)}


@pytest.mark.parametrize("path", BROKEN, ids=_ids)
def test_messages_are_spanish(path: Path) -> None:
    for p in _problems(path):
        assert not any(phrase in p.message for phrase in ENGLISH), str(p)
        assert str(p) == f"{path}:{p.line}:{p.column}: {p.message}"


@pytest.mark.parametrize("path", VALID, ids=_ids)
def test_valid_calendars_load_without_problems(path: Path) -> None:
    loaded = load_calendar(path)
    assert loaded.calendar.phases and loaded.calendar.cargos


def test_missing_file_is_one_problem() -> None:
    problems = _problems(DATA / "no-existe.yaml")
    assert [(p.line, p.column, p.message) for p in problems] == [(1, 1, "el archivo no existe")]


def test_cli_validate_prints_every_problem_as_file_line_column_and_exits_1() -> None:
    path = DATA / "broken" / "many-problems.yaml"
    result = CliRunner().invoke(main, ["calendar", "validate", str(path)])
    assert result.exit_code == 1
    located = [line for line in result.stderr.splitlines() if re.match(rf"{re.escape(str(path))}:\d+:\d+: \S", line)]
    assert len(located) == len(_expected(path)), result.stderr
    assert located == [str(p) for p in _problems(path)]
    assert result.stdout == ""


def test_cli_validate_exits_0_for_valid_calendars() -> None:
    result = CliRunner().invoke(main, ["calendar", "validate", *map(str, VALID)])
    assert result.exit_code == 0, result.output
    # Only warnings (Durango's published quotas differ from the computed ones), never problems.
    assert all(": aviso: " in line for line in result.stderr.splitlines())
    assert result.stdout.count("válido") == len(VALID)


def test_cli_validate_exits_1_when_any_file_is_broken() -> None:
    broken = DATA / "broken" / "dst-gap.yaml"
    result = CliRunner().invoke(main, ["calendar", "validate", str(VALID[0]), str(broken)])
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(str(broken))}:\d+:\d+: la hora local", result.stderr, re.M)


# Each level repeats the previous one ten times: a few lines that would expand to a million nodes.
ALIAS_BOMB = (
    "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
    + "".join(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]\n" for prev, name in zip("abcd", "bcde", strict=True))
    + "f: [*e, *e, *e, *e, *e]\n"
)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("process: \x07", "carácter de control no permitido (U+0007)"),
        ("process: \x00", "carácter de control no permitido (U+0000)"),
        ("[" * 5000, "anidado en exceso"),
        ("a: &x [*x]", "repetido en exceso"),
        (ALIAS_BOMB, "repetido en exceso"),
    ],
)
def test_hostile_yaml_is_an_error_in_the_file_not_a_crash(text: str, fragment: str) -> None:
    with pytest.raises(CalendarError) as exc:
        parse_calendar(text, "hostil.yaml")
    assert fragment in exc.value.problems[0].message


@pytest.mark.parametrize("path", ["../../var/captures", "/etc", "plantillas/../../x", "C:\\\\plantillas"])
def test_template_and_logo_paths_cannot_leave_the_calendars_folder(durango_path: Path, path: str) -> None:
    text = durango_path.read_text()
    text = text.replace("documents:\n", f"documents:\n  templates: '{path}'\n")
    text = text.replace("    acronym: IEPC\n", f"    acronym: IEPC\n    logo: '{path}'\n")
    with pytest.raises(CalendarError) as exc:
        parse_calendar(text, "d.yaml")
    assert len(exc.value.problems) == 2
    assert all("ruta relativa dentro de la carpeta de calendarios" in p.message for p in exc.value.problems)
