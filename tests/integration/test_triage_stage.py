"""The triage stage on a real database (SQLite and PostgreSQL): captures stored through the capture service are
triaged from their encrypted images, once, resumably, and skipped when another worker got there first."""

from __future__ import annotations

import secrets
import struct
import zlib
from datetime import date
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import update
from sqlmodel import select

from convoca.gestor.synthetic import CaptureGenerator
from tests.helpers import utc
from verification import synthetic_images as si
from verification.records import CaptureTriage
from verification.triage import TriageThresholds, cross_capture_flags, decode_small
from verification.triage_stage import TriageStage
from workflow.captures.images import check_image
from workflow.captures.model import CaptureData
from workflow.captures.records import Capture
from workflow.captures.service import CaptureService
from workflow.captures.storage import CaptureImages
from workflow.clock import FixedClock
from workflow.engine.store import CalendarStore
from workflow.participants.service import NewAspirante, NewGestor, Participants
from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore
from workflow.storage.keys import Keyring

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
RECEIVED = utc("2022-01-20T12:00:00Z")
KEY = secrets.token_bytes(32)
CLEAN_SEEDS = (500, 501, 503, 504, 505, 506, 507, 508, 509, 510)  # clean images that triage passes (not all do)


def defects(i: int) -> tuple[dict[str, bytes], set[tuple[str, str]]]:
    """Capture i's images and the flags its triage must carry."""
    images = si.clean_images(CLEAN_SEEDS[i])
    match i % 5:
        case 1:
            images["firma"] = si.png(si.blank_signature(i))
            return images, {("firma", "firma_vacia")}
        case 2:
            images["anverso"] = si.jpeg(si.blank(i))
            return images, {("anverso", "en_blanco")}
        case 3:
            images["foto"] = si.jpeg(si.scene_without_face(3))
            return images, {("foto", "sin_rostro")}
        case 4:  # whole and well formed, so the capture API takes it; only decoding it shows it is unreadable
            images["firma"] = undecodable_png(400, 200)
            return images, {("firma", "ilegible")}
    return images, set()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def undecodable_png(width: int, height: int) -> bytes:
    """A PNG with every chunk and CRC right whose image data are not a zlib stream: it passes every header and
    structure check, and no decoder can read it."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = b"no es un flujo zlib " * 50
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


@pytest.fixture
def stored(db: Database, tmp_path: Path) -> tuple[Database, SealedBlobStore, dict[int, set[tuple[str, str]]]]:
    """Ten captures of one gestor, stored as the API stores them; returns what each capture's triage must flag."""
    calendars = CalendarStore(db)
    calendars.apply(DURANGO.read_text(), file=str(DURANGO), author="t", reason="t", now=utc("2021-10-01T00:00:00Z"))
    keyring = Keyring(KEY)
    people = Participants(db, calendars, keyring)
    aspirante, _ = people.create_aspirante(
        "durango-2021-2022",
        NewAspirante(name="Ana", cargo="gubernatura", demarcacion="10", constancia_date=date(2021, 12, 20)),
        RECEIVED,
    )
    gestor, _ = people.register_gestor(aspirante, NewGestor(name="Pedro", clave_elector="GOMEJU85031210H300"), RECEIVED)
    blobs = SealedBlobStore(tmp_path / "captures", keyring)
    service = CaptureService(db, calendars, blobs, keyring)
    generator = CaptureGenerator(seed=3, variants=1)
    expected: dict[int, set[tuple[str, str]]] = {}
    for i in range(10):
        data = generator.capture(i, utc("2022-01-20T11:00:00Z")).data
        images, flags = defects(i)
        receipt, new = service.submit(gestor, CaptureData.model_validate(data), images, RECEIVED)
        assert new
        expected[int(receipt.folio.rsplit("-", 1)[1])] = flags
    return db, blobs, expected


def triaged(db: Database) -> dict[int, CaptureTriage]:
    with db.read_session() as s:
        return {t.capture_id: t for t in s.exec(select(CaptureTriage))}


def test_pending_captures_are_triaged_once_with_their_flags(stored) -> None:
    db, blobs, expected = stored
    clock = FixedClock(utc("2022-01-20T12:05:00Z"))
    stage = TriageStage(db, blobs, TriageThresholds(), clock=clock, batch_size=4)
    assert stage.run_pending("durango-2021-2022") == 10
    rows = triaged(db)
    assert {cid: {(f["part"], f["code"]) for f in r.flags} for cid, r in rows.items()} == expected
    for r in rows.values():
        assert r.thresholds_version == TriageThresholds().version
        assert r.triaged_at == clock.now()
        assert all(f["message"] and f["suggested_reason"] for f in r.flags)
    blank = next(r for r in rows.values() if {f["code"] for f in r.flags} == {"en_blanco"})
    assert blank.anverso_phash is None and blank.foto_phash is not None and len(blank.foto_phash) == 16
    assert stage.run_pending() == 0  # nothing left: the second call does nothing
    assert triaged(db).keys() == rows.keys()


def test_an_interrupted_run_resumes_where_it_stopped(stored) -> None:
    db, blobs, expected = stored
    stage = TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED), batch_size=3)
    assert stage.run_pending(limit=4) == 4  # the process dies after four
    first = set(triaged(db))
    assert len(first) == 4
    assert stage.run_pending() == 6
    assert set(triaged(db)) == set(expected)
    assert first < set(triaged(db))


