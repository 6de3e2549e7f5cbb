"""What verification stores: the roll versions loaded, each verification run, each apoyo's result in a run, and
each capture's image triage.

Per-apoyo results are per run and never updated: a later run adds its own rows, so every verdict can be traced to
the exact inputs it came from. The review desk (mesa de control) adds its decisions on top, by capture.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from workflow.storage.db import UTCDateTime


class RollVersion(SQLModel, table=True):
    """A Lista Nominal / Padrón extract as loaded: stored as Parquet in the data folder (identifiers as keyed
    hashes), with the SHA-256 of the file it came from and its cut date. The latest version of a process is in
    force."""

    __tablename__ = "roll_version"
    __table_args__ = (UniqueConstraint("process_id", "number", name="uq_roll_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    number: int
    cut_date: date
    source_name: str = Field(description="file name as given (no folders)")
    source_sha256: str = Field(max_length=64, description="SHA-256 of the file as given")
    stored_path: str = Field(description="Parquet file, relative to the data folder")
    stored_sha256: str = Field(max_length=64)
    rows: int
    counts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False), description="rows by estatus")
    loaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class VerificationRun(SQLModel, table=True):
    """One verification of a cargo's apoyos: which inputs (roll version, captures up to a row id and a receipt
    instant, rule and threshold versions), what came out (counts) and how long it took. ``run_key`` makes each
    scheduled run happen once (the engine's idempotency key, or the day of a preliminary report)."""

    __tablename__ = "verification_run"

    id: int | None = Field(default=None, primary_key=True)
    run_key: str = Field(max_length=200, unique=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    cargo_id: str = Field(max_length=80)
    kind: str = Field(max_length=20, description="preliminar, final or manual")
    complete: bool = Field(description="every covered window, grace included, had closed at the cut-off")
    roll_version_id: int = Field(foreign_key="roll_version.id")
    received_before: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    captures_up_to: int = Field(description="highest capture row id included")
    rules_version: str = Field(max_length=40)
    thresholds_version: str = Field(max_length=64)
    inputs_sha256: str = Field(max_length=64, index=True)
    status: str = Field(max_length=10, description="running, done or failed")
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    duration_seconds: float | None = None
    counts: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = None


class ApoyoResult(SQLModel, table=True):
    """One apoyo's registral result in one run: exactly one status, its reason in Spanish, and what it was
    measured against (``detail``: the cause of a baja, the folio it duplicates…)."""

    __tablename__ = "apoyo_result"

    run_id: int = Field(foreign_key="verification_run.id", primary_key=True)
    capture_id: int = Field(foreign_key="capture.id", primary_key=True, index=True)
    aspirante_id: int = Field(index=True)
    status: str = Field(max_length=30)
    reason: str
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    municipio: str | None = Field(default=None, max_length=5, description="INEGI key, from the roll")
    seccion: int | None = Field(default=None, description="from the roll")
    flagged: bool = Field(default=False, description="image triage sends it to the review desk")


class CaptureTriage(SQLModel, table=True):
    """The image triage of one capture, done once as captures arrive. Flags carry what they measured and the
    threshold crossed; they send the apoyo to the review desk and never reject it on their own."""

    __tablename__ = "capture_triage"

    capture_id: int = Field(foreign_key="capture.id", primary_key=True)
    triaged_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    thresholds_version: str = Field(max_length=64)
    flags: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    anverso_phash: str | None = Field(default=None, max_length=16, index=True)
    foto_phash: str | None = Field(default=None, max_length=16, index=True)


class ReviewItem(SQLModel, table=True):
    """An apoyo sent to the mesa de control, and why: flagged by triage, drawn for the sample, under a full review
    of its aspirante, or objected to in the garantía de audiencia. The lease (who holds it, until when) keeps two
    reviewers off the same apoyo; ``decision_id`` is set once, by the decision that closes the item."""

    __tablename__ = "review_item"
    __table_args__ = (UniqueConstraint("capture_id", "kind", name="uq_review_item_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    cargo_id: str = Field(max_length=80)
    aspirante_id: int = Field(index=True)
    capture_id: int = Field(foreign_key="capture.id", index=True)
    kind: str = Field(max_length=20, description="senalado, muestra, revision_total or objecion")
    priority: int = Field(description="lower first: objections, then flagged, then the sample and full reviews")
    run_id: int | None = Field(default=None, description="the verification run that sent it")
    objection_id: int | None = Field(default=None, foreign_key="objection.id")
    flags: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="what triage measured"
    )
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    leased_to: int | None = Field(default=None, foreign_key="reviewer.id")
    lease_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    decision_id: int | None = Field(default=None)


class ReviewDecision(SQLModel, table=True):
    """One decision of the mesa de control, never updated nor deleted: a correction is a new row that names the
    one it replaces (each decision is replaced at most once, so an apoyo's decisions form one chain)."""

    __tablename__ = "review_decision"

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    aspirante_id: int = Field(index=True)
    capture_id: int = Field(foreign_key="capture.id", index=True)
    item_id: int = Field(foreign_key="review_item.id")
    objection_id: int | None = Field(default=None, foreign_key="objection.id")
    reviewer_id: int = Field(foreign_key="reviewer.id")
    token_id: int = Field(description="the token the reviewer used")
    decided_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    decision: str = Field(max_length=40, description="aceptado or a mesa-de-control reason; fundada or infundada")
    note: str | None = None
    replaces_id: int | None = Field(default=None, foreign_key="review_decision.id", unique=True)


class ReviewSample(SQLModel, table=True):
    """An aspirante's sample for the mesa de control: the stored seed makes it reproducible (an apoyo is in the
    sample when SHA-256 of «seed:folio» falls below the percentage), the rules it was drawn with, and when the
    sample's rejections sent every valid apoyo of the aspirante to a full review."""

    __tablename__ = "review_sample"

    aspirante_id: int = Field(foreign_key="aspirante.id", primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    seed: str = Field(max_length=64)
    percentage: str = Field(max_length=12)
    full_review_above: str = Field(max_length=12)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    full_review_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    full_review_rate: str | None = Field(default=None, max_length=12, description="the rate that triggered it")


class Objection(SQLModel, table=True):
    """An aspirante's objection to the rejection of one apoyo, filed during the garantía de audiencia: the
    argument and, optionally, a new image (sealed in the capture store)."""

    __tablename__ = "objection"

    id: int | None = Field(default=None, primary_key=True)
    process_id: str = Field(foreign_key="process.id", index=True, max_length=80)
    aspirante_id: int = Field(foreign_key="aspirante.id", index=True)
    capture_id: int = Field(foreign_key="capture.id", unique=True)
    filed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    rejection: str = Field(max_length=40, description="the status or reason objected to, as it stood when filed")
    argument: str
    image_sha256: str | None = Field(default=None, max_length=64)
    image_type: str | None = Field(default=None, max_length=4)
    token_id: int
