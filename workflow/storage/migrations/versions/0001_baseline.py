"""Baseline: the schema of the first releases (databases made by create_all before migrations are stamped here).

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "process",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("timezone", sa.String(), nullable=False),
        sa.Column("active_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "aspirante",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("cargo_id", sa.String(length=80), nullable=False),
        sa.Column("demarcacion_id", sa.String(length=20), nullable=False),
        sa.Column("constancia_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aspirante", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aspirante_process_id"), ["process_id"], unique=False)

    op.create_table(
        "calendar_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "number", name="uq_calendar_version_number"),
    )
    with op.batch_alter_table("calendar_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_version_process_id"), ["process_id"], unique=False)

    op.create_table(
        "document_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("calendar_version", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "kind", "number", name="uq_document_version_number"),
    )
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_version_process_id"), ["process_id"], unique=False)

    op.create_table(
        "transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("phase_id", sa.String(length=80), nullable=False),
        sa.Column("edge", sa.String(length=5), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("calendar_version", sa.Integer(), nullable=False),
        sa.Column("fired_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "phase_id", "edge", name="uq_transition_edge"),
    )
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transition_process_id"), ["process_id"], unique=False)

    op.create_table(
        "action_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("transition_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transition_id"],
            ["transition.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("transition_id", "position", name="uq_action_run_position"),
    )
    with op.batch_alter_table("action_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_run_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_run_transition_id"), ["transition_id"], unique=False)

    op.create_table(
        "gestor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("aspirante_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("clave_elector", sa.String(length=18), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["aspirante_id"],
            ["aspirante.id"],
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("process_id", "clave_elector", name="uq_gestor_person"),
    )
    with op.batch_alter_table("gestor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gestor_aspirante_id"), ["aspirante_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_gestor_process_id"), ["process_id"], unique=False)

    op.create_table(
        "capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.String(length=36), nullable=False),
        sa.Column("folio", sa.String(length=40), nullable=False),
        sa.Column("process_id", sa.String(length=80), nullable=False),
        sa.Column("aspirante_id", sa.Integer(), nullable=False),
        sa.Column("gestor_id", sa.Integer(), nullable=False),
        sa.Column("captured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("clave_elector", sa.String(length=18), nullable=False),
        sa.Column("ocr", sa.String(length=13), nullable=False),
        sa.Column("cic", sa.String(length=9), nullable=True),
        sa.Column("numero_emision", sa.String(length=2), nullable=True),
        sa.Column("seccion", sa.Integer(), nullable=False),
        sa.Column("nombre", sa.String(), nullable=False),
        sa.Column("apellido_paterno", sa.String(), nullable=False),
        sa.Column("apellido_materno", sa.String(), nullable=True),
        sa.Column("device_id", sa.String(), nullable=False),
        sa.Column("app_version", sa.String(), nullable=False),
        sa.Column("capture_mode", sa.String(length=10), nullable=False),
        sa.Column("anverso_sha256", sa.String(length=64), nullable=False),
        sa.Column("anverso_type", sa.String(length=4), nullable=False),
        sa.Column("reverso_sha256", sa.String(length=64), nullable=False),
        sa.Column("reverso_type", sa.String(length=4), nullable=False),
        sa.Column("foto_sha256", sa.String(length=64), nullable=False),
        sa.Column("foto_type", sa.String(length=4), nullable=False),
        sa.Column("firma_sha256", sa.String(length=64), nullable=False),
        sa.Column("firma_type", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["aspirante_id"],
            ["aspirante.id"],
        ),
        sa.ForeignKeyConstraint(
            ["gestor_id"],
            ["gestor.id"],
        ),
        sa.ForeignKeyConstraint(
            ["process_id"],
            ["process.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("folio"),
    )
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capture_aspirante_id"), ["aspirante_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_capture_capture_id"), ["capture_id"], unique=True)
        batch_op.create_index(batch_op.f("ix_capture_clave_elector"), ["clave_elector"], unique=False)
        batch_op.create_index(batch_op.f("ix_capture_gestor_id"), ["gestor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_capture_process_id"), ["process_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_process_id"))
        batch_op.drop_index(batch_op.f("ix_capture_gestor_id"))
        batch_op.drop_index(batch_op.f("ix_capture_clave_elector"))
        batch_op.drop_index(batch_op.f("ix_capture_capture_id"))
        batch_op.drop_index(batch_op.f("ix_capture_aspirante_id"))

    op.drop_table("capture")
    with op.batch_alter_table("gestor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gestor_process_id"))
        batch_op.drop_index(batch_op.f("ix_gestor_aspirante_id"))

    op.drop_table("gestor")
    with op.batch_alter_table("action_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_run_transition_id"))
        batch_op.drop_index(batch_op.f("ix_action_run_status"))

    op.drop_table("action_run")
    with op.batch_alter_table("transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transition_process_id"))

    op.drop_table("transition")
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_version_process_id"))

    op.drop_table("document_version")
    with op.batch_alter_table("calendar_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_version_process_id"))

    op.drop_table("calendar_version")
    with op.batch_alter_table("aspirante", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aspirante_process_id"))

    op.drop_table("aspirante")
    op.drop_table("process")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_token_hash"))

    op.drop_table("api_token")
