"""Multipart forms the API reads.

No ``from __future__ import annotations`` here, on purpose: Litestar resolves a multipart form's type hints on every
request, and string annotations would be compiled and evaluated each time (~1 ms a capture, measured with yappi in
``benchmarks/ingest.py``); real annotations cost nothing to resolve.
"""

from dataclasses import dataclass
from typing import Any


@dataclass
class CaptureForm:
    """multipart/form-data: ``data`` is the JSON of the capture; the four images are JPEG or PNG files."""

    # Loosely typed and optional on purpose: a missing or malformed part gets a 422 naming it (all are required),
    # whether the client sent it as a file or as a plain field.
    data: Any = None
    anverso: Any = None
    reverso: Any = None
    foto: Any = None
    firma: Any = None
