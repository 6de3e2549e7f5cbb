"""A real uvicorn server on a free port, in a thread of the test process, so a test can move its clock; and the one
way tests register people through the API (an aspirante, registered by the administrator, and their gestor)."""

from __future__ import annotations

import itertools
import threading
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
from tests.helpers import free_port, wait_for
from workflow.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
DURANGO = "durango-2021-2022"


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
    data_dir: Path,
    at: datetime,
    *,
    database_url: str | None = None,
    run_engine: bool = False,
    calendars_dir: Path | None = None,
    capture_key: str | None = None,
) -> ApiServer:
    """``calendars_dir`` (default: the project's ``calendars/``) holds the calendars seeded at start-up;
    ``capture_key`` is CONVOCA_CAPTURE_KEY (default: a key file created under ``data_dir/keys``)."""
    clock = FixedClock(at)
    settings = Settings(
        data_dir=data_dir,
        calendars_dir=calendars_dir or ROOT / "calendars",
        database_url=database_url,
        capture_key=capture_key,
    )
    app = build_app(clock, settings, run_engine=run_engine)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not wait_for(lambda: server.started or not thread.is_alive(), timeout=20) or not server.started:
        raise RuntimeError("the test server did not start")
    return ApiServer(f"http://127.0.0.1:{port}", clock, app.state.services, server, thread)


def image(kind: str = "jpg", width: int = 640, height: int = 400, seed: int = 0) -> bytes:
    """A small real image (noise, so JPEG does not collapse it to nothing)."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    ok, buf = cv2.imencode(".png" if kind == "png" else ".jpg", pixels)
    assert ok
    return buf.tobytes()


# -- registering people through the API --------------------------------------------------------------------------

_CLAVES = itertools.count()


def new_clave() -> str:
    """A valid clave de elector never used before in this test session (a gestor serves one aspirante: one person,
    one clave, per process)."""
    n = next(_CLAVES)
    letter = chr(ord("A") + n // 1000 % 26)
    return f"GESTO{letter}85031210H{n % 1000:03d}"


@dataclass(frozen=True)
class Registered:
    """An aspirante and one gestor of theirs, with the tokens the API returned (each shown once)."""

    aspirante_id: int
    aspirante: str
    gestor_id: int
    gestor: str
    clave: str  # the gestor's clave de elector


def register(
    url: str,
    admin: str,
    *,
    process: str = DURANGO,
    cargo: str = "gubernatura",
    demarcacion: str = "10",
    constancia_date: str = "2021-12-20",
    name: str = "Ana Gubernatura",
    gestor_name: str = "Pedro Gestor",
    clave: str | None = None,
) -> Registered:
    """Register an aspirante (as the administrator ``admin``) and a gestor of theirs (as the aspirante) on the
    server at ``url`` (e.g. ``http://127.0.0.1:8000``), asserting both are created."""
    clave = clave or new_clave()
    with httpx.Client(base_url=url.rstrip("/") + "/api/v1", timeout=30) as c:
        a = c.post(
            f"/processes/{process}/aspirantes",
            headers={"Authorization": f"Bearer {admin}"},
            json={"name": name, "cargo": cargo, "demarcacion": demarcacion, "constancia_date": constancia_date},
        )
        assert a.status_code == 201, a.text
        g = c.post(
            f"/aspirantes/{a.json()['id']}/gestores",
            headers={"Authorization": f"Bearer {a.json()['token']}"},
            json={"name": gestor_name, "clave_elector": clave},
        )
        assert g.status_code == 201, g.text
    return Registered(a.json()["id"], a.json()["token"], g.json()["id"], g.json()["token"], clave)
