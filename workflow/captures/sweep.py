"""Remove what a crash left behind in the capture store: image files no committed capture refers to.

A group's images are written and synced before its rows are committed, so a process killed in between leaves an
encrypted group file that nothing points at (or a half-written one, if killed mid-write; or, for captures stored
before group files, four image files and temporary files). At start-up they are removed — but only once older
than ``min_age``: another worker may be between its write and its commit now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore

from .records import Capture
from .storage import IMAGE_COLUMNS, CaptureImages

CAPTURE = Capture.__table__  # type: ignore[attr-defined]


def referenced(db: Database, blobs: SealedBlobStore) -> set[Path]:
    """The files of every committed capture's images (group files, and the four files of older captures)."""
    images = CaptureImages(blobs)
    grouped = select(CAPTURE.c.images_file).where(CAPTURE.c.images_file.is_not(None)).distinct()
    legacy = select(*(CAPTURE.c[n] for n in ("images_file", *IMAGE_COLUMNS))).where(CAPTURE.c.images_file.is_(None))
    with db.read_engine.connect() as conn:
        keep = {blobs.group_path(name) for name in conn.execute(grouped).scalars()}
        for row in conn.execute(legacy).mappings():
            keep.update(images.paths(row))
    return keep


MIN_AGE = timedelta(minutes=10)


def sweep_orphans(db: Database, blobs: SealedBlobStore, now: datetime, min_age: timedelta = MIN_AGE) -> list[Path]:
    """Delete unreferenced files older than ``min_age`` (``now`` is real time: file times are). Returns them."""
    if not blobs.root.is_dir():
        return []
    cutoff = (now - min_age).timestamp()
    candidates = [p for p in blobs.root.rglob("*") if p.is_file() and p.stat().st_mtime < cutoff]
    if not candidates:
        return []
    keep = referenced(db, blobs)
    removed = [p for p in candidates if p not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
