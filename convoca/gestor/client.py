"""A gestor's sender: every capture goes to an on-disk queue first and leaves it only when the server acknowledges it.

The capture_id is the idempotency key: a retry after a timeout or a dropped connection resends the very same bytes, and
the server answers 200 with the original receipt if the first attempt had in fact been stored. Transport errors, 408,
429 and 5xx are retried with backoff; 401/403 stop the run and keep the queue (a new token can send it later); any
other 4xx is final and the capture moves to ``rejected/`` with the server's Spanish detail. Every receipt's SHA-256
is recomputed from what was sent (``receipt.py``): a receipt for other content is kept in ``rejected/`` as well.

Queue layout (``root``)::

    pending/<capture_id>/data.json, anverso.jpg, reverso.jpg, foto.jpg, firma.png
    rejected/<capture_id>/… + rechazo.json
    receipts.jsonl          one acknowledged receipt per line
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from workflow.captures.model import IMAGE_PARTS

from .receipt import receipt_sha256

if TYPE_CHECKING:
    from .synthetic import CaptureGenerator

T = TypeVar("T")

RETRYABLE = {408, 425, 429}  # plus every 5xx
AUTH = {401, 403}


def _write(path: Path, data: bytes, sync: bool) -> None:
    with open(path, "wb") as f:
        f.write(data)
        if sync:
            f.flush()
            os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_uuid(a: object, b: object) -> bool:
    """The server answers with the canonical form of the UUID the app sent (lower case, hyphens)."""
    try:
        return uuid.UUID(str(a)) == uuid.UUID(str(b))
    except ValueError:
        return False


@dataclass(frozen=True)
class QueuedCapture:
    capture_id: str
    data_json: str  # sent as is: the same text on every retry
    images: dict[str, tuple[str, bytes]]  # part → (file name, bytes)


class CaptureQueue:
    """The offline queue: one directory per capture, made visible by an atomic rename once fully written."""

    def __init__(self, root: Path, *, sync: bool = True) -> None:
        self.root = Path(root)
        self.sync = sync  # fsync every file: a capture acknowledged to the user survives a crash of the device
        self.pending_dir = self.root / "pending"
        self.rejected_dir = self.root / "rejected"
        self.receipts_path = self.root / "receipts.jsonl"
        self._tmp = self.root / ".tmp"
        for d in (self.pending_dir, self.rejected_dir, self._tmp):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def put(self, data: dict, images: dict[str, bytes]) -> str:
        capture_id = str(data["capture_id"])
        final = self.pending_dir / capture_id
        if final.exists():
            return capture_id  # already queued: the same capture, never a second copy
        tmp = self._tmp / f"{capture_id}.{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        _write(tmp / "data.json", json.dumps(data, ensure_ascii=False).encode(), self.sync)
        for part in IMAGE_PARTS:
            ext = "png" if images[part][:4] == b"\x89PNG" else "jpg"
            _write(tmp / f"{part}.{ext}", images[part], self.sync)
        try:
            tmp.rename(final)
        except OSError:  # queued meanwhile by another thread
            shutil.rmtree(tmp, ignore_errors=True)
            return capture_id
        if self.sync:
            _sync_dir(self.pending_dir)
        return capture_id

    def pending(self) -> list[str]:
        """Queued capture ids, oldest first."""
        entries = [(p.stat().st_mtime_ns, p.name) for p in self.pending_dir.iterdir() if p.is_dir()]
        return [name for _, name in sorted(entries)]

    def rejected(self) -> list[dict]:
        out = []
        for p in sorted(self.rejected_dir.iterdir()):
            reason = p / "rechazo.json"
            if reason.exists():
                out.append(json.loads(reason.read_text()))
        return out

    def receipts(self) -> list[dict]:
        if not self.receipts_path.exists():
            return []
        return [json.loads(line) for line in self.receipts_path.read_text().splitlines() if line.strip()]

    def load(self, capture_id: str) -> QueuedCapture:
        d = self.pending_dir / capture_id
        images = {}
        for part in IMAGE_PARTS:
            path = next(d.glob(f"{part}.*"))
            images[part] = (path.name, path.read_bytes())
        return QueuedCapture(capture_id, (d / "data.json").read_text(), images)

    def acknowledge(self, capture_id: str, receipt: dict) -> None:
        # The receipt is recorded before the capture leaves the queue: a crash in between only causes a resend,
        # which the server answers with the same receipt.
        line = json.dumps(receipt, ensure_ascii=False) + "\n"
        with self._lock, open(self.receipts_path, "a", encoding="utf-8") as f:
            f.write(line)
            if self.sync:
                f.flush()
                os.fsync(f.fileno())
        shutil.rmtree(self.pending_dir / capture_id, ignore_errors=True)

    def reject(self, capture_id: str, status: int, body: dict) -> None:
        src = self.pending_dir / capture_id
        reason = {"capture_id": capture_id, "status": status, **body}
        _write(src / "rechazo.json", json.dumps(reason, ensure_ascii=False, indent=1).encode(), self.sync)
        dst = self.rejected_dir / capture_id
        if dst.exists():  # rejected before and queued again: keep the latest
            shutil.rmtree(dst)
        src.rename(dst)


@dataclass(frozen=True)
class Result:
    capture_id: str
    outcome: str  # "nuevo" (201), "repetido" (200, same receipt), "rechazado", "pendiente" (still queued)
    status: int | None = None
    receipt: dict | None = None
    detail: str = ""
    attempts: int = 0
    latency: float | None = None  # seconds, of the attempt that got the final answer


@dataclass
class Stats:
    sent: int = 0  # captures that got a final answer (acknowledged or rejected)
    accepted_new: int = 0
    replays: int = 0
    rejected: Counter = field(default_factory=Counter)  # by HTTP status
    pending: int = 0  # in the queue after the run (server unreachable, run stopped, or queued earlier)
    retries: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)  # every request that got an HTTP answer
    elapsed: float = 0.0

    @property
    def acknowledged(self) -> int:
        return self.accepted_new + self.replays

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q) - 1]

    @property
    def rate(self) -> float:
        """Acknowledged captures per second of wall time."""
        return self.acknowledged / self.elapsed if self.elapsed > 0 else 0.0

    def as_dict(self) -> dict:
        p50, p99 = self.percentile(50), self.percentile(99)
        return {
            "sent": self.sent,
            "accepted_new": self.accepted_new,
            "replays": self.replays,
            "rejected": {str(k): v for k, v in sorted(self.rejected.items())},
            "pending": self.pending,
            "retries": self.retries,
            "requests": self.requests,
            "latency_p50_ms": round(p50 * 1000, 1) if p50 is not None else None,
            "latency_p99_ms": round(p99 * 1000, 1) if p99 is not None else None,
            "elapsed_s": round(self.elapsed, 3),
            "captures_per_s": round(self.rate, 1),
        }


class GestorClient:
    def __init__(
        self,
        server: str,
        token: str,
        queue: CaptureQueue,
        *,
        concurrency: int = 4,
        timeout: float = 30.0,
        retry_for: float = 60.0,
        backoff: tuple[float, float] = (0.1, 2.0),
        on_result: Callable[[Result], None] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not server.startswith(("http://", "https://")):
            raise ValueError(f"la URL del servidor debe empezar con http:// o https://: «{server}»")
        self.url = server.rstrip("/") + "/api/v1/captures"
        self.headers = {"Authorization": f"Bearer {token}"}
        self.queue = queue
        self.concurrency = max(1, concurrency)
        self.timeout = timeout
        self.retry_for = retry_for  # how long one capture keeps being retried before it is left queued
        self.backoff = backoff
        self.on_result = on_result
        self.transport = transport  # tests put a faulty network here
        self.auth_error: str | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stats = Stats()

    # -- public -----------------------------------------------------------------------------------------------

    def flush(self) -> Stats:
        """Send everything in the queue."""
        return self._run(self.queue.pending(), lambda capture_id: capture_id)

    def simulate(self, generator: CaptureGenerator, count: int, captured_at: datetime, *, start: int = 0) -> Stats:
        """Generate captures ``start … start+count-1``; each is queued, then sent, by the same worker."""

        def produce(index: int) -> str:
            c = generator.capture(index, captured_at)
            return self.queue.put(c.data, c.images)

        return self._run(range(start, start + count), produce)

    # -- internals --------------------------------------------------------------------------------------------

    def _run(self, items: Iterable[T], prepare: Callable[[T], str]) -> Stats:
        self._stats = Stats()
        self._stop.clear()
        began = time.perf_counter()
        # One client for all workers: its connection pool is thread-safe and keeps one connection per worker alive.
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        http = httpx.Client(headers=self.headers, timeout=self.timeout, limits=limits, transport=self.transport)

        def work(item: T) -> None:
            if self._stop.is_set():
                return  # stopped (bad token): what was not queued yet is not generated either
            capture_id = prepare(item)
            self._record(self._send(http, capture_id))

        with http, ThreadPoolExecutor(self.concurrency, thread_name_prefix="gestor") as pool:
            try:
                for future in [pool.submit(work, item) for item in items]:
                    future.result()
            except BaseException:  # Ctrl-C or a local failure: let the workers finish their current request
                self._stop.set()
                raise
        self._stats.elapsed = time.perf_counter() - began
        self._stats.pending = len(self.queue.pending())
        return self._stats

    def _record(self, result: Result) -> None:
        with self._lock:
            s = self._stats
            s.retries += max(0, result.attempts - 1)
            if result.outcome == "nuevo":
                s.accepted_new += 1
            elif result.outcome == "repetido":
                s.replays += 1
            elif result.outcome == "rechazado":
                s.rejected[result.status] += 1
            if result.outcome != "pendiente":
                s.sent += 1
        if self.on_result:
            self.on_result(result)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        low, cap = self.backoff
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after and retry_after.isdigit():
            return min(float(retry_after), cap * 5)
        # Full jitter: many gestores coming back online at once must not retry in lockstep.
        return random.uniform(low, min(cap, low * 2**attempt))

    def _send(self, http: httpx.Client, capture_id: str) -> Result:
        queued = self.queue.load(capture_id)
        try:
            expected = receipt_sha256(json.loads(queued.data_json), {p: b for p, (_, b) in queued.images.items()})
        except (ValueError, KeyError):  # data the server will refuse anyway (no receipt to check)
            expected = ""
        files = {part: (name, content, _mime(name)) for part, (name, content) in queued.images.items()}
        deadline = time.monotonic() + self.retry_for
        attempt, detail = 0, ""
        while not self._stop.is_set():
            attempt += 1
            response = None
            began = time.perf_counter()
            try:
                response = http.post(self.url, data={"data": queued.data_json}, files=files)
            except httpx.TransportError as exc:
                detail = f"sin conexión con el servidor: {exc.__class__.__name__}"
            latency = time.perf_counter() - began
            with self._lock:
                self._stats.requests += 1
                if response is not None:
                    self._stats.latencies.append(latency)
            if response is not None:
                status, body = response.status_code, _json(response)
                if status in (200, 201):
                    problem = _receipt_problem(body, capture_id, expected)
                    if problem is None:
                        self.queue.acknowledge(capture_id, body)
                        outcome = "nuevo" if status == 201 else "repetido"
                        return Result(capture_id, outcome, status, body, attempts=attempt, latency=latency)
                    detail, body = problem, {"detail": problem, "acuse": body}  # kept aside below, as evidence
                else:
                    detail = str(body.get("detail") or f"respuesta HTTP {status}")
                if status in AUTH:
                    self.auth_error = detail
                    self._stop.set()
                    break
                if status < 500 and status not in RETRYABLE:
                    self.queue.reject(capture_id, status, {"detail": detail, **body})
                    return Result(capture_id, "rechazado", status, detail=detail, attempts=attempt, latency=latency)
            delay = self._delay(attempt, response)
            if time.monotonic() + delay > deadline:
                break
            self._stop.wait(delay)
        return Result(capture_id, "pendiente", detail=detail, attempts=attempt)


def _receipt_problem(body: dict, capture_id: str, expected: str) -> str | None:
    """Why a receipt does not acknowledge what was sent (None when it does)."""
    if not _same_uuid(body.get("capture_id"), capture_id):
        return f"el acuse recibido no corresponde al capture_id {capture_id}"
    if body.get("sha256") != expected:
        return (
            f"el SHA-256 del acuse ({body.get('sha256')}) no corresponde a lo enviado ({expected}): el acuse no "
            "prueba la captura; consérvela y repórtela al OPLE"
        )
    return None


def _mime(name: str) -> str:
    return "image/png" if name.endswith(".png") else "image/jpeg"


def _json(response: httpx.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
