"""The engine fires at the right UTC instant across a daylight-saving change and in a zone without one."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import select

from tests.helpers import utc
from workflow.engine.engine import Engine
from workflow.engine.registry import ActionRegistry
from workflow.engine.store import CalendarStore
from workflow.records import Transition
from workflow.storage.db import Database

DATA = Path(__file__).resolve().parents[1] / "data" / "calendars"


def fired(db: Database) -> dict[tuple[str, str], datetime]:
    with db.write_session() as s:
        return {(t.phase_id, t.edge): t.scheduled_at for t in s.exec(select(Transition))}


def fires_exactly_at(db: Database, engine: Engine, key: tuple[str, str], instant: datetime) -> None:
    engine.reconcile(instant - timedelta(seconds=1))
    assert key not in fired(db)
    engine.reconcile(instant)
    assert fired(db)[key] == instant


def test_boundary_on_the_dst_change_in_monterrey(db: Database) -> None:
    # 3 Apr 2022: at 02:00 CST the clocks jumped to 03:00 CDT (UTC-6 → UTC-5).
    text = (DATA / "minimal.yaml").read_text()
    text = text.replace("    start: 2022-04-03\n", "    start: 2022-04-03T03:00\n")
    CalendarStore(db).apply(text, file="dst.yaml", author="t", reason="t", now=utc("2021-10-01T00:00:00Z"))
    engine = Engine(db, CalendarStore(db), ActionRegistry())
    fires_exactly_at(db, engine, ("dictamen", "end"), utc("2022-02-19T06:00:00Z"))  # CST, before the change
    fires_exactly_at(db, engine, ("campana", "start"), utc("2022-04-03T08:00:00Z"))  # 03:00 CDT
    fires_exactly_at(db, engine, ("campana", "end"), utc("2022-06-02T05:00:00Z"))  # midnight CDT


def test_zone_without_daylight_saving(db: Database) -> None:
    text = (DATA / "synthetic-quintana-roo-2022.yaml").read_text()
    CalendarStore(db).apply(text, file="qroo.yaml", author="t", reason="t", now=utc("2021-10-01T00:00:00Z"))
    engine = Engine(db, CalendarStore(db), ActionRegistry())
    fires_exactly_at(db, engine, ("convocatoria", "start"), utc("2022-01-07T15:00:00Z"))  # 10:00 EST (UTC-5)
    fires_exactly_at(db, engine, ("captacion-gubernatura", "end"), utc("2022-02-11T05:00:00Z"))
