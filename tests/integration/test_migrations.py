"""Schema migrations on SQLite and PostgreSQL: the migrated schema is the models' schema, a database of the
previous schema upgrades with its data intact, and a database newer than the code is refused in Spanish."""

from __future__ import annotations

import base64
import secrets
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlmodel import col, select

from convoca.cli import main
from verification.schema import metadata
from workflow.captures.personal import PersonalData, unseal_gestor_clave, unseal_personal
from workflow.captures.records import Capture
from workflow.errors import DomainError
from workflow.participants.records import Gestor
from workflow.storage.db import Database
from workflow.storage.keys import Keyring
from workflow.storage.migrate import SchemaTooNew, current, downgrade, head, pending, upgrade

CREATED = datetime(2021, 10, 1, 1, 0, tzinfo=UTC)
# Every revision after the baseline, oldest first: a new migration is added here.
AFTER_BASELINE = ["0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009"]


@pytest.fixture
def empty(database_url: str):
    database = Database(database_url)
    yield database
    database.dispose()


def differences(db: Database) -> list:
    with db.engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata())


def test_migrated_schema_equals_the_models(empty: Database) -> None:
    assert current(empty) is None
    assert upgrade(empty) == ["0001", *AFTER_BASELINE]  # every revision, oldest first
    assert current(empty) == head()
    assert differences(empty) == []
    assert upgrade(empty) == []  # nothing left to do


def _previous_schema_with_data(db: Database) -> None:
    """A database as the previous release left it: the baseline schema with a process and two versions in it."""
    upgrade(db, "0001")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO process (id, name, timezone, active_version, created_at) "
                "VALUES ('p-2022', 'Proceso', 'America/Monterrey', 2, :at)"
            ),
            {"at": CREATED.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else CREATED},
        )
        for number in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO calendar_version (process_id, number, text, sha256, author, reason, created_at) "
                    "VALUES ('p-2022', :n, 'process: {}', :sha, 'secretaría', 'acuerdo', :at)"
                ),
                {
                    "n": number,
                    "sha": str(number) * 64,
                    "at": CREATED.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else CREATED,
                },
            )


def test_previous_schema_with_data_upgrades_with_nothing_lost(empty: Database) -> None:
    _previous_schema_with_data(empty)
    assert pending(empty) == AFTER_BASELINE
    assert upgrade(empty) == AFTER_BASELINE
    assert differences(empty) == []
    with empty.read_session() as s:
        rows = s.exec(
            text("SELECT number, author, created_at, recorded_at FROM calendar_version ORDER BY number")
        ).all()
    assert [(r[0], r[1]) for r in rows] == [(1, "secretaría"), (2, "secretaría")]
    # The real time of a change stored before it was recorded is taken to be when it took effect.
    assert all(r[2] == r[3] for r in rows)


def test_a_database_made_before_migrations_is_recognised(empty: Database) -> None:
    _previous_schema_with_data(empty)
    with empty.engine.begin() as conn:  # as create_all left it: the tables, no record of migrations
        conn.execute(text("DROP TABLE alembic_version"))
    assert current(empty) is None
    assert upgrade(empty) == AFTER_BASELINE
    assert current(empty) == head()
    with empty.read_session() as s:
        assert s.exec(text("SELECT count(*) FROM calendar_version")).one()[0] == 2


def test_a_database_newer_than_the_code_is_refused(empty: Database) -> None:
    upgrade(empty)
    with empty.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaTooNew) as exc:
        upgrade(empty)
    assert "«9999»" in exc.value.message and "actualice convoca" in exc.value.message
    result = CliRunner().invoke(main, ["db", "current", "--database", empty.url])
    assert result.exit_code == 1 and "actualice convoca" in result.output


def test_workers_starting_together_migrate_once(database_url: str) -> None:
    databases = [Database(database_url) for _ in range(4)]
    applied: list[list[str]] = []
    errors: list[BaseException] = []

    def start(db: Database) -> None:
        try:
            applied.append(upgrade(db))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(db,)) for db in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(applied, key=len) == [[], [], [], ["0001", *AFTER_BASELINE]]
    assert "capture" in inspect(databases[0].engine).get_table_names()
    for db in databases:
        db.dispose()


