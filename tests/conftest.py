"""Shared fixtures: where the calendars are, and the calendars loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow.calendar.loader import load_calendar
from workflow.calendar.model import Calendar

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def durango_path() -> Path:
    return ROOT / "calendars" / "durango-2021-2022.yaml"


@pytest.fixture(scope="session")
def synthetic_path() -> Path:
    """A calendar of another shape (districts, Padrón, America/Cancun, per-aspirante windows), modelled on Q. Roo."""
    return ROOT / "tests" / "data" / "calendars" / "synthetic-quintana-roo-2022.yaml"


@pytest.fixture(scope="session")
def durango(durango_path: Path) -> Calendar:
    return load_calendar(durango_path).calendar


@pytest.fixture(scope="session")
def synthetic(synthetic_path: Path) -> Calendar:
    return load_calendar(synthetic_path).calendar
