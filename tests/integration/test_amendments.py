"""Calendar amendments: what may change while the process is under way, and how the engine follows."""

from __future__ import annotations

import json
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from convoca.cli import main
from convoca.gestor.synthetic import CaptureGenerator
from tests.helpers import utc
from workflow.calendar.loader import CalendarError
from workflow.captures.model import CaptureData
from workflow.captures.service import CaptureService
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.service import NewAspirante, NewGestor, Participants
from workflow.records import Transition
from workflow.storage.db import Database
from workflow.storage.files import SealedBlobStore
from workflow.storage.keys import Keyring

ROOT = Path(__file__).resolve().parents[2]
DURANGO = ROOT / "calendars" / "durango-2021-2022.yaml"
TEXT = DURANGO.read_text()
CAPTURE_END = "    end: 2022-02-10\n    late_upload_grace_hours: 24   # en 2018"


def amended(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def extend_gubernatura(end: str = "2022-02-12", text: str = TEXT) -> str:
    """Extend the Gubernatura capture to ``end`` and start verification the day after (as an acuerdo would)."""
    text = amended(CAPTURE_END, CAPTURE_END.replace("2022-02-10", end), text)
    return amended("    start: 2022-02-11\n", "    start: 2022-02-13\n", text)


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


@pytest.fixture
def store(db: Database) -> CalendarStore:
    s = CalendarStore(db)
    s.apply(TEXT, file="durango.yaml", author="secretaría", reason="IEPC/CG121/2021", now=utc("2021-10-01T00:00:00Z"))
    return s


def test_extending_an_open_window_takes_effect_at_once(db: Database, store: CalendarStore) -> None:
    engine = Engine(db, CalendarStore(db), ActionRegistry())
    now = utc("2022-02-09T18:00:00Z")
    engine.reconcile(now)
    text = extend_gubernatura()
    version = store.apply(text, file="d.yaml", author="secretaría", reason="IEPC/CG010/2022", now=now)
    assert version.number == 2 and store.active("durango-2021-2022").version.number == 2
    engine.reconcile(utc("2022-02-11T06:00:00Z"))  # the old close
    fired = {(t.phase_id, t.edge) for t in _transitions(db)}
    assert ("captacion-gubernatura", "end") not in fired
    assert ("captacion-ayuntamientos", "end") in fired  # not amended
    engine.reconcile(utc("2022-02-13T05:59:59Z"))
    assert ("captacion-gubernatura", "end") not in {(t.phase_id, t.edge) for t in _transitions(db)}
    engine.reconcile(utc("2022-02-13T06:00:00Z"))
    close = next(t for t in _transitions(db) if (t.phase_id, t.edge) == ("captacion-gubernatura", "end"))
    assert close.scheduled_at == utc("2022-02-13T06:00:00Z") and close.calendar_version == 2
    assert not close.late


def test_a_running_capture_service_takes_an_extension_at_once(
    db: Database, store: CalendarStore, tmp_path: Path
) -> None:
    """The capture service keeps each aspirante's window per calendar version: an amendment is a new version, so
    the very next capture is judged by the extended window, not by the one computed before."""
    keyring = Keyring(secrets.token_bytes(32))
    people = Participants(db, store, keyring)
    applied = utc("2022-01-05T12:00:00Z")
    new = NewAspirante(name="Ana", cargo="gubernatura", demarcacion="10", constancia_date=date(2021, 12, 20))
    aspirante, _ = people.create_aspirante("durango-2021-2022", new, applied)
    gestor, _ = people.register_gestor(aspirante, NewGestor(name="Pedro", clave_elector="GOMEJU85031210H300"), applied)
    service = CaptureService(db, store, SealedBlobStore(tmp_path / "captures", keyring), keyring)
    generator = CaptureGenerator(seed=5)

    def send(i: int, at: str) -> None:
        capture = generator.capture(i, utc(at) - timedelta(hours=1))
        service.submit(gestor, CaptureData.model_validate(capture.data), capture.images, utc(at))

    send(0, "2022-02-10T12:00:00Z")  # inside the window as published: its window is now known to the service
    with pytest.raises(DomainError) as refused:
        send(1, "2022-02-12T12:00:00Z")  # after the close and its grace
    assert refused.value.kind is ErrorKind.conflict and "cerró el" in str(refused.value)
    store.apply(extend_gubernatura(), file="d.yaml", author="secretaría", reason="IEPC/CG010/2022", now=applied)
    send(2, "2022-02-12T12:00:00Z")  # the same instant, under the amended calendar: accepted


def test_reopening_a_closed_window_is_refused(store: CalendarStore) -> None:
    text = extend_gubernatura()
    with pytest.raises(CalendarError) as exc:
        store.apply(text, file="d.yaml", author="s", reason="r", now=utc("2022-02-11T07:00:00Z"))
    problem, moved_start = exc.value.problems
    assert problem.line == line_of(text, "end: 2022-02-12") and problem.column == 10
    assert "«captacion-gubernatura» cerró el 2022-02-10 24:00 CST" in problem.message
    assert "no puede reabrirse" in problem.message
    assert "«verificacion» ya inició el 2022-02-11 00:00 CST" in moved_start.message
    assert store.active("durango-2021-2022").version.number == 1


def test_moving_a_past_start_is_refused(store: CalendarStore) -> None:
    text = amended("    start: 2022-01-02\n", "    start: 2022-01-05\n")
    with pytest.raises(CalendarError) as exc:
        store.apply(text, file="d.yaml", author="s", reason="r", now=utc("2022-01-03T00:00:00Z"))
    (problem,) = exc.value.problems
    assert problem.line == line_of(text, "start: 2022-01-05")
    assert "«captacion-gubernatura» ya inició" in problem.message and "no puede moverse" in problem.message


def test_closing_an_open_window_in_the_past_is_refused(store: CalendarStore) -> None:
    text = amended(CAPTURE_END, "    end: 2022-01-20\n    late_upload_grace_hours: 24   # en 2018")
    with pytest.raises(CalendarError) as exc:
        store.apply(text, file="d.yaml", author="s", reason="r", now=utc("2022-01-25T00:00:00Z"))
    assert "no al pasado" in exc.value.problems[0].message


def test_shortening_an_open_window_into_the_future_is_accepted(store: CalendarStore) -> None:
    text = amended(CAPTURE_END, "    end: 2022-02-05\n    late_upload_grace_hours: 24   # en 2018")
    assert store.apply(text, file="d.yaml", author="s", reason="r", now=utc("2022-01-25T00:00:00Z")).number == 2


def test_editing_a_future_phase_is_accepted_and_removing_a_started_one_is_not(store: CalendarStore) -> None:
    now = utc("2022-01-03T00:00:00Z")
    text = amended("    start: 2022-03-22\n    end: 2022-03-29\n", "    start: 2022-03-23\n    end: 2022-03-30\n")
    assert store.apply(text, file="d.yaml", author="s", reason="IEPC/CG001/2022", now=now).number == 2
    start = text.index("  - id: protocolo")
    end = text.index("  - id: manifestacion-intencion")
    removed = text[:start] + text[end:]
    with pytest.raises(CalendarError) as exc:
        store.apply(removed, file="d.yaml", author="s", reason="r", now=now)
    assert any("«protocolo» ya inició" in p.message for p in exc.value.problems)


def test_a_new_phase_cannot_start_in_the_past(store: CalendarStore) -> None:
    extra = "\n  - id: foro\n    name: Foro informativo\n    kind: otra\n    start: 2022-01-01\n    end: 2022-01-20\n"
    with pytest.raises(CalendarError) as exc:
        store.apply(
            amended("\n\n# Textos propios", extra + "\n# Textos propios"),
            file="d.yaml",
            author="s",
            reason="r",
            now=utc("2022-01-10T00:00:00Z"),
        )
    assert "«foro» empezaría el 2022-01-01 00:00 CST, que ya pasó" in exc.value.problems[0].message


def test_an_invalid_amendment_changes_nothing(store: CalendarStore) -> None:
    with pytest.raises(CalendarError):
        store.apply(
            TEXT.replace("kind: dictamen", "kind: dictamne"),
            file="d.yaml",
            author="s",
            reason="r",
            now=utc("2022-01-10T00:00:00Z"),
        )
    assert [v.number for v, _ in store.history("durango-2021-2022")] == [1]


def test_reapplying_the_same_text_stores_nothing(store: CalendarStore) -> None:
    assert store.apply(TEXT, file="d.yaml", author="s", reason="r", now=utc("2022-01-10T00:00:00Z")).number == 1


def _transitions(db: Database) -> list[Transition]:
    with db.write_session() as s:
        return list(s.exec(select(Transition).order_by(Transition.id)))


def test_cli_apply_and_history(tmp_path: Path, sqlite_url: str) -> None:
    runner = CliRunner()
    first = runner.invoke(
        main,
        [
            "calendar",
            "apply",
            str(DURANGO),
            "--reason",
            "IEPC/CG121/2021",
            "--author",
            "secretaría",
            "--database",
            sqlite_url,
            "--clock",
            "fixed",
            "--at",
            "2021-10-01T00:00:00Z",
        ],
    )
    assert first.exit_code == 0, first.output
    assert "durango-2021-2022: versión 1 vigente" in first.output
    extended = tmp_path / "durango.yaml"
    extended.write_text(extend_gubernatura())
    second = runner.invoke(
        main,
        [
            "calendar",
            "apply",
            str(extended),
            "--reason",
            "IEPC/CG010/2022",
            "--author",
            "secretaría",
            "--database",
            sqlite_url,
            "--clock",
            "fixed",
            "--at",
            "2022-02-09T00:00:00Z",
        ],
    )
    assert second.exit_code == 0, second.output
    refused = runner.invoke(
        main,
        [
            "calendar",
            "apply",
            str(DURANGO),
            "--reason",
            "volver",
            "--database",
            sqlite_url,
            "--clock",
            "fixed",
            "--at",
            "2022-02-20T00:00:00Z",
        ],
    )
    assert refused.exit_code == 1
    assert "cambio rechazado; la versión vigente no se modificó" in refused.output
    assert f"{DURANGO}:" in refused.output and "cerró el 2022-02-12 24:00 CST" in refused.output
    history = runner.invoke(main, ["calendar", "history", "durango-2021-2022", "--database", sqlite_url])
    assert history.exit_code == 0, history.output
    lines = history.output.splitlines()
    # When each version took effect in the process's clock, and when it was really stored.
    assert lines[0].startswith("v1  vigente desde 2021-09-30 19:00 CDT  registrada ")
    assert "  secretaría  " in lines[0] and lines[0].endswith("IEPC/CG121/2021")
    assert lines[1].startswith("v2  vigente desde 2022-02-08 18:00 CST  registrada ")
    assert "  secretaría  " in lines[1] and lines[1].endswith("IEPC/CG010/2022")
    assert [line.strip() for line in lines[2:]] == [
        "~ captacion-gubernatura: fin 2022-02-10 24:00 CST → 2022-02-12 24:00 CST",
        "~ verificacion: inicio 2022-02-11 00:00 CST → 2022-02-13 00:00 CST",
    ]
    missing = runner.invoke(main, ["calendar", "history", "no-existe", "--database", sqlite_url])
    assert missing.exit_code == 1 and "el proceso «no-existe» no existe" in missing.output


def test_engine_run_cli_replays_the_process(tmp_path: Path, sqlite_url: str) -> None:
    result = CliRunner().invoke(
        main,
        [
            "engine",
            "run",
            "--database",
            sqlite_url,
            "--calendars",
            str(ROOT / "calendars"),
            "--clock",
            "accelerated",
            "--from",
            "2022-02-10T23:00:00-06:00",
            "--speed",
            "3600",
            "--until",
            "2022-02-11T01:00:00-06:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "calendario cargado: durango-2021-2022 (versión 1)" in result.output
    db = Database(sqlite_url)
    rows = {(t.phase_id, t.edge): t for t in _transitions(db)}
    assert rows[("captacion-gubernatura", "end")].scheduled_at == utc("2022-02-11T06:00:00Z")
    assert not rows[("captacion-gubernatura", "end")].late
    assert rows[("convocatoria", "start")].late  # caught up at start-up
    assert ("verificacion", "end") not in rows
    assert timedelta(0) <= rows[("captacion-gubernatura", "end")].fired_at - utc("2022-02-11T06:00:00Z")


def test_show_with_a_database_reports_fired_edges(sqlite_url: str) -> None:
    runner = CliRunner()
    ran = runner.invoke(
        main,
        [
            "engine",
            "run",
            "--once",
            "--database",
            sqlite_url,
            "--calendars",
            str(ROOT / "calendars"),
            "--clock",
            "fixed",
            "--at",
            "2022-01-05T00:00:00Z",
        ],
    )
    assert ran.exit_code == 0, ran.output
    shown = runner.invoke(
        main,
        ["calendar", "show", "durango-2021-2022", "--database", sqlite_url, "--json", "--at", "2022-01-05T00:00:00Z"],
    )
    assert shown.exit_code == 0, shown.output
    phases = {p["id"]: p for p in json.loads(shown.output)["phases"]}
    gub = phases["captacion-gubernatura"]
    assert gub["state"] == "abierta"
    assert gub["start_fired"] == {"fired_at": "2022-01-05T00:00:00Z", "late": True} and gub["end_fired"] is None
    assert phases["captacion-ayuntamientos"]["start_fired"] is None
    table = runner.invoke(
        main, ["calendar", "show", str(DURANGO), "--database", sqlite_url, "--at", "2022-01-05T00:00:00Z"]
    )
    assert "INICIO DISPARADO" in table.output
    row = next(line for line in table.output.splitlines() if line.startswith("captacion-gubernatura"))
    assert row.split()[-3:] == ["sí,", "tarde", "no"]
    unknown = runner.invoke(main, ["calendar", "show", "otro-proceso", "--database", sqlite_url])
    assert unknown.exit_code == 1 and "el proceso «otro-proceso» no existe" in unknown.output


def test_amendment_runs_its_registered_actions_once(db: Database, store: CalendarStore) -> None:
    calls: list[tuple[int, str, object]] = []
    registry = ActionRegistry()
    registry.register(
        "refresh", lambda ctx: calls.append((ctx.calendar_version, ctx.edge, ctx.phase)) or {}, on_amendment=True
    )
    engine = Engine(db, CalendarStore(db), registry)
    now = utc("2022-02-09T18:00:00Z")
    engine.reconcile(now)
    assert calls == []  # the first version is no amendment
    store.apply(extend_gubernatura(), file="d.yaml", author="s", reason="IEPC/CG010/2022", now=now)
    later = now + timedelta(minutes=5)
    assert engine.next_wake(later) == later
    report = engine.reconcile(later)
    assert [(f.phase_id, f.edge) for f in report.fired] == [("calendario-v2", "amend")]
    assert calls == [(2, "amend", None)]
    engine.reconcile(later + timedelta(minutes=5))
    assert calls == [(2, "amend", None)]


GRACE = "late_upload_grace_hours: 24   # en 2018 se aceptaron al día siguiente"


def test_an_expired_grace_cannot_be_reopened_nor_a_started_captacion_change_its_cargos(store: CalendarStore) -> None:
    after_grace = utc("2022-02-13T00:00:00Z")  # the grace of 24 h ended at 2022-02-12T06:00Z
    with pytest.raises(CalendarError) as exc:
        store.apply(
            amended(GRACE, "late_upload_grace_hours: 168"), file="d.yaml", author="s", reason="r", now=after_grace
        )
    assert "el plazo para enviar apoyos de «captacion-gubernatura»" in exc.value.problems[0].message
    narrowed = amended(
        "    cargos: [ayuntamiento]\n    start: 2022-01-12\n",
        "    cargos: [ayuntamiento]\n    groups: [1]\n    start: 2022-01-12\n",
    )
    with pytest.raises(CalendarError) as exc:
        store.apply(narrowed, file="d.yaml", author="s", reason="r", now=utc("2022-01-20T00:00:00Z"))
    assert any("no puede cambiar los grupos" in p.message for p in exc.value.problems)
    # Inside the grace the limit may still be extended, into the future.
    inside = utc("2022-02-11T12:00:00Z")
    assert (
        store.apply(
            amended(GRACE, "late_upload_grace_hours: 48"), file="d.yaml", author="s", reason="r", now=inside
        ).number
        == 2
    )


def test_fired_edges_count_as_past_whatever_the_callers_clock(db: Database, store: CalendarStore) -> None:
    Engine(db, CalendarStore(db), ActionRegistry()).reconcile(utc("2022-02-12T00:00:00Z"))  # the captación has closed
    # A caller whose clock says it is still January cannot move the close that already fired.
    with pytest.raises(CalendarError) as exc:
        store.apply(extend_gubernatura(), file="d.yaml", author="s", reason="r", now=utc("2022-01-20T00:00:00Z"))
    assert any("cerró el 2022-02-10 24:00 CST" in p.message for p in exc.value.problems)
