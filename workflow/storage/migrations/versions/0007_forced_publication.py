"""Document versions say whether they are a PROYECTO, and a forced publication keeps its reason and author.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document_version") as batch_op:
        batch_op.add_column(sa.Column("draft", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("forced_reason", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("forced_by", sa.String(length=120), nullable=True))
    # Versions stored before this revision were made from calendars that could not mark values unconfirmed.
    op.execute("UPDATE document_version SET draft = false")
    with op.batch_alter_table("document_version") as batch_op:
        batch_op.alter_column("draft", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("document_version") as batch_op:
        batch_op.drop_column("forced_by")
        batch_op.drop_column("forced_reason")
        batch_op.drop_column("draft")
