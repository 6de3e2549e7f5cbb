"""A certificate signs a document version once: publication signs idempotently on (document, certificate).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A version signed twice by one certificate (possible before this key) keeps its first signature row; the
    # later signed file stays in the file store.
    op.execute(
        "DELETE FROM document_signature WHERE id NOT IN "
        "(SELECT min_id FROM (SELECT MIN(id) AS min_id FROM document_signature "
        "GROUP BY document_id, certificate_sha256) AS firsts)"
    )
    op.create_index(
        "uq_document_signature_certificate", "document_signature", ["document_id", "certificate_sha256"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_document_signature_certificate", table_name="document_signature")
