"""The keys that protect personal data at rest, all derived from one master key (the capture key).

- ``seal`` / ``unseal``: authenticated encryption (AES-256-GCM) of small values — a supporter's names, clave de
  elector, OCR, CIC — with associated data that binds the ciphertext to its place (a row, a column).
- ``lookup``: a keyed hash (HMAC-SHA256) of an identifier such as the clave de elector, so that equal identifiers
  can be found and joined (duplicates, the roll) without storing them in clear. The same HMAC is computed in DuckDB
  from ``lookup_sql_params`` (``sha256`` of the padded key and the value), so a roll of millions of rows is hashed
  set-based, never row by row in Python.

Each purpose has its own subkey (HMAC of the master key and a label): a key used for one purpose never serves
another.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


def derive(master: bytes, label: str) -> bytes:
    return hmac.new(master, label.encode(), hashlib.sha256).digest()


class Keyring:
    def __init__(self, master: bytes | Callable[[], bytes]) -> None:
        self._master = master  # or how to get it: read (or created) on first use, not by commands that never need it

    @functools.cached_property
    def master(self) -> bytes:
        key = self._master() if callable(self._master) else self._master
        if len(key) != 32:
            raise ValueError("the capture key must be 32 bytes")
        return key

    def subkey(self, label: str) -> bytes:
        """The key of one purpose (also the capture images': ``SealedBlobStore``)."""
        return derive(self.master, label)

    @functools.cached_property
    def _seal_key(self) -> AESGCM:
        return AESGCM(self.subkey("convoca/personal/seal"))

    @functools.cached_property
    def _lookup_key(self) -> bytes:
        return self.subkey("convoca/personal/lookup")

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        """Nonce + ciphertext + tag. ``context`` (e.g. b"capture:123") must be given again to unseal."""
        nonce = secrets.token_bytes(NONCE)
        return nonce + self._seal_key.encrypt(nonce, plaintext, context)

    def unseal(self, sealed: bytes, context: bytes) -> bytes:
        return self._seal_key.decrypt(sealed[:NONCE], sealed[NONCE:], context)

    def lookup(self, value: str) -> str:
        """The keyed hash of an identifier (hex), equal for equal values under the same master key."""
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()

    def lookup_sql_params(self) -> tuple[str, str]:
        """(outer pad, inner pad) as hex, for the HMAC written in DuckDB SQL:
        ``sha256(unhex($outer) || unhex(sha256(unhex($inner) || encode(value))))`` equals ``lookup(value)``."""
        block = self._lookup_key.ljust(64, b"\0")
        return bytes(b ^ 0x5C for b in block).hex(), bytes(b ^ 0x36 for b in block).hex()


LOOKUP_SQL = "sha256(unhex($lookup_outer) || unhex(sha256(unhex($lookup_inner) || encode({value}))))"
"""The HMAC of ``{value}`` (a VARCHAR expression) in DuckDB, with the parameters of ``Keyring.lookup_sql_params``."""