def test_a_row_another_worker_inserted_meanwhile_is_skipped(stored, monkeypatch: pytest.MonkeyPatch) -> None:
    db, blobs, expected = stored
    stage = TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED), batch_size=10)
    other = min(expected)
    real_pending = TriageStage._pending

    raced = []

    def racing(self, *args):  # a full batch is read, then another worker triages one of its captures
        batch = real_pending(self, *args)
        if len(batch) > 1 and not raced:
            raced.append(other)
            with db.write_session() as s:
                s.add(
                    CaptureTriage(
                        capture_id=other, triaged_at=RECEIVED, thresholds_version="otro", flags=[], anverso_phash=None
                    )
                )
                s.commit()
        return batch

    monkeypatch.setattr(TriageStage, "_pending", racing)
    assert stage.run_pending() == 9  # the tenth was the other worker's
    monkeypatch.undo()
    rows = triaged(db)
    assert set(rows) == set(expected) and rows[other].thresholds_version == "otro"


def test_the_stage_with_worker_processes_gives_the_same_rows(stored) -> None:
    db, blobs, expected = stored
    TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED), workers=2, batch_size=5).run_pending()
    rows = triaged(db)
    assert {cid: {(f["part"], f["code"]) for f in r.flags} for cid, r in rows.items()} == expected


def test_an_image_the_api_took_but_no_decoder_reads_is_triaged_as_unreadable(stored) -> None:
    db, blobs, expected = stored
    assert check_image("firma", undecodable_png(400, 200)) == "png"  # the request path took it
    assert decode_small(undecodable_png(400, 200), 256) is None
    TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED)).run_pending()
    rows = triaged(db)
    unreadable = {
        cid for cid, r in rows.items() if any((f["part"], f["code"]) == ("firma", "ilegible") for f in r.flags)
    }
    assert unreadable == {cid for cid, flags in expected.items() if ("firma", "ilegible") in flags} != set()


def test_a_lost_or_altered_group_file_is_triaged_as_unreadable(stored) -> None:
    db, blobs, _ = stored
    with db.read_session() as s:
        lost, altered = s.exec(select(Capture).order_by(Capture.id).limit(2)).all()
    assert lost.images_file and altered.images_file and lost.id and altered.id
    blobs.group_path(lost.images_file).unlink()
    path = blobs.group_path(altered.images_file)
    raw = bytearray(path.read_bytes())
    raw[altered.images_offset + 40] ^= 1  # one bit of the record's ciphertext
    path.write_bytes(bytes(raw))
    TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED)).run_pending()
    rows = triaged(db)
    everything = {(p, "ilegible") for p in ("anverso", "reverso", "foto", "firma")}
    for victim in (lost, altered):  # the record holds all four images: all four are unreadable, nothing else
        assert {(f["part"], f["code"]) for f in rows[victim.id].flags} == everything


def test_captures_stored_as_four_files_are_still_read(stored) -> None:
    """Captures stored before group files keep their four content-addressed files and a NULL images_file."""
    db, blobs, expected = stored
    images = CaptureImages(blobs)
    with db.read_session() as s:
        old, lost = s.exec(select(Capture).order_by(Capture.id).limit(2)).all()
    assert old.id and lost.id
    for capture in (old, lost):  # as release 0004 stored them
        for part, content in images.read(capture).items():
            blobs.put(content, "." + getattr(capture, f"{part}_type"))
        with db.engine.begin() as conn:
            conn.execute(
                update(Capture.__table__)  # type: ignore[attr-defined]
                .where(Capture.__table__.c.id == capture.id)  # type: ignore[attr-defined]
                .values(images_file=None, images_offset=None, images_length=None)
            )
    with db.read_session() as s:
        old, lost = (s.get(Capture, c.id) for c in (old, lost))
    assert old is not None and lost is not None and old.images_file is None
    service = CaptureService(db, CalendarStore(db), blobs, Keyring(KEY))
    assert service.image(old, "foto") == images.read(old)["foto"] == blobs.read(old.foto_sha256, "." + old.foto_type)
    blobs.path(lost.reverso_sha256, "." + lost.reverso_type).unlink()
    TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED)).run_pending()
    rows = triaged(db)
    assert {(f["part"], f["code"]) for f in rows[old.id].flags} == expected[old.id]
    assert {(f["part"], f["code"]) for f in rows[lost.id].flags} == expected[lost.id] | {("reverso", "ilegible")}


def test_reused_images_are_found_across_the_stored_captures(stored, db: Database, tmp_path: Path) -> None:
    _, blobs, expected = stored
    stage = TriageStage(db, blobs, TriageThresholds(), clock=FixedClock(RECEIVED))
    stage.run_pending()
    table = stage.hashes("durango-2021-2022")
    assert table.num_rows == 10
    assert all(len(v) == 64 for v in table.column("clave_lookup").to_pylist())  # keyed hashes, no clave in clear
    con = duckdb.connect()
    con.register("captures", table)
    # Scene 3 stands in for the live photo of captures 3 and 8: the same bytes behind two apoyos.
    photo_reused = {cid for cid, f in cross_capture_flags(con, "captures") if f.code == "foto_repetida"}
    assert photo_reused == {cid for cid, flags in expected.items() if ("foto", "sin_rostro") in flags}
