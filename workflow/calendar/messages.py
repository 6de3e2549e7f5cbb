"""Spanish (es-MX) wording for pydantic's validation errors, so calendar editors read what to fix and how."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

_BUILTIN = frozenset(typing.get_args(ErrorType))

_TYPE_NAMES = {
    "string_type": "un texto",
    "int_type": "un número entero",
    "int_parsing": "un número entero",
    "int_from_float": "un número entero (sin decimales)",
    "float_type": "un número",
    "float_parsing": "un número",
    "decimal_type": "un número",
    "decimal_parsing": "un número",
    "bool_type": "verdadero o falso (true/false)",
    "bool_parsing": "verdadero o falso (true/false)",
    "date_type": "una fecha AAAA-MM-DD",
    "date_parsing": "una fecha AAAA-MM-DD",
    "date_from_datetime_inexact": "una fecha AAAA-MM-DD sin hora",
    "date_from_datetime_parsing": "una fecha AAAA-MM-DD",
    "list_type": "una lista (elementos con «- »)",
    "dict_type": "un mapa de claves y valores",
    "model_type": "un mapa de claves y valores",
    "model_attributes_type": "un mapa de claves y valores",
}

_PATTERN_WORDS: dict[str, str] = {}


def pattern(regex: str, words: str) -> str:
    """``Field(pattern=pattern(regex, words))``: the regex, remembered with what it asks for in words («debe tener
    tres dígitos (p. ej. 005)»), which a mismatch reports instead of the regex."""
    _PATTERN_WORDS[regex] = words
    return regex


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "un mapa"
    if isinstance(value, list):
        return "una lista"
    if value is None:
        return "un valor vacío"
    if isinstance(value, bool):  # as the editor wrote it, not Python's True/False
        return f"«{str(value).lower()}»"
    return f"«{value}»"


def _number(value: Any) -> str:
    return str(value).rstrip("0").rstrip(".") if "." in str(value) else str(value)


def _unwrap(annotation: Any) -> list[Any]:
    """Model classes reachable from an annotation through Optional, list and Annotated."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _unwrap(arg)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model that sits at ``loc`` (a pydantic error location), for 'did you mean' hints."""
    models = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt = []
        for m in models:
            f = m.model_fields.get(part)
            if f is not None:
                nxt.extend(_unwrap(f.annotation))
        models = nxt
    return sorted({name for m in models for name in m.model_fields})


def spanish(error: ErrorDetails, root: type[BaseModel]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    value = error.get("input")
    loc = error["loc"]
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "missing":
        return f"falta la clave obligatoria «{field}»"
    if kind == "extra_forbidden":
        known = fields_at(root, loc[:-1])
        # A close spelling, or the one valid key that contains it («acuerdo» → «approving_acuerdo»).
        close = difflib.get_close_matches(str(loc[-1]), known, n=1) or [k for k in known if str(loc[-1]) in k]
        close = close if len(close) == 1 else []
        hint = f"; ¿quiso decir «{close[0]}»?" if close else f"; las claves válidas aquí son: {', '.join(known)}"
        return f"clave desconocida «{loc[-1]}»{hint}"
    if kind in ("date_parsing", "date_from_datetime_parsing") and "range" in str(ctx.get("error", "")):
        return f"«{field}»: la fecha {_show(value)} no existe; escriba una fecha válida AAAA-MM-DD"
    if kind in _TYPE_NAMES:
        return f"«{field}» debe ser {_TYPE_NAMES[kind]}, no {_show(value)}"
    if kind in ("enum", "literal_error"):
        # pydantic lists the choices as "'a', 'b' or 'c'"
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{_show(value)} no es un valor válido para «{field}»; use uno de: {expected}"
    if kind == "string_pattern_mismatch":  # the field's pattern in words, never the regex
        words = _PATTERN_WORDS.get(str(ctx.get("pattern")))
        return f"{_show(value)} no tiene el formato de «{field}»" + (f": {words}" if words else "")
    if kind == "string_too_short":
        return f"«{field}» no puede estar vacío"
    if kind == "string_too_long":
        return f"«{field}» admite a lo más {ctx.get('max_length')} caracteres"
    if kind == "too_short":
        return f"«{field}» debe tener al menos {ctx.get('min_length')} elemento(s)"
    if kind == "greater_than":
        return f"«{field}» debe ser mayor que {_number(ctx.get('gt'))}; se recibió {_show(value)}"
    if kind == "greater_than_equal":
        return f"«{field}» debe ser mayor o igual que {_number(ctx.get('ge'))}; se recibió {_show(value)}"
    if kind == "less_than_equal":
        return f"«{field}» debe ser menor o igual que {_number(ctx.get('le'))}; se recibió {_show(value)}"
    if kind == "less_than":
        return f"«{field}» debe ser menor que {_number(ctx.get('lt'))}; se recibió {_show(value)}"
    if kind not in _BUILTIN:  # our own PydanticCustomError messages are already Spanish
        return error["msg"]
    return f"valor no válido para «{field}»: {_show(value)}"
