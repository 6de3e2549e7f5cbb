"""The reference gestor client against a real `convoca serve` process: receipts, offline queue, retries, outages."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from convoca.cli import main
from convoca.gestor.client import CaptureQueue, GestorClient, Stats
from convoca.gestor.synthetic import CaptureGenerator
from tests.helpers import free_port, healthy, utc, wait_for
from workflow.captures.model import CaptureData

from .api_server import Registered, register

CONVOCA = str(Path(sys.executable).parent / "convoca")
SERVER_AT = "2022-01-20T12:00:00Z"  # inside Durango's Gubernatura window (2 Jan–10 Feb 2022)
CAPTURED_AT = "2022-01-20T11:00:00Z"


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(data_dir: Path, port: int, *, wait: bool = True) -> Server:
    log_path = data_dir / f"serve-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the child process writes it
    process = subprocess.Popen(
        [CONVOCA, "serve", "--port", str(port), "--clock", "fixed", "--at", SERVER_AT, "--no-engine"],
        env={**os.environ, "CONVOCA_DATA_DIR": str(data_dir)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = Server(f"http://127.0.0.1:{port}", data_dir, process, log_path)
    if wait:
        wait_healthy(server)
    return server


def wait_healthy(server: Server, timeout: float = 30) -> None:
    if not wait_for(lambda: server.process.poll() is not None or healthy(server.url), timeout=timeout, interval=0.1):
        raise RuntimeError("convoca serve no respondió a tiempo")
    if server.process.poll() is not None:
        log = server.log.read_text()
        raise RuntimeError(f"convoca serve terminó con {server.process.returncode}:\n{log}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("serve"), free_port())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    db = f"sqlite:///{server.data_dir / 'convoca.sqlite3'}"
    result = CliRunner().invoke(main, ["admin", "token", "create", "--database", db])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture
def gestor(server: Server, admin_token: str) -> Registered:
    """A fresh aspirante with one gestor, so each test counts only its own captures."""
    return register(server.url, admin_token)


def received(server: Server, gestor: Registered) -> int:
    r = httpx.get(
        f"{server.url}/api/v1/aspirantes/{gestor.aspirante_id}/progress",
        headers={"Authorization": f"Bearer {gestor.aspirante}"},
    )
    assert r.status_code == 200, r.text
    return r.json()["received"]


def gestor_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["gestor", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def receipt_lines(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.splitlines() if line.strip()]


def test_synthetic_captures_are_valid_realistic_and_deterministic() -> None:
    at = datetime.fromisoformat("2022-01-20T11:00:00+00:00")
    gen = CaptureGenerator(5)
    captures = [gen.capture(i, at) for i in range(30)]
    for c in captures:
        data = CaptureData.model_validate(c.data)
        assert 1 <= data.seccion <= 1419 and c.data["captured_at"].endswith("-06:00")
        assert all(c.images[p][:3] == b"\xff\xd8\xff" for p in ("anverso", "reverso", "foto"))
        assert c.images["firma"][:4] == b"\x89PNG"
        assert 60_000 < len(c.images["anverso"]) < 200_000
    assert sum(c.data["clave_elector"][12:14] == "10" for c in captures) > 15  # mostly born in Durango
    assert len({c.data["capture_id"] for c in captures}) == 30
    assert len({c.images["foto"] for c in captures}) == 30  # every live photo differs
    assert CaptureGenerator(5).capture(7, at) == captures[7]  # same seed and number: same bytes


def test_simulate_posts_captures_and_prints_receipts(server: Server, gestor: Registered, tmp_path: Path) -> None:
    queue = tmp_path / "cola"
    code, out, err = gestor_cli(
        "simulate", "--server", server.url, "--token", gestor.gestor, "--count", "20", "--concurrency", "4",
        "--seed", "1", "--captured-at", CAPTURED_AT, "--queue", str(queue),
    )  # fmt: skip
    assert code == 0, err
    lines = receipt_lines(out)
    assert len(lines) == 20 and all(outcome == "nuevo" for _, _, outcome in lines)
    assert len({folio for folio, _, _ in lines}) == 20
    assert "20 acuses nuevos" in err
    q = CaptureQueue(queue)
    assert q.pending() == [] and len(q.receipts()) == 20
    assert received(server, gestor) == 20


def test_offline_queue_then_flush(server: Server, gestor: Registered, tmp_path: Path) -> None:
    queue = tmp_path / "cola"
    code, _, err = gestor_cli(
        "simulate", "--offline", "--count", "5", "--seed", "2", "--captured-at", CAPTURED_AT, "--queue", str(queue)
    )
    assert code == 0, err
    assert len(CaptureQueue(queue).pending()) == 5 and received(server, gestor) == 0

    code, out, err = gestor_cli("flush", "--server", server.url, "--token", gestor.gestor, "--queue", str(queue))
    assert code == 0, err
    assert [outcome for _, _, outcome in receipt_lines(out)] == ["nuevo"] * 5
    assert CaptureQueue(queue).pending() == []
    assert received(server, gestor) == 5


def test_same_capture_id_twice_gets_the_same_receipt(server: Server, gestor: Registered, tmp_path: Path) -> None:
    args = ["--server", server.url, "--token", gestor.gestor, "--count", "1", "--seed", "3", "--captured-at"]
    _, first, _ = gestor_cli("simulate", *args, CAPTURED_AT, "--queue", str(tmp_path / "a"))
    code, second, err = gestor_cli("simulate", *args, CAPTURED_AT, "--queue", str(tmp_path / "b"))
    assert code == 0, err
    [(folio, capture_id, outcome)] = receipt_lines(first)
    assert outcome == "nuevo"
    assert receipt_lines(second) == [[folio, capture_id, "repetido"]]  # 200 with the original receipt
    assert received(server, gestor) == 1


def test_refusals_are_final_and_kept_with_the_reason(server: Server, gestor: Registered, tmp_path: Path) -> None:
    queue = tmp_path / "cola"
    code, out, err = gestor_cli(
        "simulate", "--server", server.url, "--token", gestor.gestor, "--count", "2", "--seed", "4",
        "--captured-at", "2021-12-01T12:00:00Z", "--queue", str(queue), "--json",
    )  # fmt: skip
    assert code == 0, err
    stats = json.loads(out)
    assert stats["rejected"] == {"422": 2} and stats["retries"] == 0 and stats["accepted_new"] == 0
    rejected = CaptureQueue(queue).rejected()
    assert len(rejected) == 2 and "antes de que abriera el periodo" in rejected[0]["detail"]
    assert CaptureQueue(queue).pending() == []


def test_a_refused_token_stops_the_run_and_keeps_the_queue(server: Server, tmp_path: Path) -> None:
    queue = tmp_path / "cola"
    code, _, err = gestor_cli(
        "simulate", "--server", server.url, "--token", "cvk_no-existe", "--count", "3", "--seed", "5",
        "--captured-at", CAPTURED_AT, "--queue", str(queue), "--concurrency", "1",
    )  # fmt: skip
    assert code == 1 and "el token no es válido" in err
    assert len(CaptureQueue(queue).pending()) == 1  # the first one; the rest was never generated
    assert CaptureQueue(queue).rejected() == []


class LosesEveryFirstResponse(httpx.HTTPTransport):
    """The request reaches the server, but its answer is lost on the way back the first time."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        key = re.search(rb'"capture_id": "([0-9a-f-]{36})"', request.read())[1].decode()
        with self.lock:
            first = key not in self.seen
            self.seen.add(key)
        if first:
            response.close()
            raise httpx.ReadTimeout("respuesta perdida", request=request)
        return response


