"""Digital signatures (PAdES) of stored document versions: who signed, when, and the signed file.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_signature",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("document_version.id"), nullable=False),
        sa.Column("signer", sa.String(length=400), nullable=False),
        sa.Column("certificate_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
    )
    op.create_index("ix_document_signature_document_id", "document_signature", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_document_signature_document_id", table_name="document_signature")
    op.drop_table("document_signature")
