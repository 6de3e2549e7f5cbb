"""Where a capture's four images are kept, encrypted: the one place that knows the two layouts.

- **Group files** (since revision 0006): the captures committed together share one file; each capture's four
  images are one record in it, sealed on its own (``SealedBlobStore.put_group``), its place in the row
  (``images_file``, ``images_offset``, ``images_length``). One file, one fsync and one inode per group instead of
  four files per capture.
- **Four files** (captures stored before): one content-addressed sealed file per image, named by its SHA-256 and
  type (``SealedBlobStore.put``); the row's ``images_file`` is NULL. They stay readable as they are.

A record's plaintext is the four images' lengths (big-endian 32-bit, in ``IMAGE_PARTS`` order) followed by their
bytes; their types and SHA-256 stay in the row's columns, as before.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from workflow.storage.files import SealedBlobStore

from .model import IMAGE_PARTS

HEADER = struct.Struct(">" + "I" * len(IMAGE_PARTS))
PLACE_COLUMNS = ("images_file", "images_offset", "images_length")
IMAGE_COLUMNS = tuple(f"{p}_{k}" for p in IMAGE_PARTS for k in ("sha256", "type"))
READ_COLUMNS = ("capture_id", *PLACE_COLUMNS, *IMAGE_COLUMNS)
"""The columns ``read`` needs from a capture row."""


def pack(images: Mapping[str, bytes]) -> bytes:
    parts = [images[p] for p in IMAGE_PARTS]
    return HEADER.pack(*(len(b) for b in parts)) + b"".join(parts)


def unpack(record: bytes) -> dict[str, bytes]:
    lengths = HEADER.unpack_from(record)
    out, at = {}, HEADER.size
    for part, length in zip(IMAGE_PARTS, lengths, strict=True):
        out[part] = record[at : at + length]
        at += length
    if at != len(record):
        raise ValueError("a capture's image record does not add up")
    return out


def _get(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


class CaptureImages:
    def __init__(self, blobs: SealedBlobStore) -> None:
        self.blobs = blobs

    def write_group(self, captures: list[tuple[str, Mapping[str, bytes]]]) -> list[dict[str, Any]]:
        """Write the images of several captures (``(capture_id, images)``) into one synced group file; returns,
        for each, the columns that locate its record."""
        name, places = self.blobs.put_group([(capture_id, pack(images)) for capture_id, images in captures])
        return [{"images_file": name, "images_offset": offset, "images_length": length} for offset, length in places]

    def read(self, row: Any, parts: tuple[str, ...] = IMAGE_PARTS) -> dict[str, bytes]:
        """The images of a stored capture (a ``Capture``, or a row or mapping with ``READ_COLUMNS``), decrypted.
        Raises ``FileNotFoundError`` when the store has lost them and ``InvalidTag`` when they were altered."""
        name = _get(row, "images_file")
        if name is not None:
            record = self.blobs.read_record(
                name, _get(row, "images_offset"), _get(row, "images_length"), _get(row, "capture_id")
            )
            return {p: b for p, b in unpack(record).items() if p in parts}
        return {p: self.blobs.read(_get(row, f"{p}_sha256"), "." + _get(row, f"{p}_type")) for p in parts}

    def paths(self, row: Any) -> list[Path]:
        """The files a stored capture's images live in."""
        name = _get(row, "images_file")
        if name is not None:
            return [self.blobs.group_path(name)]
        return [self.blobs.path(_get(row, f"{p}_sha256"), "." + _get(row, f"{p}_type")) for p in IMAGE_PARTS]
