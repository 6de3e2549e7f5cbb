"""Load a calendar file and report every problem at once, each with its line and column."""

from __future__ import annotations

import contextlib
import functools
import hashlib
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from workflow.errors import Detail, DomainError, ErrorKind

from .checks import Parts, check
from .messages import spanish
from .model import Calendar, Cargo, District, Group, Municipio, Phase, Process, Territory
from .pending import Pending, pending, quota_warnings
from .required import gaps
from .source import Problem, SourceMap, read_yaml


class CalendarError(DomainError):
    """A calendar with problems. ``problems`` holds all of them, sorted by position."""

    def __init__(self, problems: list[Problem], kind: ErrorKind = ErrorKind.invalid) -> None:
        self.problems = sorted(set(problems))
        n = len(self.problems)
        super().__init__(
            kind,
            f"el calendario no se modificó: tiene {n} problema{'s' if n != 1 else ''}",
            details=[Detail(p.message, line=p.line, column=p.column) for p in self.problems],
        )

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@dataclass(frozen=True)
class LoadedCalendar:
    """A valid calendar together with the exact text it came from."""

    calendar: Calendar
    text: str
    file: str
    source: SourceMap | None = field(default=None, compare=False, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def _problems(self, found: list[Pending]) -> list[Problem]:
        source = self.source or SourceMap(self.file)
        return sorted({source.problem(p.path, p.message) for p in found})

    def warnings(self) -> list[Problem]:
        """What validates but deserves a look: published quotas far from the computed ones."""
        return self._problems(quota_warnings(self.calendar))

    def pending(self) -> list[Problem]:
        """Every value not yet confirmed (``calendar validate --strict``), with its line."""
        return self._problems(pending(self.calendar))

    def document_gaps(self) -> list[Problem]:
        """Every item the documents need that the calendar does not give (``calendar validate --strict``), at the
        key of the section it belongs in (``documents:``), or where it is if partly given (a cargo missing)."""
        source = self.source or SourceMap(self.file)
        found = []
        for g in gaps(self.calendar):
            path = next(g.path[:end] for end in range(len(g.path), -1, -1) if g.path[:end] in source.values)
            found.append(source.problem(path, g.strict_message, at_key=path != g.path))
        return sorted(found)


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
            field = (err.get("ctx") or {}).get("field")
            if isinstance(field, str):  # a rule on the whole item that names the key at fault
                path, at_key = (*path, field), True
            problems.append(source.problem(path, spanish(err, Calendar), at_key=at_key))
        return problems
    return []


@functools.cache
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter:
    info = model.model_fields[name]
    annotated: Any = Annotated[info.annotation, info]  # a type built at run time, which mypy cannot follow
    return TypeAdapter(annotated)


def _valid_fields(model: type[BaseModel], data: Any) -> dict[str, Any]:
    """The fields of ``data`` that are valid on their own, validated; the rest are left out."""
    fields: dict[str, Any] = {}
    if isinstance(data, dict):
        for name in model.model_fields:
            if name in data:
                with contextlib.suppress(ValidationError):
                    fields[name] = _field_adapter(model, name).validate_python(data[name])
    return fields


def _salvage(model: type[BaseModel], data: Any) -> Any:
    """``data`` as a ``model`` for the cross-checks. An item with errors is still built from its valid fields when
    every required one is among them (its own errors are already reported), so that, say, a misspelled key in a
    phase does not hide that the phase is out of order. None when a required field is missing or broken."""
    try:
        return model.model_validate(data)
    except ValidationError:
        pass
    fields = _valid_fields(model, data)
    if any(info.is_required() and name not in fields for name, info in model.model_fields.items()):
        return None
    return model.model_construct(**fields)


def _items(model: type[BaseModel], items: Any) -> list[tuple[int, Any]]:
    if not isinstance(items, list):
        return []
    return [(i, valid) for i, item in enumerate(items) if (valid := _salvage(model, item)) is not None]


def _ids(items: Any) -> list[Any] | None:
    """Ids a list declares, whether or not the rest of each item is valid."""
    if not isinstance(items, list):
        return None
    return [item["id"] for item in items if isinstance(item, dict) and item.get("id") is not None]


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
    territory = data.get("territory")
    territory = territory if isinstance(territory, dict) else None
    parts = Parts(
        process=_valid_fields(Process, data.get("process")),
        territory=_salvage(Territory, territory),
        groups=_items(Group, territory and territory.get("groups")),
        municipios=_items(Municipio, territory and territory.get("municipios")),
        districts=_items(District, territory and territory.get("districts")),
        cargos=_items(Cargo, data.get("cargos")),
        phases=_items(Phase, data.get("phases")),
        cargo_ids=_ids(data.get("cargos")),
        # Both lists are optional: a territory without them declares none.
        group_ids=_ids(territory.get("groups", [])) if territory is not None else None,
        district_ids=_ids(territory.get("districts", [])) if territory is not None else None,
    )
    problems += [source.problem(path, message) for path, message in check(parts)]
    if problems:
        raise CalendarError(problems)
    return LoadedCalendar(Calendar.model_validate(data), text, file, source)


def load_calendar(path: str | FsPath) -> LoadedCalendar:
    path = FsPath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalendarError([Problem(str(path), 1, 1, "el archivo no existe")]) from None
    except UnicodeDecodeError as exc:
        raise CalendarError([Problem(str(path), 1, 1, f"el archivo no está en UTF-8 ({exc.reason})")]) from None
    loaded = parse_calendar(text, str(path))
    missing = _missing_assets(loaded, path.parent)
    if missing:
        raise CalendarError(missing)
    return loaded


def _missing_assets(loaded: LoadedCalendar, folder: FsPath) -> list[Problem]:
    """A logo or templates folder the calendar names must be beside it: otherwise the documents would silently go
    without them."""
    cal, source = loaded.calendar, loaded.source or SourceMap(loaded.file)
    named = [
        (("process", "ople", "logo"), cal.process.ople.logo, FsPath.is_file, "el logotipo", "el archivo"),
        (("documents", "templates"), cal.documents.templates, FsPath.is_dir, "la carpeta de plantillas", "la carpeta"),
    ]
    return [
        source.problem(
            key, f"{what} «{relative}» no existe en la carpeta del calendario; corrija la ruta o agregue {fix}"
        )
        for key, relative, exists, what, fix in named
        if relative and not exists(folder / relative)
    ]
