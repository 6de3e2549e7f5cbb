from pathlib import Path

from workflow.storage.files import BlobStore
from workflow.storage.keys import Keyring


def test_content_addressed_atomic_and_idempotent(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    sha, path = store.put(b"%PDF-1.7 hola", ".pdf")
    assert path == tmp_path / sha[:2] / f"{sha}.pdf" and path.read_bytes() == b"%PDF-1.7 hola"
    assert store.put(b"%PDF-1.7 hola", ".pdf") == (sha, path)
    assert store.read(sha, ".pdf") == b"%PDF-1.7 hola"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_sealed_store_encrypts_and_hides_names(tmp_path: Path) -> None:
    import hashlib
    import secrets

    import pytest
    from cryptography.exceptions import InvalidTag

    from workflow.storage.files import SealedBlobStore, load_or_create_key

    key = load_or_create_key(tmp_path / "keys" / "captures.key")
    assert load_or_create_key(tmp_path / "keys" / "captures.key") == key  # created once, then read
    assert (tmp_path / "keys" / "captures.key").stat().st_mode & 0o777 == 0o600
    image = b"\xff\xd8\xff" + b"GOMEJU85031210H300 rostro firma" * 100
    store = SealedBlobStore(tmp_path / "captures", Keyring(key))
    sha, path = store.put(image, ".jpg")
    assert sha == hashlib.sha256(image).hexdigest()
    assert sha not in path.name and path.name.endswith(".jpg.sealed")
    assert b"GOMEJU85031210H300" not in path.read_bytes()  # nothing readable at rest
    assert store.read(sha, ".jpg") == image
    assert store.put(image, ".jpg") == (sha, path)  # stored once
    with pytest.raises(InvalidTag):
        SealedBlobStore(tmp_path / "captures", Keyring(secrets.token_bytes(32)))._keys[0].decrypt(
            path.read_bytes()[:12], path.read_bytes()[12:], path.name.encode()
        )
