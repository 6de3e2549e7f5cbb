"""The JSON Schema of calendar files, for editors (yaml-language-server) and for `convoca calendar schema`."""

from __future__ import annotations

import json
from typing import Any

from .model import Calendar

SCHEMA_ID = "https://convoca.mx/schema/calendar.schema.json"


def calendar_json_schema() -> dict[str, Any]:
    schema = Calendar.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def calendar_json_schema_text() -> str:
    return json.dumps(calendar_json_schema(), ensure_ascii=False, indent=2) + "\n"
