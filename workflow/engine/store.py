"""Calendar versions in the database: the first load of a process, amendments, and the version in force."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path as FsPath

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from workflow.calendar.loader import CalendarError, LoadedCalendar, parse_calendar
from workflow.calendar.model import Calendar
from workflow.calendar.source import Path, Problem, read_yaml
from workflow.clock import Clock, SystemClock
from workflow.errors import DomainError, ErrorKind
from workflow.records import CalendarVersion, ProcessRecord, Transition
from workflow.storage.db import Database

from .amendments import amendment_problems


class UnknownProcess(DomainError):
    def __init__(self, process_id: str) -> None:
        super().__init__(ErrorKind.not_found, f"el proceso «{process_id}» no existe")
        self.process_id = process_id


@dataclass(frozen=True)
class ActiveCalendar:
    version: CalendarVersion
    loaded: LoadedCalendar

    @property
    def calendar(self):
        return self.loaded.calendar


# A check another package adds (e.g. participants: a cargo with aspirantes cannot disappear): in the amendment's
# transaction, the problems, as (path in the calendar, Spanish message), of putting a calendar in force.
AmendmentCheck = Callable[[Session, str, Calendar], list[tuple[Path, str]]]


class ConcurrentChange(CalendarError):
    def __init__(self, file: str) -> None:
        super().__init__(
            [Problem(file, 1, 1, "otro cambio del calendario se aplicó al mismo tiempo; vuelva a intentarlo")],
            ErrorKind.conflict,
        )


class CalendarStore:
    """``recorder`` is the real-time clock that stamps when each version was stored, whatever the process's clock."""

    def __init__(self, db: Database, recorder: Clock | None = None) -> None:
        self.db = db
        self.recorder = recorder or SystemClock()
        self.amendment_checks: list[AmendmentCheck] = []
        self._parsed: dict[str, LoadedCalendar] = {}  # by sha256: versions never change once stored

    def _parse(self, version: CalendarVersion) -> LoadedCalendar:
        loaded = self._parsed.get(version.sha256)
        if loaded is None:
            loaded = parse_calendar(version.text, f"{version.process_id}@v{version.number}")
            self._parsed[version.sha256] = loaded
        return loaded

    def process_ids(self) -> list[str]:
        with self.db.read_session() as s:
            return list(s.exec(select(ProcessRecord.id).order_by(ProcessRecord.id)))

    def processes(self) -> list[ProcessRecord]:
        with self.db.read_session() as s:
            return list(s.exec(select(ProcessRecord).order_by(ProcessRecord.id)))

    def active(self, process_id: str) -> ActiveCalendar:
        with self.db.read_session() as s:
            proc = s.get(ProcessRecord, process_id)
            if proc is None:
                raise UnknownProcess(process_id)
            version = s.exec(
                select(CalendarVersion).where(
                    CalendarVersion.process_id == process_id, CalendarVersion.number == proc.active_version
                )
            ).one()
        return ActiveCalendar(version, self._parse(version))

    def history(self, process_id: str) -> list[tuple[CalendarVersion, LoadedCalendar]]:
        with self.db.read_session() as s:
            if s.get(ProcessRecord, process_id) is None:
                raise UnknownProcess(process_id)
            versions = s.exec(
                select(CalendarVersion)
                .where(CalendarVersion.process_id == process_id)
                .order_by(col(CalendarVersion.number))
            ).all()
        return [(v, self._parse(v)) for v in versions]

    def apply(
        self, text: str, *, file: str, author: str, reason: str, now: datetime, process_id: str | None = None
    ) -> CalendarVersion:
        """Validate ``text`` and store it as the version in force. Raises ``CalendarError`` (nothing stored) if it
        is invalid or changes the past. Applying the text already in force stores nothing and returns it.

        The change is judged, and takes effect, at ``now`` or at the latest instant the process has already lived
        (the last fired edge, the last version), whichever is later: a clock set back cannot rewrite the past."""
        if not reason.strip():
            raise CalendarError(
                [Problem(file, 1, 1, "indique el motivo del cambio (p. ej. el acuerdo que lo aprueba)")]
            )
        loaded = self._parsed_for(text, file, process_id)
        cal = loaded.calendar
        with self.db.write_session() as s:
            proc = s.get(ProcessRecord, cal.process.id)
            if proc is None:
                proc = ProcessRecord(
                    id=cal.process.id,
                    name=cal.process.name,
                    timezone=cal.process.timezone,
                    active_version=0,
                    created_at=now,
                )
                s.add(proc)
                try:
                    s.flush()  # the version row refers to it
                except IntegrityError:
                    raise ConcurrentChange(file) from None  # another process created it at the same moment
                number = 1
            else:
                current, now = self._judge(s, proc, loaded, text, file, now)
                if current.sha256 == loaded.sha256:
                    return current
                number = proc.active_version + 1
            version = CalendarVersion(
                process_id=proc.id,
                number=number,
                text=text,
                sha256=loaded.sha256,
                author=author,
                reason=reason.strip(),
                created_at=now,
                recorded_at=self.recorder.now(),
            )
            s.add(version)
            proc.active_version = number
            proc.name, proc.timezone = cal.process.name, cal.process.timezone
            try:
                s.commit()
            except IntegrityError:
                raise ConcurrentChange(file) from None
        self._parsed[loaded.sha256] = loaded
        return version

    def check(self, text: str, *, file: str, now: datetime, process_id: str | None = None) -> LoadedCalendar:
        """What ``apply`` would say of ``text``, storing nothing: the calendar it would put in force, or a
        ``CalendarError`` with every problem (invalid, another process, a change to the past)."""
        loaded = self._parsed_for(text, file, process_id)
        with self.db.read_session() as s:
            proc = s.get(ProcessRecord, loaded.calendar.process.id)
            if proc is not None:
                self._judge(s, proc, loaded, text, file, now)
        return loaded

    def _parsed_for(self, text: str, file: str, process_id: str | None) -> LoadedCalendar:
        loaded = parse_calendar(text, file)
        cal = loaded.calendar
        if process_id is not None and cal.process.id != process_id:
            _, source, _ = read_yaml(text, file)
            raise CalendarError(
                [
                    source.problem(
                        ("process", "id"), f"el calendario es del proceso «{cal.process.id}», no de «{process_id}»"
                    )
                ]
            )
        return loaded

    def _judge(
        self, s: Session, proc: ProcessRecord, loaded: LoadedCalendar, text: str, file: str, now: datetime
    ) -> tuple[CalendarVersion, datetime]:
        """The version in force and the instant an amendment takes effect; raises ``CalendarError`` when ``loaded``
        may not replace it (unless it is the same text)."""
        current = s.exec(
            select(CalendarVersion).where(
                CalendarVersion.process_id == proc.id, CalendarVersion.number == proc.active_version
            )
        ).one()
        if current.sha256 == loaded.sha256:
            return current, now
        transitions = s.exec(select(Transition).where(Transition.process_id == proc.id)).all()
        fired = {(t.phase_id, t.edge) for t in transitions}
        lived = [current.created_at, *(max(t.fired_at, t.scheduled_at) for t in transitions)]
        now = max(now, *lived)
        problems = amendment_problems(self._parse(current).calendar, loaded.calendar, now, fired)
        for check in self.amendment_checks:
            problems += check(s, proc.id, loaded.calendar)
        if problems:
            _, source, _ = read_yaml(text, file)
            raise CalendarError([source.problem(path, message) for path, message in problems])
        return current, now

    def seed(self, directory: FsPath, now: datetime) -> list[CalendarVersion]:
        """Store each calendar file of ``directory`` whose process is not in the database yet (version 1).
        Later edits to a file take effect only through ``apply``, with a reason."""
        known = set(self.process_ids())
        created = []
        for path in sorted(directory.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            loaded = parse_calendar(text, str(path))
            if loaded.calendar.process.id in known:
                continue
            try:
                created.append(
                    self.apply(text, file=str(path), author="convoca", reason=f"carga inicial de {path.name}", now=now)
                )
            except ConcurrentChange:
                if loaded.calendar.process.id not in self.process_ids():
                    raise
                # another worker seeded it at the same moment
        return created
