from pathlib import Path

from convoca.blobs import BlobStore


def test_content_addressed_atomic_and_idempotent(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    sha, path = store.put(b"%PDF-1.7 hola", ".pdf")
    assert path == tmp_path / sha[:2] / f"{sha}.pdf" and path.read_bytes() == b"%PDF-1.7 hola"
    assert store.put(b"%PDF-1.7 hola", ".pdf") == (sha, path)
    assert store.read(sha, ".pdf") == b"%PDF-1.7 hola"
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]
