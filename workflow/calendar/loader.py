"""Load a calendar file and report every problem at once, each with its line and column."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from .checks import Parts, check
from .messages import spanish
from .model import Calendar, Cargo, Phase, Process, Territory
from .source import Problem, SourceMap, read_yaml


class CalendarError(Exception):
    """A calendar with problems. ``problems`` holds all of them, sorted by position."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedCalendar:
    """A valid calendar together with the exact text it came from."""

    calendar: Calendar
    text: str
    file: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def _errors(model: type[BaseModel], data: Any, prefix: tuple, source: SourceMap) -> list[Problem]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path = (*prefix, *err["loc"])
            at_key = err["type"] == "extra_forbidden"
            if err["type"] == "missing":  # point at the mapping that lacks the key
                path = path[:-1]
            problems.append(source.problem(path, spanish(err, Calendar), at_key=at_key))
        return problems
    return []


def _valid(model: type[BaseModel], data: Any) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def parse_calendar(text: str, file: str = "<calendario>") -> LoadedCalendar:
    """Validate calendar text; raise ``CalendarError`` listing every problem found."""
    data, source, problems = read_yaml(text, file)
    if data is None and problems:
        raise CalendarError(problems)
    if not isinstance(data, dict):
        raise CalendarError(
            [source.problem((), "el calendario debe ser un mapa con process, territory, cargos y phases")]
        )
    problems += _errors(Calendar, data, (), source)
    # Cross-checks run on every piece that is valid by itself, so one broken piece hides nothing else.
    parts = Parts(
        process=_valid(Process, data.get("process")),
        territory=_valid(Territory, data.get("territory")),
    )
    for key, model, bucket in (("cargos", Cargo, parts.cargos), ("phases", Phase, parts.phases)):
        items = data.get(key)
        if isinstance(items, list):
            for i, item in enumerate(items):
                valid = _valid(model, item)
                if valid is not None:
                    bucket.append((i, valid))
    problems += [source.problem(path, message) for path, message in check(parts)]
    if problems:
        raise CalendarError(problems)
    return LoadedCalendar(Calendar.model_validate(data), text, file)


def load_calendar(path: str | FsPath) -> LoadedCalendar:
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError([Problem(str(path), 1, 1, "el archivo no existe")]) from None
    except UnicodeDecodeError as exc:
        raise CalendarError([Problem(str(path), 1, 1, f"el archivo no está en UTF-8 ({exc.reason})")]) from None
    return parse_calendar(text, str(path))
