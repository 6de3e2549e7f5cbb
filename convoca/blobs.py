"""Content-addressed files on local disk: written once, synced before anyone is told they exist."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    """Files named by their SHA-256 under ``root`` (``ab/abcdef….ext``). Storing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def put(self, data: bytes, suffix: str = "") -> tuple[str, Path]:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha, suffix)
        if target.is_file() and target.stat().st_size == len(data):
            return sha, target
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write to a temporary file in the same folder, sync it, then rename: a reader never sees half a file,
        # and the bytes are on disk before the caller records or acknowledges them.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return sha, target

    def read(self, sha256: str, suffix: str = "") -> bytes:
        return self.path(sha256, suffix).read_bytes()
