"""Text accepted from outside: normalised, and free of characters that hide or disguise what it says.

Names and ids are stored in Unicode NFC (the same name typed on two phones compares equal) and refused if they hold
control characters (a newline in a surname, a NUL that PostgreSQL refuses) or invisible formatting characters
(category Cf: a right-to-left override that makes a name display as another, zero-width joiners, BOMs).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from pydantic import BaseModel, field_validator
from pydantic_core import PydanticCustomError


def clean(value: str) -> str:
    """``value`` in NFC, or a Spanish refusal naming the offending character."""
    value = unicodedata.normalize("NFC", value)
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc":
            raise PydanticCustomError(
                "control_characters",
                "el texto contiene un carácter de control (U+{code}); escriba el texto en una sola línea, sin "
                "caracteres especiales",
                {"code": f"{ord(ch):04X}"},
            )
        if category == "Cf":
            raise PydanticCustomError(
                "invisible_characters",
                "el texto contiene un carácter invisible de formato (U+{code}, {name}) que puede disfrazar lo escrito; "
                "quítelo",
                {"code": f"{ord(ch):04X}", "name": unicodedata.name(ch, "sin nombre")},
            )
    return value


class CleanText(BaseModel):
    """Base for input models: every text field is normalised and checked by ``clean``."""

    @field_validator("*", mode="after")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean(value) if isinstance(value, str) else value
