"""Capture images in group files: where a capture's record is (file, offset, length).

Captures stored before keep their four files and a NULL ``images_file``; both layouts are read
(``workflow.captures.storage``), so nothing is rewritten here and the upgrade is instant on any table size.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from workflow.errors import DomainError, ErrorKind

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("capture") as batch_op:
        batch_op.add_column(sa.Column("images_file", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("images_offset", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("images_length", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Only while no capture is stored in a group file: an older convoca could not find its images."""
    bind = op.get_bind()
    grouped = bind.execute(sa.text("SELECT count(*) FROM capture WHERE images_file IS NOT NULL")).scalar_one()
    if grouped:
        raise DomainError(
            ErrorKind.unavailable,
            f"hay {grouped:,} capturas con sus imágenes en archivos de grupo, que una versión anterior de convoca no "
            "sabe leer; no se modificó nada",
        )
    with op.batch_alter_table("capture") as batch_op:
        batch_op.drop_column("images_length")
        batch_op.drop_column("images_offset")
        batch_op.drop_column("images_file")
