"""Calendar versions record the real time of the change beside the instant they took effect.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_version") as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    # Versions stored before this revision were recorded when they took effect, as far as anyone can tell.
    op.execute("UPDATE calendar_version SET recorded_at = created_at")
    with op.batch_alter_table("calendar_version") as batch_op:
        batch_op.alter_column("recorded_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("calendar_version") as batch_op:
        batch_op.drop_column("recorded_at")
