"""Recompute a receipt's SHA-256 from what the app sent, as any gestor's app can (the recipe is in the README and
in the OpenAPI description of the receipt). Written from the recipe, not from the server's code: if the server
ever hashes something else, the reference client notices.

The recipe: the capture's ``data`` as the server stores it — every field present (an optional one absent is
``null``, ``capture_mode`` absent is ``"app"``), texts without leading or trailing white space and in Unicode NFC,
the clave de elector in capitals, ``capture_id`` as a lower-case UUID with hyphens, ``captured_at`` in UTC as
``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`` — plus ``"images"``: each part's SHA-256 (hex) of the exact bytes sent;
serialised as JSON with keys sorted at every level, ``", "`` and ``": "`` as separators and non-ASCII characters
as UTF-8 (not ``\\u`` escapes); the SHA-256 (hex) of those bytes.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from datetime import UTC, datetime

DEFAULTS = {"cic": None, "numero_emision": None, "apellido_materno": None, "capture_mode": "app"}


def _text(value: object) -> object:
    return unicodedata.normalize("NFC", value.strip()) if isinstance(value, str) else value


def receipt_sha256(data: dict, images: dict[str, bytes]) -> str:
    payload = DEFAULTS | {key: _text(value) for key, value in data.items()}
    payload["clave_elector"] = str(payload["clave_elector"]).upper()
    payload["capture_id"] = str(uuid.UUID(str(payload["capture_id"])))
    payload["captured_at"] = datetime.fromisoformat(str(payload["captured_at"])).astimezone(UTC).isoformat()
    payload["images"] = {part: hashlib.sha256(content).hexdigest() for part, content in images.items()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
