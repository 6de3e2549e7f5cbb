"""Every table of convoca, in one metadata: what migrations build and what tests compare them with."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlmodel import SQLModel


def metadata() -> MetaData:
    # Importing the record modules registers their tables.
    import workflow.captures.records
    import workflow.documents.records
    import workflow.participants.records
    import workflow.records  # noqa: F401

    return SQLModel.metadata
