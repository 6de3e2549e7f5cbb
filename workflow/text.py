"""Text accepted from outside: no control characters (PostgreSQL refuses NUL; none belongs in a name or an id)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError


class CleanText(BaseModel):
    """Base for input models: every text field is refused if it holds control characters."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and any((ord(ch) < 32 and ch not in "\t\n\r") or ord(ch) == 127 for ch in value):
            raise PydanticCustomError("control_characters", "el texto contiene caracteres de control no permitidos")
        return value
