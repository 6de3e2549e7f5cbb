"""A real uvicorn server on a free port, in a thread of the test process, so a test can move its clock."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import cv2
import httpx
import numpy as np
import uvicorn

from capture_api.services import Services
from convoca.server import build_app
from convoca.settings import Settings
from workflow.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ApiServer:
    url: str
    clock: FixedClock
    services: Services
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url + "/api/v1", headers=headers, timeout=30)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_server(
    data_dir: Path, at: datetime, *, database_url: str | None = None, run_engine: bool = False
) -> ApiServer:
    clock = FixedClock(at)
    settings = Settings(data_dir=data_dir, calendars_dir=ROOT / "calendars", database_url=database_url)
    app = build_app(clock, settings, run_engine=run_engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return ApiServer(f"http://127.0.0.1:{port}", clock, app.state.services, server, thread)


def image(kind: str = "jpg", width: int = 640, height: int = 400, seed: int = 0) -> bytes:
    """A small real image (noise, so JPEG does not collapse it to nothing)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".png" if kind == "png" else ".jpg", pixels)
    assert ok
    return buf.tobytes()
