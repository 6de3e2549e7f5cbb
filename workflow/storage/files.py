"""Content-addressed files on local disk: written once, synced before anyone is told they exist.

``BlobStore`` keeps public bytes (the official documents). ``SealedBlobStore`` keeps personal data (the images of a
citizen's credential, face and signature) encrypted at rest with AES-256-GCM.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import Keyring

GROUPS = "groups"  # the folder of group files under a sealed store's root


def _sync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_synced(target: Path, write: Callable[[Path], object], mode: int | None = None) -> None:
    """Have ``write`` fill a temporary file in the target's folder, sync it, rename it into place, sync the folder:
    a reader never sees half a file, and the bytes are on disk before the caller records or acknowledges them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _write_synced(target: Path, data: bytes) -> None:
    write_synced(target, lambda path: path.write_bytes(data))


class BlobStore:
    """Files named by their SHA-256 under ``root`` (``ab/abcdef….ext``). Storing the same bytes twice is a no-op."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str, suffix: str = "") -> Path:
        return self.root / sha256[:2] / f"{sha256}{suffix}"

    def put(self, data: bytes, suffix: str = "") -> tuple[str, Path]:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha, suffix)
        if not (target.is_file() and target.stat().st_size == len(data)):
            _write_synced(target, data)
        return sha, target

    def read(self, sha256: str, suffix: str = "") -> bytes:
        return self.path(sha256, suffix).read_bytes()


class SealedBlobStore(BlobStore):
    """Encrypted at rest (AES-256-GCM, a random nonce per file, the file's name as associated data).

    Files are named by an HMAC of the content's SHA-256 under the key, so equal images still share one file but a
    name reveals nothing to whoever lacks the key, and a file moved to another name does not decrypt.
    """

    def __init__(self, root: Path, keyring: Keyring) -> None:
        super().__init__(root)
        self.keyring = keyring  # its master key is read (or created) on first use, not by commands that never need it

    @functools.cached_property
    def _keys(self) -> tuple[AESGCM, bytes]:
        return AESGCM(self.keyring.subkey("convoca/captures/encrypt")), self.keyring.subkey("convoca/captures/name")

    def path(self, sha256: str, suffix: str = "") -> Path:
        name = hmac.new(self._keys[1], sha256.encode(), hashlib.sha256).hexdigest()
        return self.root / name[:2] / f"{name}{suffix}.sealed"

    def put(self, data: bytes, suffix: str = "") -> tuple[str, Path]:
        sha = hashlib.sha256(data).hexdigest()
        target = self.path(sha, suffix)
        if not target.is_file():
            nonce = secrets.token_bytes(12)
            _write_synced(target, nonce + self._keys[0].encrypt(nonce, data, target.name.encode()))
        return sha, target

    def read(self, sha256: str, suffix: str = "") -> bytes:
        target = self.path(sha256, suffix)
        sealed = target.read_bytes()
        return self._keys[0].decrypt(sealed[:12], sealed[12:], target.name.encode())

    # -- group files: many records sealed one by one in one file, written and synced once ------------------------

    @functools.cached_property
    def _group_key(self) -> AESGCM:
        return AESGCM(self.keyring.subkey("convoca/captures/groups"))

    def group_path(self, name: str) -> Path:
        return self.root / GROUPS / name[:2] / name

    def put_group(self, records: list[tuple[str, bytes]]) -> tuple[str, list[tuple[int, int]]]:
        """Seal each ``(label, plaintext)`` on its own (AES-256-GCM, a random nonce each, the file's name and the
        label as associated data) into one new file, synced with its folder before this returns. Returns the
        file's name and each record's (offset, length): what ``read_record`` takes back.

        One file, one fsync and one inode for many records, where one file each would cost as many of each. The
        name is random and the file is created exclusively, so nothing is ever overwritten; a file cut short by a
        crash is referred to by no committed row and is swept (``workflow.captures.sweep``)."""
        name = secrets.token_hex(16) + ".sealed"
        target = self.group_path(name)
        chunks, places, offset = [], [], 0
        for label, plaintext in records:
            nonce = secrets.token_bytes(12)
            chunk = nonce + self._group_key.encrypt(nonce, plaintext, f"{name}:{label}".encode())
            chunks.append(chunk)
            places.append((offset, len(chunk)))
            offset += len(chunk)
        if not target.parent.is_dir():
            missing = [p for p in (target.parent, target.parent.parent) if not p.is_dir()]
            target.parent.mkdir(parents=True, exist_ok=True)
            for folder in missing:  # a new folder's own entry is on disk too
                _sync_folder(folder.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(b"".join(chunks))
                f.flush()
                os.fdatasync(f.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        _sync_folder(target.parent)
        return name, places

    def read_record(self, name: str, offset: int, length: int, label: str) -> bytes:
        """One record of a group file, decrypted; ``InvalidTag`` if it was altered or moved."""
        with open(self.group_path(name), "rb") as f:
            f.seek(offset)
            sealed = f.read(length)
        return self._group_key.decrypt(sealed[:12], sealed[12:], f"{name}:{label}".encode())


def decode_key(text: str, problem: str) -> bytes:
    """A capture key written as base64 of 32 bytes; anything else raises ``ValueError(problem)`` (Spanish)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise ValueError(problem)
    return key


def configured_key(text: str) -> bytes:
    """The key given as CONVOCA_CAPTURE_KEY, for deployments on several machines that share the storage."""
    return decode_key(text, "CONVOCA_CAPTURE_KEY debe ser la codificación base64 de 32 bytes")


def load_or_create_key(path: Path) -> bytes:
    """The key file, created once with mode 0600 (several workers may race to create it)."""
    if not path.exists():
        # Write a complete key file aside, then link it into place: of several workers racing, one link wins and
        # no one ever reads a half-written key.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-key-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(secrets.token_bytes(32)).decode())
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):  # another worker's key is in place: use it
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return decode_key(path.read_text(), f"la llave de capturas {path} no es válida (32 bytes en base64)")
