"""Logging for the commands that run for a while."""

from __future__ import annotations

import logging


def setup_logging(level: int = logging.INFO) -> None:
    """Operator-facing logs: time and message (Spanish), without the libraries' own chatter."""
    logging.basicConfig(level=level, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    for noisy in ("apscheduler", "weasyprint", "fontTools", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
