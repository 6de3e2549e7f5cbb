"""The mesa de control and the garantía de audiencia: reviewers, the review queue with its leases, append-only
decisions, each aspirante's sample and the aspirantes' objections.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "reviewer",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        _utc("created_at"),
    )
    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("aspirante_id", sa.Integer(), sa.ForeignKey("aspirante.id"), nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), nullable=False, unique=True),
        _utc("filed_at"),
        sa.Column("rejection", sa.String(length=40), nullable=False),
        sa.Column("argument", sa.String(), nullable=False),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("image_type", sa.String(length=4), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_objection_process_id", "objection", ["process_id"])
    op.create_index("ix_objection_aspirante_id", "objection", ["aspirante_id"])
    op.create_table(
        "review_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("cargo_id", sa.String(length=80), nullable=False),
        sa.Column("aspirante_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("objection_id", sa.Integer(), sa.ForeignKey("objection.id"), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        _utc("created_at"),
        sa.Column("leased_to", sa.Integer(), sa.ForeignKey("reviewer.id"), nullable=True),
        _utc("lease_expires_at", nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.UniqueConstraint("capture_id", "kind", name="uq_review_item_kind"),
    )
    op.create_index("ix_review_item_process_id", "review_item", ["process_id"])
    op.create_index("ix_review_item_aspirante_id", "review_item", ["aspirante_id"])
    op.create_index("ix_review_item_capture_id", "review_item", ["capture_id"])
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("aspirante_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), sa.ForeignKey("capture.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_item.id"), nullable=False),
        sa.Column("objection_id", sa.Integer(), sa.ForeignKey("objection.id"), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), sa.ForeignKey("reviewer.id"), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        _utc("decided_at"),
        sa.Column("decision", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("replaces_id", sa.Integer(), sa.ForeignKey("review_decision.id"), nullable=True, unique=True),
    )
    op.create_index("ix_review_decision_process_id", "review_decision", ["process_id"])
    op.create_index("ix_review_decision_aspirante_id", "review_decision", ["aspirante_id"])
    op.create_index("ix_review_decision_capture_id", "review_decision", ["capture_id"])
    op.create_table(
        "review_sample",
        sa.Column("aspirante_id", sa.Integer(), sa.ForeignKey("aspirante.id"), primary_key=True),
        sa.Column("process_id", sa.String(length=80), sa.ForeignKey("process.id"), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("percentage", sa.String(length=12), nullable=False),
        sa.Column("full_review_above", sa.String(length=12), nullable=False),
        _utc("created_at"),
        _utc("full_review_at", nullable=True),
        sa.Column("full_review_rate", sa.String(length=12), nullable=True),
    )
    op.create_index("ix_review_sample_process_id", "review_sample", ["process_id"])


def downgrade() -> None:
    for table in ("review_sample", "review_decision", "review_item", "objection", "reviewer"):
        op.drop_table(table)
