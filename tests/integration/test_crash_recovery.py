"""A server process SIGKILLed mid-load, on SQLite and on PostgreSQL — at the two instants that matter (a group's
images written and synced but its rows not committed; its rows committed but the receipts not sent), and from
outside at whatever moment a busy load is in — loses nothing and duplicates nothing: after a restart, every receipt
the client got is stored with the same hash, the client's retries store each capture once, and the start-up sweep
removes the group files the killed requests left behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from convoca.gestor.client import CaptureQueue, GestorClient
from convoca.gestor.synthetic import CaptureGenerator
from tests.helpers import free_port, healthy, utc, wait_for
from workflow.captures.records import Capture
from workflow.captures.storage import CaptureImages
from workflow.captures.sweep import referenced
from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore, load_or_create_key
from workflow.storage.keys import Keyring

from .api_server import register

CONVOCA = str(Path(sys.executable).parent / "convoca")
AT = "2022-01-20T12:00:00Z"
CAPTURED_AT = "2022-01-20T11:00:00Z"
COUNT = 12


class Servers:
    """`convoca serve` processes, one after another, on one data folder."""

    def __init__(self, data: Path, database_url: str) -> None:
        self.data = data
        self.database_url = database_url
        self.env = {
            **os.environ,
            "CONVOCA_DATA_DIR": str(data),
            "CONVOCA_DATABASE_URL": database_url,
            "CONVOCA_ORPHAN_MIN_AGE_SECONDS": "0",
        }
        self.env.pop("CONVOCA_TEST_CRASH_AT", None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.running: list[subprocess.Popen] = []

    def start(self, **env: str) -> subprocess.Popen:
        with (self.data / "server.log").open("ab") as log:
            process = subprocess.Popen(
                [CONVOCA, "serve", "--port", str(self.port), "--clock", "fixed", "--at", AT, "--no-engine"],
                env=self.env | env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.running.append(process)
        assert wait_for(lambda: process.poll() is not None or healthy(self.url), timeout=60, interval=0.1)
        assert process.poll() is None, (self.data / "server.log").read_text()
        return process

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
                process.wait(30)


@pytest.fixture
def servers(tmp_path: Path, database_url: str) -> Iterator[Servers]:
    s = Servers(tmp_path / "var", database_url)
    s.data.mkdir()
    yield s
    s.stop()


def stored(servers: Servers) -> tuple[set[Path], set[Path], list[Capture]]:
    """The image files on disk, the ones committed captures refer to, and the captures."""
    data = servers.data
    db = Database(servers.database_url)
    try:
        blobs = SealedBlobStore(data / "captures", Keyring(load_or_create_key(data / "keys" / "captures.key")))
        with db.read_session() as s:
            captures = list(s.exec(select(Capture)))
        files = {p for p in blobs.root.rglob("*") if p.is_file()}
        return files, referenced(db, blobs), captures
    finally:
        db.dispose()


def admin_token(servers: Servers) -> str:
    return subprocess.run(
        [CONVOCA, "admin", "token", "create"], env=servers.env, capture_output=True, text=True, check=True
    ).stdout.strip()


def check_recovery(servers: Servers, client: GestorClient, queue: CaptureQueue, count: int) -> None:
    """Restart the server, let the client resend what it holds, and check that nothing was lost or duplicated."""
    servers.start()
    # The start-up sweep (age limit 0 here; 10 minutes by default) removes every unreferenced file.
    assert wait_for(lambda: (lambda f, k, _: f == k)(*stored(servers)), timeout=30)
    after = client.flush()
    assert after.pending == 0 and after.rejected == {} and queue.pending() == []

    files, kept, captures = stored(servers)
    receipts = queue.receipts()
    assert len(captures) == len({c.capture_id for c in captures}) == count  # each capture once
    by_id = {c.capture_id: c for c in captures}
    assert {r["capture_id"] for r in receipts} == set(by_id)
    for r in receipts:  # every receipt the client holds is the stored capture, with the same hash and folio
        assert (by_id[r["capture_id"]].folio, by_id[r["capture_id"]].content_sha256) == (r["folio"], r["sha256"])
    assert files == kept  # no orphan left
    images = CaptureImages(SealedBlobStore(servers.data / "captures", Keyring(key(servers))))
    for capture in captures:  # and every stored capture's images open, with the hashes the receipt was made of
        for part, content in images.read(capture).items():
            assert hashlib.sha256(content).hexdigest() == getattr(capture, f"{part}_sha256")


def key(servers: Servers) -> bytes:
    return load_or_create_key(servers.data / "keys" / "captures.key")


@pytest.mark.slow
@pytest.mark.parametrize("point", ["images_written", "committed"])
def test_a_server_killed_mid_load_loses_and_duplicates_nothing(servers: Servers, tmp_path: Path, point: str) -> None:
    admin = admin_token(servers)
    # The fifth capture to reach the point kills the server there, with three others in flight.
    first = servers.start(CONVOCA_TEST_CRASH_AT=f"{point}:5")
    who = register(servers.url, admin)
    queue = CaptureQueue(tmp_path / "cola")
    client = GestorClient(servers.url, who.gestor, queue, concurrency=4, retry_for=1, backoff=(0.05, 0.2))
    before = client.simulate(CaptureGenerator(11), COUNT, utc(CAPTURED_AT))
    assert first.wait(30) == -signal.SIGKILL
    assert before.pending > 0 and before.rejected == {}
    acknowledged = {r["capture_id"] for r in queue.receipts()}
    files, kept, captures = stored(servers)
    if point == "images_written":  # the killed group's file is on disk, and nothing refers to it
        assert files - kept
    else:  # a capture is stored whose receipt never left the server
        assert {c.capture_id for c in captures} - acknowledged
    check_recovery(servers, client, queue, COUNT)


@pytest.mark.slow
def test_a_server_killed_from_outside_under_load_loses_and_duplicates_nothing(servers: Servers, tmp_path: Path) -> None:
    """SIGKILL at whatever moment a load of 12 concurrent senders is in: groups half written, half committed."""
    admin = admin_token(servers)
    server = servers.start()
    who = register(servers.url, admin)
    queue = CaptureQueue(tmp_path / "cola")
    client = GestorClient(servers.url, who.gestor, queue, concurrency=12, retry_for=1, backoff=(0.05, 0.2))
    count = 60
    sending = threading.Thread(target=client.simulate, args=(CaptureGenerator(12), count, utc(CAPTURED_AT)))
    sending.start()
    assert wait_for(lambda: len(queue.receipts()) >= 15, timeout=120, interval=0.01)
    server.send_signal(signal.SIGKILL)
    sending.join(120)
    assert server.wait(30) == -signal.SIGKILL
    assert 15 <= len(queue.receipts()) < count and queue.pending()  # killed in the middle of the load
    check_recovery(servers, client, queue, count)
