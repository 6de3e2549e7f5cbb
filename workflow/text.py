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


def clean(value: str, *, paragraphs: bool = False) -> str:
    """``value`` in NFC, or a Spanish refusal naming the offending character. With ``paragraphs`` (an argument, a
    note), line breaks are kept, as ``\n``."""
    value = unicodedata.normalize("NFC", value)
    if paragraphs:
        value = value.replace("\r\n", "\n")
    for ch in value:
        category = unicodedata.category(ch)
        if category == "Cc" and not (paragraphs and ch == "\n"):
            raise PydanticCustomError(
                "control_characters",
                "el texto contiene un carácter de control (U+{code}); escríbalo sin caracteres especiales"
                + ("" if paragraphs else ", en una sola línea"),
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


class CleanParagraphs(BaseModel):
    """Base for input models of free text (an argument, a note): like ``CleanText``, keeping line breaks."""

    @field_validator("*", mode="after")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean(value, paragraphs=True) if isinstance(value, str) else value