def test_a_lost_answer_is_retried_with_the_same_capture_id(server: Server, gestor: Registered, tmp_path: Path) -> None:
    queue = CaptureQueue(tmp_path / "cola")
    client = GestorClient(
        server.url, gestor.gestor, queue, concurrency=3, retry_for=10, transport=LosesEveryFirstResponse()
    )
    at = utc(CAPTURED_AT)
    stats = client.simulate(CaptureGenerator(8), 6, at)
    # Each capture was stored by its first attempt; the retry got the original receipt back (200).
    assert (stats.accepted_new, stats.replays, stats.retries, stats.pending) == (0, 6, 6, 0)
    assert len({r["folio"] for r in queue.receipts()}) == 6
    assert received(server, gestor) == 6


class CountsRefusals(httpx.HTTPTransport):
    """The real network, counting the connections refused (no server listening yet)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except httpx.ConnectError:
            with self.lock:
                self.refused += 1
            raise


@pytest.mark.slow
def test_server_down_at_first_still_delivers_everything_once(
    server: Server, gestor: Registered, tmp_path: Path
) -> None:
    port = free_port()
    network = CountsRefusals()
    client = GestorClient(
        f"http://127.0.0.1:{port}", gestor.gestor, CaptureQueue(tmp_path / "cola"), concurrency=4, transport=network
    )
    done: list[Stats] = []
    at = utc(CAPTURED_AT)
    sender = threading.Thread(target=lambda: done.append(client.simulate(CaptureGenerator(6), 12, at)))
    sender.start()
    # The client has met the server down (as many refused connections as it has workers) before it comes up.
    assert wait_for(lambda: network.refused >= 4, timeout=30)
    # A second server process on the same database comes up on the port the client is trying.
    late = start_server(server.data_dir, port)
    try:
        sender.join(60)
        assert not sender.is_alive()
    finally:
        late.stop()
    [stats] = done
    assert stats.accepted_new == 12 and stats.replays == 0 and stats.pending == 0 and stats.retries > 0
    receipts = client.queue.receipts()
    assert len({r["folio"] for r in receipts}) == len({r["capture_id"] for r in receipts}) == 12
    assert received(server, gestor) == 12


def test_the_receipt_recipe_reproduces_the_servers_hash() -> None:
    """The documented recipe, as the client implements it, against the server's hash of the validated data: with
    input the server normalises (decomposed accents, white space, lower-case clave, upper-case UUID, an offset,
    microseconds, optional fields absent)."""
    from convoca.gestor.receipt import receipt_sha256
    from workflow.captures.service import content_hash

    images = {"anverso": b"a", "reverso": b"b", "foto": b"c", "firma": b"d"}
    hashes = {part: hashlib.sha256(content).hexdigest() for part, content in images.items()}
    sent = {
        "capture_id": "3F1C2A9E-8B7D-4C55-9A1E-2B6F0D4E7A11",
        "captured_at": "2022-01-20T11:00:00.250-06:00",
        "clave_elector": " lopema80010110h123",
        "ocr": "0123456789012",
        "seccion": 123,
        "nombre": "  JOSE\u0301 MUN\u0303OZ ",
        "apellido_paterno": "LÓPEZ",
        "device_id": "tel-01",
        "app_version": "1.0",
    }
    complete = sent | {"cic": "123456789", "numero_emision": "02", "apellido_materno": "PEÑA", "capture_mode": "app"}
    for data in (sent, complete):
        assert receipt_sha256(data, images) == content_hash(CaptureData.model_validate(data), hashes)
    assert receipt_sha256(sent, images | {"firma": b"e"}) != receipt_sha256(sent, images)


class TampersReceipts(httpx.HTTPTransport):
    """A server (or a proxy) that acknowledges something else than what was sent: the receipt's hash is altered."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        body = json.loads(response.read())
        body["sha256"] = "0" * 64
        return httpx.Response(response.status_code, json=body)


def test_a_receipt_for_other_content_is_kept_as_rejected(server: Server, gestor: Registered, tmp_path: Path) -> None:
    queue = CaptureQueue(tmp_path / "cola")
    results: list = []
    client = GestorClient(server.url, gestor.gestor, queue, transport=TampersReceipts(), on_result=results.append)
    stats = client.simulate(CaptureGenerator(9), 2, utc(CAPTURED_AT))
    assert (stats.accepted_new, stats.replays, stats.rejected) == (0, 0, {201: 2})
    assert queue.receipts() == [] and queue.pending() == []
    [first, second] = queue.rejected()
    for kept in (first, second):
        assert "no corresponde a lo enviado" in kept["detail"] and kept["acuse"]["sha256"] == "0" * 64
        assert kept["status"] == 201 and kept["acuse"]["folio"]
    assert all(r.outcome == "rechazado" and "no prueba la captura" in r.detail for r in results)
