"""Every table, the domain's and verification's: what the migrations build and what tests compare them with."""

from __future__ import annotations

from sqlalchemy import MetaData

from workflow.storage.schema import metadata as workflow_metadata


def metadata() -> MetaData:
    import verification.records  # noqa: F401  (registers its tables)

    return workflow_metadata()
