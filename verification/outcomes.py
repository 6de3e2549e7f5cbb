"""What each apoyo finally is: its registral status in a run, then what the mesa de control decided, then how its
objection in the garantía de audiencia was resolved. Counts are always recomputed from these, never stored.

- A registral rejection stands unless an objection against it is resolved *fundada*.
- A registral valid apoyo that went to the desk is *pending* until decided; a rejection by the desk makes it
  ``mesa_de_control``, unless an objection is resolved *fundada*.
- Only the head of each chain of decisions counts (the decision no other replaces): corrections are new rows.

"Before the audiencia" is the status without objections' resolutions; "after" includes them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from workflow.captures.records import Capture

from .reasons import ACCEPTED, DESK_REJECTED, Resolution
from .records import ApoyoResult, Objection, ReviewDecision, ReviewItem, ReviewSample, VerificationRun
from .registral import Status

OBJECTION = "objecion"


@dataclass
class Touch:
    """What the desk and the audiencia did to one apoyo."""

    desk_kind: str | None = None  # why it went to the desk (not counting an objection)
    desk: ReviewDecision | None = None  # the head of its desk decisions
    objection: Objection | None = None
    resolution: ReviewDecision | None = None  # the head of its objection's resolutions


@dataclass(frozen=True)
class Outcome:
    before: str  # a registral status, ``mesa_de_control``, or ``valido``
    after: str
    pending: bool  # a valid candidate the desk has not decided yet (counted as valid, in a proyecto)


def outcome(registral: str, t: Touch | None) -> Outcome:
    before, pending = registral, False
    if t is not None and registral == Status.valido and t.desk_kind is not None:
        if t.desk is None:
            pending = True
        elif t.desk.decision != ACCEPTED:
            before = DESK_REJECTED
    after = before
    if t is not None and t.resolution is not None and t.resolution.decision == Resolution.fundada:
        after, pending = Status.valido.value, False
    return Outcome(before, after, pending)


def heads(s: Session, process_id: str, aspirante_ids: list[int], capture_id: int | None = None) -> list[ReviewDecision]:
    """The decisions no later one replaces (of these aspirantes, or of one apoyo), oldest first."""
    newer = aliased(ReviewDecision)
    replaced = select(col(newer.id)).where(col(newer.replaces_id) == col(ReviewDecision.id)).exists()
    query = select(ReviewDecision).where(col(ReviewDecision.process_id) == process_id, ~replaced)
    if capture_id is not None:
        query = query.where(col(ReviewDecision.capture_id) == capture_id)
    else:
        query = query.where(col(ReviewDecision.aspirante_id).in_(aspirante_ids))
    return list(s.scalars(query.order_by(col(ReviewDecision.id))))


def touches(s: Session, process_id: str, aspirante_ids: list[int], capture_id: int | None = None) -> dict[int, Touch]:
    """What the desk and the audiencia did to the apoyos of these aspirantes (or to one apoyo), by capture."""
    out: dict[int, Touch] = {}
    item_query = select(col(ReviewItem.capture_id), col(ReviewItem.kind)).where(
        col(ReviewItem.process_id) == process_id
    )
    objection_query = select(Objection).where(col(Objection.process_id) == process_id)
    if capture_id is not None:
        item_query = item_query.where(col(ReviewItem.capture_id) == capture_id)
        objection_query = objection_query.where(col(Objection.capture_id) == capture_id)
    else:
        item_query = item_query.where(col(ReviewItem.aspirante_id).in_(aspirante_ids))
        objection_query = objection_query.where(col(Objection.aspirante_id).in_(aspirante_ids))
    for found, kind in s.execute(item_query).all():
        if kind != OBJECTION:
            out.setdefault(found, Touch()).desk_kind = kind
    for d in heads(s, process_id, aspirante_ids, capture_id):
        t = out.setdefault(d.capture_id, Touch())
        if d.objection_id is None:
            t.desk = d
        else:
            t.resolution = d
    for o in s.scalars(objection_query):
        out.setdefault(o.capture_id, Touch()).objection = o
    return out


@dataclass
class SampleTally:
    seed: str
    percentage: str
    full_review_above: str
    size: int = 0
    decided: int = 0
    rejected: int = 0
    full_review_at: Any = None
    full_review_rate: str | None = None

    @property
    def rate(self) -> Decimal | None:
        """The share of decided sample apoyos the desk rejected, in percent."""
        return Decimal(self.rejected * 100) / self.decided if self.decided else None


@dataclass
class DeskTally:
    """One aspirante's apoyos through the desk and the audiencia."""

    received: int = 0
    registral_valid: int = 0
    in_desk: int = 0
    decided: int = 0
    pending: int = 0
    rejected: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)  # the desk's rejections, as decided
    still_rejected: Counter[str] = field(default_factory=Counter)  # those the audiencia left standing, by reason
    by_kind: Counter[str] = field(default_factory=Counter)
    corrections: int = 0
    objections: int = 0
    fundadas: int = 0
    infundadas: int = 0
    objections_pending: int = 0
    valid_before: int = 0
    valid_after: int = 0
    sample: SampleTally | None = None


