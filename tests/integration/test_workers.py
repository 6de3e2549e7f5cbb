"""`convoca serve --workers 2`: two server processes, each with its engine, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from .api_server import free_port, image

CONVOCA = str(Path(sys.executable).parent / "convoca")
AT = "2022-01-20T18:00:00Z"


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str, str]]:
    env = {**os.environ, "CONVOCA_DATA_DIR": str(tmp_path), "CONVOCA_DATABASE_URL": database_url}
    admin = subprocess.run(
        [CONVOCA, "admin", "token", "create", "--clock", "fixed", "--at", AT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [CONVOCA, "serve", "--workers", "2", "--port", str(port), "--clock", "fixed", "--at", AT],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield url, admin, database_url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        print((tmp_path / "server.log").read_text()[-5000:])  # shown when the test fails


@pytest.mark.slow
def test_two_workers_accept_captures_and_fire_each_action_once(served: tuple[str, str, str]) -> None:
    url, admin, database_url = served
    api = url + "/api/v1"
    auth = {"Authorization": f"Bearer {admin}"}
    a = httpx.post(
        f"{api}/processes/durango-2021-2022/aspirantes",
        headers=auth,
        json={"name": "Ana", "cargo": "gubernatura", "demarcacion": "10", "constancia_date": "2021-12-20"},
    ).json()
    g = httpx.post(
        f"{api}/aspirantes/{a['id']}/gestores",
        headers={"Authorization": f"Bearer {a['token']}"},
        json={"name": "G", "clave_elector": "GOMEJU85031210H300"},
    ).json()
    images = {"anverso": image(seed=1), "reverso": image(seed=2), "foto": image(seed=3), "firma": image("png", seed=4)}

    def send(i: int) -> httpx.Response:
        data = {
            "capture_id": str(uuid.uuid4()),
            "captured_at": "2022-01-20T11:00:00-06:00",
            "clave_elector": f"LOPEMA80010110H{i:03d}",
            "ocr": "0123456789012",
            "seccion": 123,
            "nombre": "MARÍA",
            "apellido_paterno": "LÓPEZ",
            "device_id": "tel",
            "app_version": "1.0",
        }
        files = {part: (part, content, "application/octet-stream") for part, content in images.items()}
        return httpx.post(
            f"{api}/captures",
            headers={"Authorization": f"Bearer {g['token']}"},
            data={"data": json.dumps(data)},
            files=files,
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(40)))
    assert [r.status_code for r in responses] == [201] * 40, [r.text for r in responses if r.status_code != 201]
    assert len({r.json()["folio"] for r in responses}) == 40
    progress = httpx.get(f"{api}/aspirantes/{a['id']}/progress", headers={"Authorization": f"Bearer {a['token']}"})
    assert progress.json()["received"] == 40

    # Both workers' engines reconciled at start-up: every edge due by AT fired once, every action ran once.
    engine = create_engine(database_url)
    deadline = time.monotonic() + 60
    with engine.connect() as conn:
        while conn.execute(text("SELECT count(*) FROM action_run WHERE status = 'pending'")).scalar() and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
            conn.rollback()
        edges = conn.execute(text("SELECT phase_id, edge, count(*) FROM transition GROUP BY phase_id, edge")).all()
        runs = conn.execute(text("SELECT action, status, attempts FROM action_run")).all()
    engine.dispose()
    assert len(edges) == 8 and {n for _, _, n in edges} == {1}
    assert sorted(r.action for r in runs) == sorted(
        ["generate_documents", "publish", "generate_documents", "publish", "open_capture", "open_capture"]
    )
    assert {(r.status, r.attempts) for r in runs} == {("succeeded", 1)}
    listed = httpx.get(f"{api}/processes/durango-2021-2022/documents").json()
    assert sorted(d["kind"] for d in listed) == ["convocatoria", "protocolo"]
