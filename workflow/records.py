"""The phase engine's persistent state: processes, calendar versions, fired transitions and their action runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.db import UTCDateTime


def _instant(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


class ProcessRecord(SQLModel, table=True):
    __tablename__ = "process"

    id: str = Field(primary_key=True, max_length=80)
    name: str
    timezone: str
    active_version: int = Field(description="Number of the calendar version in force.")
    created_at: datetime = _instant(nullable=False)


class CalendarVersion(SQLModel, table=True):
    __tablename__ = "calendar_version"
    __table_args__ = (UniqueConstraint("process_id", "number", name="uq_calendar_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    number: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    author: str
    reason: str
    created_at: datetime = _instant(nullable=False)  # when it took effect, in the process's clock
    recorded_at: datetime = _instant(nullable=False)  # when it was stored, in real time


class Transition(SQLModel, table=True):
    """A phase edge that has fired. The unique key makes each edge fire once, whatever processes race for it."""

    __tablename__ = "transition"
    __table_args__ = (UniqueConstraint("process_id", "phase_id", "edge", name="uq_transition_edge"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    phase_id: str = Field(max_length=80)
    edge: str = Field(max_length=5, description="start or end")
    scheduled_at: datetime = _instant(nullable=False)
    fired_at: datetime = _instant(nullable=False)
    late: bool = False
    calendar_version: int
    fired_by: str = Field(description="Engine instance that fired it.")


class ActionRun(SQLModel, table=True):
    """One action of a transition. Claimed with a conditional update and a lease, retried with backoff."""

    __tablename__ = "action_run"
    __table_args__ = (UniqueConstraint("transition_id", "position", name="uq_action_run_position"),)

    id: int | None = Field(default=None, primary_key=True)
    transition_id: int = Field(foreign_key="transition.id", index=True)
    position: int
    action: str
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    status: str = Field(default="pending", index=True, description="pending, running, succeeded, failed")
    attempts: int = 0
    next_attempt_at: datetime | None = _instant(nullable=True)
    lease_until: datetime | None = _instant(nullable=True)
    claimed_by: str | None = None
    started_at: datetime | None = _instant(nullable=True)
    finished_at: datetime | None = _instant(nullable=True)
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