def test_db_commands(sqlite_url: str) -> None:
    runner = CliRunner()
    before = runner.invoke(main, ["db", "current", "--database", sqlite_url])
    assert before.exit_code == 0, before.output
    assert "ninguno (base vacía)" in before.output and "pendientes: 0001, 0002" in before.output
    up = runner.invoke(main, ["db", "upgrade", "--database", sqlite_url])
    assert up.exit_code == 0 and "migraciones aplicadas: 0001, 0002" in up.output
    after = runner.invoke(main, ["db", "current", "--database", sqlite_url])
    assert f"esquema {head()}" in after.output and "al día" in after.output


# Two supporters as release 0003 stored them, in clear: one with every field, one without the optional ones.
SUPPORTERS = [
    PersonalData(
        clave_elector="LOPEMA80010110H123",
        ocr="0123456789012",
        cic="123456789",
        numero_emision="02",
        nombre="MARÍA JOSÉ",
        apellido_paterno="LÓPEZ",
        apellido_materno="PEÑA",
    ),
    PersonalData(
        clave_elector="RUIZAN91122310M456",
        ocr="0456987654321",
        cic=None,
        numero_emision=None,
        nombre="ANA",
        apellido_paterno="RUIZ",
        apellido_materno=None,
    ),
]
GESTOR_CLAVE = "GESTOR85031210H300"


def _at(db: Database) -> datetime:
    return CREATED.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else CREATED


def _clear_captures(db: Database) -> list[str]:
    """A 0003 database with a gestor and two captures whose personal data are plain columns; their capture ids."""
    upgrade(db, "0003")
    ids = [str(uuid.uuid4()) for _ in SUPPORTERS]
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO process (id, name, timezone, active_version, created_at) "
                "VALUES ('p-2022', 'Proceso', 'America/Monterrey', 1, :at)"
            ),
            {"at": _at(db)},
        )
        conn.execute(
            text(
                "INSERT INTO aspirante (id, process_id, name, cargo_id, demarcacion_id, constancia_date, created_at) "
                "VALUES (1, 'p-2022', 'Aspirante', 'gubernatura', '10', '2021-12-20', :at)"
            ),
            {"at": _at(db)},
        )
        conn.execute(
            text(
                "INSERT INTO gestor (id, process_id, aspirante_id, name, clave_elector, created_at) "
                "VALUES (1, 'p-2022', 1, 'Gestor', :clave, :at)"
            ),
            {"clave": GESTOR_CLAVE, "at": _at(db)},
        )
        for n, (capture_id, person) in enumerate(zip(ids, SUPPORTERS, strict=True), start=1):
            images = {
                f"{p}_{w}": ("ab" * 32 if w == "sha256" else "jpg")
                for p in ("anverso", "reverso", "foto", "firma")
                for w in ("sha256", "type")
            }
            conn.execute(
                text(
                    "INSERT INTO capture (id, capture_id, folio, process_id, aspirante_id, gestor_id, captured_at, "
                    "received_at, late, content_sha256, clave_elector, ocr, cic, numero_emision, seccion, nombre, "
                    "apellido_paterno, apellido_materno, device_id, app_version, capture_mode, "
                    + ", ".join(images)
                    + ") VALUES (:id, :capture_id, :folio, 'p-2022', 1, 1, :at, :at, false, :sha, :clave_elector, "
                    ":ocr, :cic, :numero_emision, :seccion, :nombre, :apellido_paterno, :apellido_materno, 'tel', "
                    "'1', 'app', " + ", ".join(f":{k}" for k in images) + ")"
                ),
                {
                    "id": n,
                    "capture_id": capture_id,
                    "folio": f"IEPC-{n:08d}",
                    "at": _at(db),
                    "sha": str(n) * 64,
                    "seccion": int(person.ocr[:4]),
                    **person.model_dump(),
                    **images,
                },
            )
    return ids


