"""The per-apoyo trail: for every apoyo of a cargo's latest verification, who decided what, when, why, and what the
aspirante answered — the record the OPLE must be able to show (SUP-JDC-186/2018). One CSV row per event, oldest
first within each apoyo, ending with the apoyo's result. No personal data: apoyos are named by folio.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from workflow.calendar.localtime import format_local
from workflow.engine.store import CalendarStore
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante, Reviewer
from workflow.storage.db import Database

from .audiencia import latest_run
from .desk import KIND_LABELS
from .outcomes import run_outcomes
from .reasons import label
from .records import Objection, ReviewDecision, ReviewItem

COLUMNS = [
    "folio",
    "apoyo_id",
    "aspirante_id",
    "aspirante",
    "cargo",
    "evento",
    "fecha_utc",
    "fecha_local",
    "autor",
    "valor",
    "descripcion",
    "nota",
    "corrige_a",
    "detalle",
]


class Trail:
    def __init__(self, db: Database, calendars: CalendarStore) -> None:
        self.db = db
        self.calendars = calendars

    def rows(self, process_id: str, cargo_id: str | None = None) -> Iterator[dict[str, object]]:
        cal = self.calendars.active(process_id).calendar
        cargos = [c.id for c in cal.cargos]
        if cargo_id is not None and cargo_id not in cargos:
            raise DomainError(
                ErrorKind.not_found,
                f"el cargo «{cargo_id}» no está en el calendario; cargos: {', '.join(cargos)}",
                "cargo",
            )
        tz = cal.tz
        for cargo in [cargo_id] if cargo_id else cargos:
            run = latest_run(self.db, process_id, cargo)
            if run is None:
                continue
            yield from self._cargo(process_id, cargo, run, tz)

    def _cargo(self, process_id: str, cargo: str, run, tz: ZoneInfo) -> Iterator[dict[str, object]]:
        with self.db.read_session() as s:
            aspirantes = {
                a.id: a.name
                for a in s.exec(
                    select(Aspirante).where(Aspirante.process_id == process_id, Aspirante.cargo_id == cargo)
                )
            }
            ids = [a for a in aspirantes if a is not None]
            found = run_outcomes(s, run, ids)
            names = {r.id: r.name for r in s.exec(select(Reviewer))}
            decisions: dict[int, list[ReviewDecision]] = {}
            for d in s.exec(
                select(ReviewDecision)
                .where(ReviewDecision.process_id == process_id, col(ReviewDecision.aspirante_id).in_(ids))
                .order_by(col(ReviewDecision.id))
            ):
                decisions.setdefault(d.capture_id, []).append(d)
            items: dict[int, list[ReviewItem]] = {}
            for i in s.exec(
                select(ReviewItem).where(col(ReviewItem.aspirante_id).in_(ids)).order_by(col(ReviewItem.id))
            ):
                items.setdefault(i.capture_id, []).append(i)
            objections = {
                o.capture_id: o for o in s.exec(select(Objection).where(col(Objection.aspirante_id).in_(ids)))
            }

        def event(row: dict, what: str, at: datetime | None, author: str, value: str = "", **more: object) -> dict:
            return {
                "folio": row["folio"],
                "apoyo_id": row["capture_id"],
                "aspirante_id": row["aspirante_id"],
                "aspirante": aspirantes.get(row["aspirante_id"], ""),
                "cargo": cargo,
                "evento": what,
                "fecha_utc": at.isoformat() if at else "",
                "fecha_local": format_local(at, tz) if at else "",
                "autor": author,
                "valor": value,
                "descripcion": label(value) if value else "",
                "nota": more.get("nota", ""),
                "corrige_a": more.get("corrige_a", ""),
                "detalle": more.get("detalle", ""),
            }

        for row in found.rows:
            capture_id = row["capture_id"]
            yield event(
                row,
                "compulsa registral",
                run.finished_at,
                f"verificación {run.id}",
                row["registral"],
                nota=row["reason"],
                detalle=row["causa_baja"] or "",
            )
            for item in items.get(capture_id, []):
                if item.kind == "objecion":
                    continue
                flags = "; ".join(
                    f"{f['code']} ({f['part']}: {f['value']} / umbral {f['threshold']})" for f in item.flags
                )
                yield event(
                    row,
                    "envío a la mesa de control",
                    item.created_at,
                    "convoca",
                    item.kind,
                    nota=KIND_LABELS[item.kind],
                    detalle=flags,
                )
            objection = objections.get(capture_id)

            def filed(o: Objection, row: dict = row) -> dict:
                detail = "con imagen nueva" if o.image_sha256 else ""
                return event(
                    row, "objeción", o.filed_at, "persona aspirante", o.rejection, nota=o.argument, detalle=detail
                )

            for d in decisions.get(capture_id, []):
                if objection is not None and d.objection_id == objection.id and d.replaces_id is None:
                    yield filed(objection)  # the objection, just before its first resolution
                    objection = None
                kind = "resolución de objeción" if d.objection_id else "decisión"
                yield event(
                    row,
                    f"corrección de {kind}" if d.replaces_id else kind,
                    d.decided_at,
                    f"{names.get(d.reviewer_id, '')} (revisor {d.reviewer_id})",
                    d.decision,
                    nota=d.note or "",
                    corrige_a=d.replaces_id or "",
                    detalle=f"decisión {d.id}",
                )
            if objection is not None:  # not resolved yet
                yield filed(objection)
            detail = f"antes de la garantía de audiencia: {label(row['before'])}"
            if row["pending"]:
                detail += "; pendiente de decisión en la mesa de control"
            yield event(row, "resultado", None, "convoca", row["after"], detalle=detail)

    def csv(self, process_id: str, cargo_id: str | None = None) -> str:
        """The trail as CSV (UTF-8 with BOM, so that spreadsheets read the accents)."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows(process_id, cargo_id))
        return out.getvalue()
