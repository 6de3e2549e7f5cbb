"""What a crash leaves in the capture store is swept at start-up, and the data folder is private."""

from __future__ import annotations

import os
import stat
from datetime import timedelta
from pathlib import Path

from convoca.runtime import build
from convoca.server import build_app
from convoca.settings import Settings
from tests.helpers import utc
from workflow.captures.sweep import sweep_orphans
from workflow.clock import FixedClock, SystemClock

ROOT = Path(__file__).resolve().parents[2]


def test_orphan_images_are_swept_only_once_old_enough(tmp_path: Path) -> None:
    runtime = build(FixedClock(utc("2022-01-20T12:00:00Z")), Settings(data_dir=tmp_path / "var"))
    blobs = runtime.services.captures.blobs
    # As a process killed between writing a capture's images and committing its row would leave them.
    _, orphan = blobs.put(b"\x89PNG imagen de una captura nunca confirmada", ".png")
    _, recent = blobs.put(b"\x89PNG imagen de una captura en curso en otro proceso", ".png")
    half_written = orphan.parent / ".tmp-abc123"
    half_written.write_bytes(b"medio archivo")
    # A group file written and synced by a process killed before its commit, and one still in flight elsewhere.
    orphan_group = blobs.group_path(blobs.put_group([("c1", b"imagenes de un grupo nunca confirmado")])[0])
    recent_group = blobs.group_path(blobs.put_group([("c2", b"imagenes de un grupo en curso")])[0])
    old = (SystemClock().now() - timedelta(hours=1)).timestamp()
    for path in (orphan, half_written, orphan_group):
        os.utime(path, (old, old))
    removed = sweep_orphans(runtime.services.db, blobs, SystemClock().now())
    assert sorted(removed) == sorted([orphan, half_written, orphan_group])
    assert not orphan.exists() and not half_written.exists() and not orphan_group.exists()
    assert recent.exists() and recent_group.exists()  # in flight elsewhere: kept
    runtime.close()


def test_images_of_committed_captures_are_kept(tmp_path: Path) -> None:
    from tests.integration.api_server import image, register, start_server
    from workflow.participants.records import Role

    api = start_server(tmp_path, utc("2022-01-20T18:00:00Z"))
    try:
        admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
        gestor = register(api.url, admin).gestor
        data = (
            '{"capture_id": "3f1c2a9e-8b7d-4c55-9a1e-2b6f0d4e7a11", "captured_at": "2022-01-20T11:00:00-06:00", '
            '"clave_elector": "LOPEMA80010110H123", "ocr": "0123456789012", "seccion": 123, "nombre": "ANA", '
            '"apellido_paterno": "RUIZ", "device_id": "t", "app_version": "1"}'
        )
        files = {p: (p, image(seed=i), "image/jpeg") for i, p in enumerate(("anverso", "reverso", "foto", "firma"))}
        with api.client(gestor) as c:
            assert c.post("/captures", files={"data": (None, data), **files}).status_code == 201
        blobs = api.services.captures.blobs
        stored = [p for p in blobs.root.rglob("*") if p.is_file()]
        assert len(stored) == 1  # the capture's group file
        future = SystemClock().now() + timedelta(days=1)  # all of them "old"
        assert sweep_orphans(api.services.db, blobs, future) == []
        assert all(p.exists() for p in stored)
    finally:
        api.stop()


def test_the_data_folder_and_database_are_private(tmp_path: Path) -> None:
    data = tmp_path / "var"
    build_app(
        FixedClock(utc("2022-01-20T12:00:00Z")),
        Settings(data_dir=data, calendars_dir=ROOT / "calendars"),
        run_engine=False,
    )
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "convoca.sqlite3").stat().st_mode) == 0o600


def test_the_server_sweeps_at_start_up_beside_serving(tmp_path: Path) -> None:
    from tests.helpers import wait_for
    from tests.integration.api_server import start_server

    runtime = build(FixedClock(utc("2022-01-20T12:00:00Z")), Settings(data_dir=tmp_path))
    _, orphan = runtime.services.captures.blobs.put(b"\x89PNG de una captura interrumpida", ".png")
    old = (SystemClock().now() - timedelta(hours=1)).timestamp()
    os.utime(orphan, (old, old))
    runtime.close()
    api = start_server(tmp_path, utc("2022-01-20T18:00:00Z"))
    try:
        assert wait_for(lambda: not orphan.exists(), timeout=10)
    finally:
        api.stop()


def test_personal_data_are_not_in_the_database_in_clear(tmp_path: Path) -> None:
    """Read the SQLite files byte by byte after real captures: no clave, name, OCR or CIC of a supporter, nor the
    gestor's clave; and the sealed data open again, whole, with the key."""
    import json
    import uuid

    from sqlmodel import select

    from tests.integration.api_server import image, register, start_server
    from workflow.captures.personal import PersonalData
    from workflow.captures.records import Capture
    from workflow.participants.records import Gestor, Role

    people = [
        PersonalData(
            clave_elector=f"ZUBIXA8{i}010110M77{i}",
            ocr=f"04{i}155501234{i}",
            cic=f"98765432{i}",
            numero_emision="03",
            nombre=f"XIMENA{i} ÑUÑEZ",
            apellido_paterno=f"QUETZALCÓATL{i}",
            apellido_materno=f"ZOZAYA{i}",
        )
        for i in range(3)
    ]
    api = start_server(tmp_path, utc("2022-01-20T18:00:00Z"))
    try:
        admin = api.services.participants.issue_token(Role.admin, api.clock.now()).token
        registered = register(api.url, admin)
        files = {p: (p, image(seed=i), "image/jpeg") for i, p in enumerate(("anverso", "reverso", "foto", "firma"))}
        with api.client(registered.gestor) as c:
            for person in people:
                data = person.model_dump() | {
                    "capture_id": str(uuid.uuid4()),
                    "captured_at": "2022-01-20T11:00:00-06:00",
                    "seccion": int(person.ocr[:4]),
                    "device_id": "t",
                    "app_version": "1",
                }
                r = c.post("/captures", files={"data": (None, json.dumps(data)), **files})
                assert r.status_code == 201, r.text
        with api.services.db.read_session() as s:
            captures = s.exec(select(Capture)).all()
            gestor = s.exec(select(Gestor)).one()
        unsealed = [api.services.captures.personal(c) for c in captures]
        assert sorted(unsealed, key=lambda p: p.ocr) == people
        keyring = api.services.captures.keyring
        assert sorted(c.clave_lookup for c in captures) == sorted(keyring.lookup(p.clave_elector) for p in people)
        assert api.services.participants.gestor_clave(gestor) == registered.clave
    finally:
        api.stop()
        api.services.db.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("convoca.sqlite3*"))
    assert b"Ana Gubernatura" in raw  # the aspirante's name is public, in clear: the files were read whole
    for person in people:
        for value in (person.clave_elector, person.ocr, person.cic, person.nombre, person.apellido_paterno):
            assert value is not None and value.encode() not in raw, value
    assert registered.clave.encode() not in raw