def test_stored_personal_data_are_sealed_by_the_upgrade_with_nothing_lost(empty: Database) -> None:
    ids = _clear_captures(empty)
    sqlite_file = Path(empty.engine.url.database or "") if empty.engine.dialect.name == "sqlite" else None
    if sqlite_file:
        empty.dispose()  # the last connection checkpoints the WAL into the file
        assert GESTOR_CLAVE.encode() in sqlite_file.read_bytes()  # what the check below must not find afterwards
    keyring = Keyring(secrets.token_bytes(32))
    assert upgrade(empty, keyring=keyring) == AFTER_BASELINE[AFTER_BASELINE.index("0004") :]
    assert differences(empty) == []
    with empty.read_session() as s:
        captures = s.exec(select(Capture).order_by(col(Capture.id))).all()
        gestor = s.exec(select(Gestor)).one()
    assert [c.capture_id for c in captures] == ids
    for capture, person in zip(captures, SUPPORTERS, strict=True):
        assert unseal_personal(keyring, capture.capture_id, capture.personal) == person
        assert capture.clave_lookup == keyring.lookup(person.clave_elector)
        assert capture.ocr_lookup == keyring.lookup(person.ocr)
        assert capture.cic_lookup == (keyring.lookup(person.cic) if person.cic else None)
        assert capture.seccion == int(person.ocr[:4]) and capture.folio.startswith("IEPC-")
    assert gestor.clave_lookup == keyring.lookup(GESTOR_CLAVE)
    assert unseal_gestor_clave(keyring, gestor.process_id, gestor.clave_lookup, gestor.personal) == GESTOR_CLAVE
    columns = {c["name"] for table in ("capture", "gestor") for c in inspect(empty.engine).get_columns(table)}
    assert not columns & {"clave_elector", "ocr", "cic", "numero_emision", "nombre", "apellido_paterno"}
    if sqlite_file:  # nothing of the clear values is left in the file, not even in its free pages
        empty.dispose()
        raw = sqlite_file.read_bytes()
        for person in SUPPORTERS:
            for value in (person.clave_elector, person.ocr, person.apellido_paterno):
                assert value.encode() not in raw, value
        assert GESTOR_CLAVE.encode() not in raw


def test_sealing_stored_personal_data_needs_the_key(empty: Database) -> None:
    _clear_captures(empty)
    with pytest.raises(DomainError) as exc:
        upgrade(empty)
    assert "necesita la clave de capturas" in exc.value.message and "CONVOCA_CAPTURE_KEY" in exc.value.message
    assert current(empty) == "0003"  # nothing changed: the clear values are still there, to seal with the key
    with empty.read_session() as s:
        assert s.exec(text("SELECT count(*) FROM capture WHERE nombre IS NOT NULL")).one()[0] == 2


def test_downgrade_unseals(empty: Database) -> None:
    ids = _clear_captures(empty)
    keyring = Keyring(secrets.token_bytes(32))
    upgrade(empty, keyring=keyring)
    downgrade(empty, "0003", keyring=keyring)
    with empty.read_session() as s:
        rows = s.exec(text(f"SELECT capture_id, {', '.join(PersonalData.model_fields)} FROM capture ORDER BY id")).all()
        gestor = s.exec(text("SELECT clave_elector FROM gestor")).one()
    assert [r[0] for r in rows] == ids
    assert [PersonalData(**dict(zip(PersonalData.model_fields, r[1:], strict=True))) for r in rows] == SUPPORTERS
    assert gestor[0] == GESTOR_CLAVE


def test_db_upgrade_seals_with_the_configured_key_and_refuses_without_one(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from convoca.settings import get_settings

    database = Database(sqlite_url)
    ids = _clear_captures(database)
    database.dispose()
    runner = CliRunner()
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(tmp_path / "sin-clave"))  # no key file there, and none configured
    monkeypatch.delenv("CONVOCA_CAPTURE_KEY", raising=False)
    get_settings.cache_clear()
    try:
        refused = runner.invoke(main, ["db", "upgrade", "--database", sqlite_url])
        assert refused.exit_code == 1 and "necesita la clave de capturas" in refused.output, refused.output
        assert not (tmp_path / "sin-clave" / "keys").exists()  # no key was made up to seal them with
        key = secrets.token_bytes(32)
        monkeypatch.setenv("CONVOCA_CAPTURE_KEY", base64.b64encode(key).decode())
        get_settings.cache_clear()
        done = runner.invoke(main, ["db", "upgrade", "--database", sqlite_url])
        assert done.exit_code == 0 and "migraciones aplicadas: 0004" in done.output, done.output
    finally:
        get_settings.cache_clear()
    database = Database(sqlite_url)
    with database.read_session() as s:
        first = s.exec(select(Capture).where(Capture.capture_id == ids[0])).one()
    database.dispose()
    assert unseal_personal(Keyring(key), first.capture_id, first.personal) == SUPPORTERS[0]
