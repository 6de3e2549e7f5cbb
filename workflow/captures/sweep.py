"""Remove what a crash left behind in the capture store: image files no committed capture refers to.

A capture's images are written and synced before its row is committed, so a process killed in between leaves
encrypted files that nothing points at (and half-written temporary files, if killed mid-write). At start-up they
are removed — but only once older than ``min_age``: another worker may be between its write and its commit now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from workflow.storage.db import Database
from workflow.storage.files import BlobStore

from .model import IMAGE_PARTS
from .records import Capture


def referenced(db: Database, blobs: BlobStore) -> set[Path]:
    """The files of every committed capture's images."""
    columns = [getattr(Capture, f"{p}_{what}") for p in IMAGE_PARTS for what in ("sha256", "type")]
    with db.read_session() as s:
        rows = s.exec(select(*columns)).all()
    # Each row is (anverso_sha256, anverso_type, reverso_sha256, …): pair each hash with its type.
    return {blobs.path(sha, "." + kind) for row in rows for sha, kind in zip(row[::2], row[1::2], strict=True)}


MIN_AGE = timedelta(minutes=10)


def sweep_orphans(db: Database, blobs: BlobStore, now: datetime, min_age: timedelta = MIN_AGE) -> list[Path]:
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
