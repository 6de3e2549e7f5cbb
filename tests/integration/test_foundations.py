"""Defects an outside review found in the foundations, each pinned by a test that failed before its fix: every entry
point goes through the composition root's rules, no clock option rewrites the past, reads cannot write, and a
server answers while its engine catches up."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlalchemy.exc import DBAPIError

from convoca.cli import main
from convoca.runtime import build
from convoca.server import build_app
from convoca.settings import Settings
from tests.helpers import free_port, utc, wait_for
from workflow.clock import FixedClock
from workflow.documents.service import DocumentService
from workflow.participants.service import NewAspirante
from workflow.records import ProcessRecord
from workflow.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
TEXT = DURANGO.read_text()
CANELAS = (
    '    - {inegi: "10002", ine: "002", name: Canelas, cabecera: Canelas, group: 3, lista_nominal: 3161, '
    "secciones: 14}\n"
)
GRACE = "late_upload_grace_hours: 24   # en 2018 se aceptaron al día siguiente"


def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", calendars_dir=ROOT / "calendars", database_url=database_url)


def apply_cli(path: Path, database_url: str, at: str, reason: str = "acuerdo") -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        [
            "calendar",
            "apply",
            str(path),
            "--reason",
            reason,
            "--database",
            database_url,
            "--clock",
            "fixed",
            "--at",
            at,
        ],
    )
    return result.exit_code, result.output


def test_cli_apply_keeps_the_rule_that_protects_registered_aspirantes(tmp_path: Path, database_url: str) -> None:
    runtime = build(FixedClock(utc("2021-12-20T12:00:00Z")), settings(tmp_path, database_url))
    services = runtime.services
    services.calendars.seed(ROOT / "calendars", services.clock.now())
    aspirante, _ = services.participants.create_aspirante(
        "durango-2021-2022",
        NewAspirante(name="Rosa Pérez", cargo="ayuntamiento", demarcacion="10002", constancia_date=date(2021, 12, 20)),
        services.clock.now(),
    )
    assert TEXT.count(CANELAS) == 1
    without_canelas = tmp_path / "durango.yaml"
    without_canelas.write_text(TEXT.replace(CANELAS, ""))
    code, output = apply_cli(without_canelas, database_url, "2021-12-21T00:00:00Z")
    assert code == 1, output
    assert "la demarcación «10002» de Rosa Pérez" in output and "no puede eliminarse del calendario" in output
    assert services.calendars.active("durango-2021-2022").version.number == 1
    progress = services.progress.of(aspirante, services.clock.now())  # was a KeyError (HTTP 500) once
    assert progress.required is not None and progress.window_state == "pendiente"
    runtime.close()


def test_a_clock_set_back_cannot_rewrite_what_the_engine_already_did(tmp_path: Path, database_url: str) -> None:
    runtime = build(FixedClock(utc("2022-02-13T00:00:00Z")), settings(tmp_path, database_url))
    calendars = runtime.services.calendars
    calendars.seed(ROOT / "calendars", utc("2021-10-01T00:00:00Z"))
    runtime.engine.reconcile(utc("2022-02-13T00:00:00Z"))  # the captación closed, and its grace ran out
    longer_grace = tmp_path / "grace.yaml"
    longer_grace.write_text(TEXT.replace(GRACE, "late_upload_grace_hours: 168"))
    code, output = apply_cli(longer_grace, database_url, "2022-01-20T00:00:00Z")  # a clock set back to January
    assert code == 1, output
    assert "el plazo para enviar apoyos de «captacion-gubernatura» vence o venció" in output

    runtime.engine.reconcile(utc("2022-06-07T00:00:00Z"))  # the election has been held
    new_phase = TEXT.replace(
        "  - id: jornada-electoral\n",
        "  - id: computo\n    name: Cómputo\n    kind: otra\n    start: 2022-05-01\n    end: 2022-05-01\n\n"
        "  - id: jornada-electoral\n",
    )
    later = tmp_path / "later.yaml"
    later.write_text(new_phase)
    code, output = apply_cli(later, database_url, "2022-03-01T00:00:00Z")
    assert code == 1, output
    assert "«computo»" in output
    assert calendars.active("durango-2021-2022").version.number == 1
    runtime.close()


def test_history_records_when_a_change_took_effect_and_when_it_was_really_stored(
    tmp_path: Path, database_url: str
) -> None:
    runtime = build(FixedClock(utc("2022-01-20T00:00:00Z")), settings(tmp_path, database_url))
    calendars = runtime.services.calendars
    calendars.seed(ROOT / "calendars", utc("2021-10-01T00:00:00Z"))
    runtime.engine.reconcile(utc("2022-01-20T00:00:00Z"))  # the captación is open
    extended = TEXT.replace(GRACE, "late_upload_grace_hours: 48")
    before = datetime.now(UTC)
    # The caller's clock says October, but the process has already lived until the captación's start.
    version = calendars.apply(extended, file="d.yaml", author="s", reason="r", now=utc("2021-10-02T00:00:00Z"))
    assert version.number == 2
    assert version.created_at >= utc("2022-01-02T06:00:00Z")  # no earlier than the last fired edge
    assert before - timedelta(seconds=1) <= version.recorded_at <= datetime.now(UTC) + timedelta(seconds=1)
    runtime.close()


def test_a_read_session_cannot_write(db: Database) -> None:
    with db.read_session() as s, pytest.raises(DBAPIError):
        s.add(
            ProcessRecord(
                id="p", name="p", timezone="America/Monterrey", active_version=1, created_at=utc("2022-01-01T00:00:00Z")
            )
        )
        s.commit()
    with db.write_session() as s:
        s.add(
            ProcessRecord(
                id="p", name="p", timezone="America/Monterrey", active_version=1, created_at=utc("2022-01-01T00:00:00Z")
            )
        )
        s.commit()
    with db.read_session() as s:
        assert s.get(ProcessRecord, "p") is not None


def test_the_server_answers_while_its_engine_catches_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    generate = DocumentService.generate

    def slow_generate(self, *args, **kwargs):
        release.wait(30)  # rendering the documents at the first start-up takes seconds
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(DocumentService, "generate", slow_generate)
    app = build_app(
        FixedClock(utc("2022-01-20T12:00:00Z")), Settings(data_dir=tmp_path, calendars_dir=ROOT / "calendars")
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        assert wait_for(lambda: server.started, timeout=20)
        response = httpx.get(f"http://127.0.0.1:{port}/api/v1/processes/durango-2021-2022", timeout=5)
        assert response.status_code == 200
        assert not app.state.scheduler.caught_up.is_set()  # the engine is still generating the documents
        release.set()
        assert app.state.scheduler.caught_up.wait(60)
    finally:
        release.set()
        server.should_exit = True
        thread.join(15)
