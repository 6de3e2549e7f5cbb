"""Values a calendar states without an official source behind them, marked in the YAML itself.

Any mapping of a calendar (a phase, a signatory, a dispersion rule, a municipio, the review rules…) may carry
``unconfirmed``: ``true`` when the whole element is unconfirmed, or the list of its keys that are
(``unconfirmed: [start, end]``). ``calendar validate --strict`` lists every one; a document rendered from a calendar
with unconfirmed values is a PROYECTO, highlights them, and is not published unless an administrator forces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from .source import Path

UNCONFIRMED = "unconfirmed"


class Confirmable(BaseModel):
    """A mapping of the calendar that may say which of its values are unconfirmed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    unconfirmed: bool | list[Annotated[str, Field(min_length=1)]] = Field(
        default=False,
        description="Valores sin confirmar por una fuente oficial: «true» si todo este elemento lo está, o la lista de "
        "sus claves sin confirmar, p. ej. «[start, end]». Los documentos se marcan como PROYECTO mientras haya alguno.",
    )

    @model_validator(mode="after")
    def _known_keys(self) -> Confirmable:
        if isinstance(self.unconfirmed, list):
            own = [name for name in type(self).model_fields if name != UNCONFIRMED]
            for name in self.unconfirmed:
                if name not in own:
                    raise PydanticCustomError(
                        "unconfirmed_key",
                        "«unconfirmed» menciona «{name}», que no es una clave de este elemento; claves: {keys}",
                        {"name": name, "keys": ", ".join(own), "field": UNCONFIRMED},
                    )
        return self

    def is_unconfirmed(self, name: str | None = None) -> bool:
        """Is the whole element unconfirmed (``name`` None: any of it), or its key ``name``?"""
        if self.unconfirmed is True:
            return True
        if name is None:
            return bool(self.unconfirmed)
        return isinstance(self.unconfirmed, list) and name in self.unconfirmed


def legacy_assumed_schema(schema: dict[str, Any]) -> None:
    """Editors keep accepting the older ``assumed`` key (``json_schema_extra`` of the models that had it)."""
    schema.setdefault("properties", {})["assumed"] = {
        "type": "boolean",
        "deprecated": True,
        "description": "Forma anterior de «unconfirmed: true»; se sigue aceptando.",
    }


def legacy_assumed(data: Any) -> Any:
    """``assumed: true`` (the older spelling on dispersion and review rules) is ``unconfirmed: true``."""
    if isinstance(data, dict) and "assumed" in data:
        data = dict(data)
        assumed = data.pop("assumed")
        if assumed is True and not data.get(UNCONFIRMED):
            data[UNCONFIRMED] = True
        elif not isinstance(assumed, bool):
            data["assumed"] = assumed  # let the model report the type
    return data


@dataclass(frozen=True)
class UnconfirmedValue:
    """One unconfirmed value: where it is in the file, a readable name and the value as written."""

    path: Path
    where: str
    value: str


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        fields = value.model_dump(mode="json", exclude={UNCONFIRMED}, exclude_none=True)
        return ", ".join(f"{k}: {v}" for k, v in fields.items())
    if isinstance(value, list):
        return f"{len(value)} elemento(s)"
    return str(value.value if hasattr(value, "value") else value)


def _label(item: BaseModel, index: int) -> str:
    for key in ("id", "inegi", "name"):
        value = getattr(item, key, None)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"[{value}]"
    return f"[{index}]"


def collect(model: BaseModel, path: Path = (), where: str = "") -> list[UnconfirmedValue]:
    """Every unconfirmed value under ``model``, in file order."""
    found: list[UnconfirmedValue] = []
    if isinstance(model, Confirmable):
        if model.unconfirmed is True:
            found.append(UnconfirmedValue(path, where or "(todo el calendario)", _show(model)))
        elif isinstance(model.unconfirmed, list):
            for name in model.unconfirmed:
                sub = f"{where}.{name}" if where else name
                found.append(UnconfirmedValue((*path, name), sub, _show(getattr(model, name))))
    for name in type(model).model_fields:
        if name == UNCONFIRMED:
            continue
        value = getattr(model, name)
        sub = f"{where}.{name}" if where else name
        if isinstance(value, BaseModel):
            found += collect(value, (*path, name), sub)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += collect(item, (*path, name, i), sub + _label(item, i))
    return found
