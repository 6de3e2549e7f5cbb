"""Verification runs: one cargo's apoyos against the roll in force, recorded with their inputs and results.

A run is keyed (``run_key``): the engine's action, the daily preliminary report and the final run after the grace
period each happen once, and a run killed half-way is taken over by the next attempt with the inputs it recorded
when it started (the same cut-off and the same last capture), so it gives what an uninterrupted run would have.
Every result of a run is written in one transaction with the run's status: a run is either done, with all its
rows, or has none. A run on inputs a finished run already had changes nothing and returns that run — except the
final one, which records that the cargo's windows have all closed.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar, Demarcacion
from workflow.captures.records import Capture
from workflow.captures.windows import window_for
from workflow.documents.records import DocumentVersion
from workflow.documents.service import DocumentService
from workflow.documents.spanish import short_date
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante
from workflow.storage.db import Database

from .audiencia import audiencia_window, latest_run
from .desk import ReviewDesk
from .dictamen import ReviewFigures, dictamen_kind, generate_dictamen
from .distributed import Classifier, in_process
from .exports import write_exports
from .outcomes import run_outcomes
from .records import ApoyoResult, CaptureTriage, ReviewDecision, RollVersion, VerificationRun
from .registral import APOYOS_SCHEMA, DISTRICTS_SCHEMA, RULES_VERSION
from .roll import RollStore
from .triage import cross_capture_flags
from .triage_stage import TriageStage
from .verdict import AspiranteVerdict, verdicts

# A run still marked running after this long was interrupted: the next attempt takes it over. (The engine's own
# runs, kind None, are taken over at once: the engine's lease already makes their attempts exclusive.)
STALE = timedelta(minutes=30)


class RunKind:
    preliminar = "preliminar"  # during the window, or before the grace period is over
    final = "final"  # every window of the cargo closed, grace included
    manual = "manual"  # asked for by the OPLE (command line or API)


@dataclass(frozen=True)
class RunReport:
    run: VerificationRun  # its verdicts are in ``run.counts`` (``verdicts_of``)
    reused: bool  # an earlier run had the same inputs (or the same key) and stands


def _verdict_json(v: AspiranteVerdict) -> dict[str, Any]:
    out = asdict(v)
    out |= {"quota_met": v.quota_met, "meets": v.meets, "missing": v.missing}
    return out


def verdicts_of(run: VerificationRun) -> list[dict[str, Any]]:
    return list((run.counts or {}).get("aspirantes", []))


class VerificationService:
    def __init__(
        self,
        db: Database,
        calendars: CalendarStore,
        rolls: RollStore,
        exports_dir: Path,
        *,
        thresholds_version: str = "",
        classifier: Classifier = in_process,
        documents: DocumentService | None = None,
        triage: TriageStage | None = None,
        desk: ReviewDesk | None = None,
    ) -> None:
        self.db = db
        self.calendars = calendars
        self.rolls = rolls
        self.exports_dir = exports_dir
        self.thresholds_version = thresholds_version
        self.classifier = classifier
        self.documents = documents  # when given, every finished run gets its dictamen
        self.triage = triage  # when given, a run first triages what the background stage has not yet
        self.desk = desk  # when given, each run sends its apoyos to the mesa de control as the calendar says

    # -- inputs ----------------------------------------------------------------------------------------------------

    def aspirantes(self, process_id: str, cargo_id: str) -> list[Aspirante]:
        with self.db.read_session() as s:
            return list(
                s.exec(
                    select(Aspirante)
                    .where(Aspirante.process_id == process_id, Aspirante.cargo_id == cargo_id)
                    .order_by(col(Aspirante.id))
                )
            )

    def complete_at(self, cal: Calendar, aspirantes: list[Aspirante]) -> datetime | None:
        """When the last window of these aspirantes closes, grace included (None: no window at all)."""
        ends = []
        for a in aspirantes:
            w = window_for(cal, a.cargo_id, a.demarcacion_id, a.constancia_date)
            if w is not None:
                ends.append(w.end + w.grace)
        return max(ends) if ends else None

    def _apoyos(self, ids: list[int], received_before: datetime, up_to: int) -> tuple[dict[str, list[Any]], pa.Table]:
        """The apoyos of these aspirantes received before the cut-off (row ids up to ``up_to``), column by column,
        and whether each one's image triage flagged it."""
        capture = Capture.__table__.c  # type: ignore[attr-defined]
        triage = CaptureTriage.__table__.c  # type: ignore[attr-defined]
        names = ["id", "folio", "aspirante_id", "received_at", "clave_lookup", "ocr_lookup", "cic_lookup"]
        query = (
            sa_select(*(capture[n] for n in names), triage.flags)
            .outerjoin(CaptureTriage.__table__, triage.capture_id == capture.id)  # type: ignore[attr-defined]
            .where(capture.aspirante_id.in_(ids), capture.received_at < received_before, capture.id <= up_to)
            .order_by(capture.id)
        )
        with self.db.read_session() as s:
            rows = s.execute(query).all()
        columns: list[list[Any]] = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(8)]
        data = {("capture_id" if n == "id" else n): columns[i] for i, n in enumerate(names)}
        flagged = pa.table(
            {
                "capture_id": pa.array(data["capture_id"], pa.int64()),
                # typed: with no apoyos yet (a window just opened) an untyped empty list would be a null column
                "flagged": pa.array([bool(f) for f in columns[-1]], pa.bool_()),
            }
        )
        return data, flagged

    # -- the run ---------------------------------------------------------------------------------------------------

    def run(
        self,
        process_id: str,
        cargo_id: str,
        now: datetime,
        *,
        kind: str | None = RunKind.manual,
        run_key: str | None = None,
    ) -> RunReport:
        """Verify a cargo now. ``kind`` None: final when every window of the cargo has closed, grace included,
        otherwise preliminar."""
        cal = self.calendars.active(process_id).calendar
        try:
            cargo = cal.cargo(cargo_id)
        except KeyError:
            raise DomainError(
                ErrorKind.not_found,
                f"el cargo «{cargo_id}» no está en el calendario; cargos: {', '.join(c.id for c in cal.cargos)}",
                "cargo",
            ) from None
        roll = self.rolls.current(process_id)
        if roll is None:
            raise DomainError(
                ErrorKind.conflict,
                f"no hay Lista Nominal cargada para el proceso «{process_id}»; cárguela con «convoca roll load»",
            )
        assert roll.id is not None
        aspirantes = self.aspirantes(process_id, cargo_id)
        ids = [a.id for a in aspirantes if a.id is not None]

        existing = self._by_key(run_key) if run_key else None
        if existing is not None and existing.status == "done":
            self._dictamen(existing, roll, now)  # an attempt may have stopped between the run and its dictamen
            return RunReport(existing, reused=True)
        if existing is not None and kind is not None and now - existing.started_at < STALE:
            return RunReport(existing, reused=True)  # another worker is running it now
        if existing is not None:  # an attempt that did not finish: same inputs as it recorded
            received_before, up_to = existing.received_before, existing.captures_up_to
        else:
            received_before, up_to = now, self._last_capture(ids)

        if self.triage is not None and existing is None:
            self.triage.run_pending(process_id)
        data, flagged = self._apoyos(ids, received_before, up_to)
        reuse = self._reuse_flags(process_id)
        if reuse:
            reused_ids = pa.array(sorted(reuse), pa.int64())
            flagged = flagged.set_column(
                1, "flagged", pc.or_(flagged["flagged"], pc.is_in(flagged["capture_id"], value_set=reused_ids))
            )
        inputs = self._inputs_hash(roll, cargo_id, data, flagged)
        complete_at = self.complete_at(cal, aspirantes)
        complete = complete_at is not None and complete_at <= received_before
        if kind is None:
            kind = RunKind.final if complete else RunKind.preliminar
        if existing is None and kind != RunKind.final:  # the final run is recorded even if nothing changed
            same = self._done_with_inputs(process_id, cargo_id, inputs)
            if same is not None:
                return RunReport(same, reused=True)
        run = existing or VerificationRun(
            run_key=run_key or f"manual:{process_id}:{cargo_id}:{now.isoformat()}:{inputs[:16]}",
            process_id=process_id,
            cargo_id=cargo_id,
            kind=kind,
            complete=complete,
            roll_version_id=roll.id,
            received_before=received_before,
            captures_up_to=up_to,
            rules_version=RULES_VERSION,
            thresholds_version=self.thresholds_version,
            inputs_sha256=inputs,
            status="running",
            started_at=now,
        )
        if existing is None:
            claimed = self._claim(run)
            if claimed is not run:
                return RunReport(claimed, reused=True)
        assert run.id is not None

        started = time.monotonic()
        dem = {a.id: a.demarcacion_id for a in aspirantes}
        apoyos = pa.table(
            {
                **{k: data[k] for k in ("capture_id", "folio", "aspirante_id")},
                "cargo_id": [cargo_id] * len(data["capture_id"]),
                "demarcacion_id": [dem[a] for a in data["aspirante_id"]],
                **{k: data[k] for k in ("received_at", "clave_lookup", "ocr_lookup", "cic_lookup")},
            },
            schema=APOYOS_SCHEMA,
        )
        roll_path = str(self.rolls.parquet_path(roll))
        results = self.classifier(
            apoyos,
            roll_path,
            scope=cargo.demarcacion.value,
            entity=cal.process.entity_key,
            cut_date=short_date(roll.cut_date),
            districts=_districts(cal) if cargo.demarcacion is Demarcacion.distrito else None,
        )
        results = results.join(flagged, "capture_id").sort_by("capture_id")
        con = duckdb.connect()
        try:
            found = verdicts(
                con,
                cal,
                cargo,
                results,
                [{"id": a.id, "name": a.name, "demarcacion_id": a.demarcacion_id} for a in aspirantes],
                roll_path,
            )
        finally:
            con.close()
        duration = time.monotonic() - started
        write_exports(self.exports_dir, run, results)
        self._finish(run, results, found, now, duration, received_before, cal)
        if self.desk is not None:
            self.desk.enqueue(run, reuse, now)
        self._dictamen(run, roll, now)
        return RunReport(run, reused=False)

    def _dictamen(self, run: VerificationRun, roll: RollVersion, now: datetime) -> DocumentVersion | None:
        """The run's dictamen, unless a later run of the cargo stands (its dictamen must not be overwritten by
        older figures), with what the mesa de control and the garantía de audiencia decided so far. Idempotent:
        the same figures make no new version."""
        if self.documents is None or run.status != "done" or not verdicts_of(run):
            return None
        latest = self.latest(run.process_id, run.cargo_id)
        if latest is not None and latest.id != run.id:
            return None
        review = self.review_figures(run, now) if self.desk is not None else None
        return generate_dictamen(self.documents, run, roll, now, review=review)

    def refresh_dictamen(self, process_id: str, cargo_id: str, now: datetime) -> tuple[DocumentVersion | None, bool]:
        """The cargo's dictamen again, from its latest run and every decision recorded since (a new version only
        if a figure changed): at the close of the audiencia, and whenever decisions change the counts. Returns the
        version in force and whether it is new."""
        run = self.latest(process_id, cargo_id)
        if run is None or self.documents is None:
            return None, False
        with self.db.read_session() as s:
            roll = s.get(RollVersion, run.roll_version_id)
        assert roll is not None  # a foreign key
        before = self.documents.latest(process_id, dictamen_kind(cargo_id))
        version = self._dictamen(run, roll, now)
        return version, version is not None and (before is None or before.id != version.id)

    def last_decision_id(self, process_id: str) -> int:
        """The newest decision of the mesa de control in the process (0: none yet)."""
        with self.db.read_session() as s:
            last = s.exec(select(func.max(ReviewDecision.id)).where(ReviewDecision.process_id == process_id)).one()
        return int(last or 0)

    def review_figures(
        self, run: VerificationRun, now: datetime, aspirante_ids: list[int] | None = None
    ) -> ReviewFigures:
        """Counts recomputed from each apoyo's registral status and the latest decisions on it: the verdicts after
        the desk and the audiencia, and each aspirante's tally (of every aspirante of the cargo, or of these)."""
        cal = self.calendars.active(run.process_id).calendar
        cargo = cal.cargo(run.cargo_id)
        aspirantes = self.aspirantes(run.process_id, run.cargo_id)
        if aspirante_ids is not None:
            aspirantes = [a for a in aspirantes if a.id in aspirante_ids]
        ids = [a.id for a in aspirantes if a.id is not None]
        with self.db.read_session() as s:
            found = run_outcomes(s, run, ids)
            roll = s.get(RollVersion, run.roll_version_id)
        assert roll is not None
        rows = found.rows
        table = pa.table(
            {
                "capture_id": pa.array([r["capture_id"] for r in rows], pa.int64()),
                "aspirante_id": pa.array([r["aspirante_id"] for r in rows], pa.int64()),
                "status": pa.array([r["after"] for r in rows], pa.string()),
                "causa_baja": pa.array([r["causa_baja"] for r in rows], pa.string()),
                "municipio": pa.array([r["municipio"] for r in rows], pa.string()),
                "seccion": pa.array([r["seccion"] for r in rows], pa.int64()),
                "flagged": pa.array([r["pending"] for r in rows], pa.bool_()),
            }
        )
        con = duckdb.connect()
        try:
            after = verdicts(
                con,
                cal,
                cargo,
                table,
                [{"id": a.id, "name": a.name, "demarcacion_id": a.demarcacion_id} for a in aspirantes],
                str(self.rolls.parquet_path(roll)),
            )
        finally:
            con.close()
        windows = [w for a in aspirantes if (w := audiencia_window(cal, a)) is not None]
        return ReviewFigures(
            aspirantes=[
                _verdict_json(v) | {"desk_reasons": dict(+found.tallies[v.aspirante_id].still_rejected)} for v in after
            ],
            tallies=found.tallies,
            audiencia=windows[0] if windows else None,
            at=now,
            last_decision_id=found.last_decision_id,
            last_decision_at=found.last_decision_at,
        )

    def _finish(
        self,
        run: VerificationRun,
        results: pa.Table,
        found: list[AspiranteVerdict],
        now: datetime,
        duration: float,
        received_before: datetime,
        cal: Calendar,
    ) -> None:
        statuses = pc.value_counts(results["status"]).to_pylist() if results.num_rows else []
        counts = {
            "apoyos": results.num_rows,
            "by_status": {s["values"]: s["counts"] for s in statuses},
            "received_before_local": format_local(received_before, cal.tz),
            "aspirantes": [_verdict_json(v) for v in found],
        }
        rows = [
            {
                "run_id": run.id,
                "capture_id": r["capture_id"],
                "aspirante_id": r["aspirante_id"],
                "status": r["status"],
                "reason": r["reason"],
                "detail": {k: r[k] for k in ("causa_baja", "duplicates_folio", "first_capture_id") if r[k] is not None}
                or None,
                "municipio": r["municipio"],
                "seccion": r["seccion"],
                "flagged": r["flagged"],
            }
            for r in results.to_pylist()
        ]
        with self.db.write_session() as s:
            s.execute(delete(ApoyoResult).where(col(ApoyoResult.run_id) == run.id))
            for start in range(0, len(rows), 5000):
                s.execute(insert(ApoyoResult), rows[start : start + 5000])
            s.execute(
                update(VerificationRun)
                .where(col(VerificationRun.id) == run.id)
                .values(status="done", finished_at=now, duration_seconds=duration, counts=counts, error=None)
            )
            try:
                s.commit()
            except IntegrityError:  # an attempt that ran at the same time committed the same rows first
                s.rollback()
        run.status, run.finished_at, run.duration_seconds, run.counts = "done", now, duration, counts

    def _claim(self, run: VerificationRun) -> VerificationRun:
        """Store the run as running; if another process stored the same key first, theirs stands."""
        with self.db.write_session() as s:
            s.add(run)
            try:
                s.commit()
            except IntegrityError:
                s.rollback()
                theirs = self._by_key(run.run_key)
                assert theirs is not None
                return theirs
            s.refresh(run)
        return run

    def _by_key(self, run_key: str) -> VerificationRun | None:
        with self.db.read_session() as s:
            return s.exec(select(VerificationRun).where(VerificationRun.run_key == run_key)).first()

    def _done_with_inputs(self, process_id: str, cargo_id: str, inputs: str) -> VerificationRun | None:
        return self._last_done(process_id, cargo_id, VerificationRun.inputs_sha256 == inputs)

    def _last_capture(self, aspirante_ids: list[int]) -> int:
        if not aspirante_ids:
            return 0
        with self.db.read_session() as s:
            last = s.exec(select(func.max(Capture.id)).where(col(Capture.aspirante_id).in_(aspirante_ids))).one()
        return int(last or 0)

    def _inputs_hash(self, roll: RollVersion, cargo_id: str, data: dict[str, list[Any]], flagged: pa.Table) -> str:
        """What a run's results depend on: the roll, the rules and thresholds, which apoyos, which are flagged."""
        h = hashlib.sha256()
        h.update(json.dumps([roll.stored_sha256, cargo_id, RULES_VERSION, self.thresholds_version]).encode())
        for capture_id, flag in zip(data["capture_id"], flagged["flagged"].to_pylist(), strict=True):
            h.update(capture_id.to_bytes(8, "big") + bytes([flag]))
        return h.hexdigest()

    def _reuse_flags(self, process_id: str) -> dict[int, list[dict[str, Any]]]:
        """The flags of captures whose credential image or live photo is re-used elsewhere in the process
        (triage's cross-capture flags, over every triaged capture of the process), by capture."""
        if self.triage is None:
            return {}
        table = self.triage.hashes(process_id)
        if not table.num_rows:
            return {}
        con = duckdb.connect()
        try:
            con.register("hashes", table)
            found: dict[int, list[dict[str, Any]]] = {}
            for capture_id, flag in cross_capture_flags(con, "hashes", self.triage.thresholds):
                found.setdefault(int(capture_id), []).append(flag.model_dump(mode="json"))
            return found
        finally:
            con.close()

    # -- scheduled runs ----------------------------------------------------------------------------------------------

    def scheduled(self, process_id: str, cargo_id: str, now: datetime, run_key: str) -> RunReport | None:
        """A run the calendar asked for (the engine's action): None when the cargo has no aspirantes."""
        if not self.aspirantes(process_id, cargo_id):
            return None
        return self.run(process_id, cargo_id, now, kind=None, run_key=run_key)

    def due(self, process_id: str, cargo_id: str, now: datetime) -> RunReport | None:
        """What the background stage owes a cargo now: the final run once its last window (grace included) has
        closed, or the day's preliminary report while its windows are open; None when nothing is due."""
        cal = self.calendars.active(process_id).calendar
        aspirantes = self.aspirantes(process_id, cargo_id)
        complete_at = self.complete_at(cal, aspirantes)
        if complete_at is None:
            return None
        if now >= complete_at:
            if self._last_done(process_id, cargo_id, col(VerificationRun.complete)) is not None:
                return None
            return self.run(process_id, cargo_id, now, kind=RunKind.final, run_key=f"final:{process_id}:{cargo_id}")
        starts = [
            w.start
            for a in aspirantes
            if (w := window_for(cal, a.cargo_id, a.demarcacion_id, a.constancia_date)) is not None
        ]
        if now < min(starts):
            return None
        day = now.astimezone(cal.tz).date().isoformat()
        key = f"diario:{process_id}:{cargo_id}:{day}"
        if self._by_key(key) is not None:
            return None
        latest, roll = self.latest(process_id, cargo_id), self.rolls.current(process_id)
        ids = [a.id for a in aspirantes if a.id is not None]
        if (
            latest is not None
            and roll is not None
            and latest.roll_version_id == roll.id
            and latest.captures_up_to == self._last_capture(ids)
        ):
            return None  # nothing arrived since the latest run: today's report would repeat it
        return self.run(process_id, cargo_id, now, kind=RunKind.preliminar, run_key=key)

    # -- reading runs ----------------------------------------------------------------------------------------------

    def runs(self, process_id: str, cargo_id: str | None = None) -> list[VerificationRun]:
        with self.db.read_session() as s:
            q = select(VerificationRun).where(VerificationRun.process_id == process_id)
            if cargo_id:
                q = q.where(VerificationRun.cargo_id == cargo_id)
            return list(s.exec(q.order_by(col(VerificationRun.id))))

    def latest(self, process_id: str, cargo_id: str) -> VerificationRun | None:
        """The cargo's latest finished run: the one progress and the dictamen show."""
        return self._last_done(process_id, cargo_id)

    def _last_done(self, process_id: str, cargo_id: str, *where: Any) -> VerificationRun | None:
        return latest_run(self.db, process_id, cargo_id, *where)


def _districts(cal: Calendar) -> pa.Table:
    """Where each apoyo's district comes from: its municipio when the municipio lies in one district, its sección
    when the municipio is shared (``territory.districts[].seccion_ranges``)."""
    t = cal.territory
    rows: list[tuple[str | None, int | None, str]] = []
    for m in t.municipios:
        ids = t.districts_of(m.inegi)
        if len(ids) == 1:
            rows.append((m.inegi, None, ids[0]))
    for d in t.districts:
        rows.extend((None, n, d.id) for n in d.seccion_numbers())
    return pa.table(
        {"municipio": [r[0] for r in rows], "seccion": [r[1] for r in rows], "district": [r[2] for r in rows]},
        schema=DISTRICTS_SCHEMA,
    )