@dataclass
class RunOutcomes:
    """Every apoyo of a run with its outcome (``rows``: the run's results with ``before``, ``after`` and
    ``pending``), and each aspirante's tally."""

    rows: list[dict[str, Any]]
    tallies: dict[int, DeskTally]
    last_decision_id: int
    last_decision_at: datetime | None


def run_outcomes(
    s: Session, run: VerificationRun, aspirante_ids: list[int], capture_id: int | None = None
) -> RunOutcomes:
    """The apoyos of these aspirantes in ``run`` (or only one of them: ``capture_id``) with their outcomes."""
    r = ApoyoResult
    query = (
        select(
            *(col(c) for c in (r.capture_id, r.aspirante_id, r.status, r.reason, r.detail, r.municipio, r.seccion)),
            col(r.flagged),
            col(Capture.folio),
        )
        .join(Capture, and_(col(Capture.id) == col(r.capture_id)))
        .where(col(r.run_id) == run.id, col(r.aspirante_id).in_(aspirante_ids))
        .order_by(col(r.capture_id))
    )
    if capture_id is not None:
        query = query.where(col(r.capture_id) == capture_id)
    results = s.execute(query).all()
    touched = touches(s, run.process_id, aspirante_ids, capture_id)
    tallies: dict[int, DeskTally] = {a: DeskTally() for a in aspirante_ids}
    for sample in s.scalars(select(ReviewSample).where(col(ReviewSample.aspirante_id).in_(aspirante_ids))):
        tallies[sample.aspirante_id].sample = SampleTally(
            sample.seed,
            sample.percentage,
            sample.full_review_above,
            full_review_at=sample.full_review_at,
            full_review_rate=sample.full_review_rate,
        )
    rows = []
    for capture_id, aspirante_id, status, reason, detail, municipio, seccion, flagged, folio in results:
        t = touched.get(capture_id)
        o = outcome(status, t)
        tally = tallies.setdefault(aspirante_id, DeskTally())
        tally.received += 1
        tally.registral_valid += status == Status.valido
        tally.valid_before += o.before == Status.valido
        tally.valid_after += o.after == Status.valido
        if t is not None and t.desk_kind is not None and status == Status.valido:
            tally.in_desk += 1
            tally.by_kind[t.desk_kind] += 1
            if t.desk is None:
                tally.pending += 1
            else:
                tally.decided += 1
                if t.desk.decision != ACCEPTED:
                    tally.rejected += 1
                    tally.by_reason[t.desk.decision] += 1
                    tally.still_rejected[t.desk.decision] += o.after == DESK_REJECTED
                if t.desk.replaces_id is not None:
                    tally.corrections += 1
            if t.desk_kind == "muestra" and tally.sample is not None:
                tally.sample.size += 1
                if t.desk is not None:
                    tally.sample.decided += 1
                    tally.sample.rejected += t.desk.decision != ACCEPTED
        if t is not None and t.objection is not None:
            tally.objections += 1
            if t.resolution is None:
                tally.objections_pending += 1
            elif t.resolution.decision == Resolution.fundada:
                tally.fundadas += 1
            else:
                tally.infundadas += 1
        rows.append(
            {
                "capture_id": capture_id,
                "folio": folio,
                "aspirante_id": aspirante_id,
                "registral": status,
                "reason": reason,
                "causa_baja": (detail or {}).get("causa_baja"),
                "municipio": municipio,
                "seccion": seccion,
                "flagged": flagged,
                "before": o.before,
                "after": o.after,
                "pending": o.pending,
                "touch": t,
            }
        )
    decided = [d for t in touched.values() for d in (t.desk, t.resolution) if d is not None]
    last = max(decided, key=lambda d: d.id or 0, default=None)
    return RunOutcomes(rows, tallies, last.id or 0 if last else 0, last.decided_at if last else None)
