"""Verification: roll versions, verification runs, per-apoyo results and image triage.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roll_version",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("cut_date", sa.Date(), nullable=False),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(), nullable=False),
        sa.Column("stored_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("process_id", "number", name="uq_roll_version_number"),
    )
    op.create_index("ix_roll_version_process_id", "roll_version", ["process_id"])
    op.create_table(
        "verification_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_key", sa.String(length=200), nullable=False, unique=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("cargo_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("roll_version_id", sa.Integer(), sa.ForeignKey("roll_version.id"), nullable=False),
        sa.Column("received_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("captures_up_to", sa.Integer(), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("thresholds_version", sa.String(length=64), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(), nullable=True),
    )
    op.create_index("ix_verification_run_process_id", "verification_run", ["process_id"])
    op.create_index("ix_verification_run_inputs_sha256", "verification_run", ["inputs_sha256"])
    op.create_table(
        "apoyo_result",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("verification_run.id"), primary_key=True),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), primary_key=True),
        sa.Column("aspirante_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("municipio", sa.String(length=5), nullable=True),
        sa.Column("seccion", sa.Integer(), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_apoyo_result_capture_id", "apoyo_result", ["capture_id"])
    op.create_index("ix_apoyo_result_aspirante_id", "apoyo_result", ["aspirante_id"])
    op.create_table(
        "capture_triage",
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), primary_key=True),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("thresholds_version", sa.String(length=64), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("anverso_phash", sa.String(length=16), nullable=True),
        sa.Column("foto_phash", sa.String(length=16), nullable=True),
    )
    op.create_index("ix_capture_triage_anverso_phash", "capture_triage", ["anverso_phash"])
    op.create_index("ix_capture_triage_foto_phash", "capture_triage", ["foto_phash"])


def downgrade() -> None:
    op.drop_table("capture_triage")
    op.drop_table("apoyo_result")
    op.drop_table("verification_run")
    op.drop_table("roll_version")
