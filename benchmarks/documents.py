"""Render time per official document, against WeasyPrint rendering the same HTML alone, in the same run.

    .venv/bin/python benchmarks/documents.py [--runs N] [--calendar FILE]

Ours = calendar → context → Jinja2 → HTML → WeasyPrint (PDF/A-3b, tagged, calendar attached, fixed identifier).
Baseline = WeasyPrint's plain ``HTML(string=…).write_pdf()`` of the very HTML our pipeline produced.
The ratio says what the archival options and our own work cost on top of WeasyPrint's layout.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from workflow.calendar.loader import load_calendar  # noqa: E402
from workflow.documents.context import DOCUMENT_KINDS, VersionStamp  # noqa: E402
from workflow.documents.render import DocumentRenderer  # noqa: E402


def timed(fn, runs: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return samples, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calendar", type=Path, default=ROOT / "calendars" / "durango-2021-2022.yaml")
    args = parser.parse_args()
    loaded = load_calendar(args.calendar)
    cal = loaded.calendar
    renderer = DocumentRenderer(args.calendar.parent)
    created = datetime(2021, 8, 25, tzinfo=UTC)
    # Warm up fonts and caches once, so neither side pays first-use costs.
    renderer.render(cal, DOCUMENT_KINDS[0], calendar_text=loaded.text, created=created)

    print(f"calendar: {args.calendar.name}; {args.runs} runs each; medians in seconds")
    print(f"{'document':<13} {'pages':>5} {'ours':>8} {'weasyprint alone':>17} {'ratio':>6}")
    for kind in DOCUMENT_KINDS:
        ours, doc = timed(
            lambda kind=kind: renderer.render(
                cal, kind, calendar_text=loaded.text, created=created, document_version=1, calendar_version=1
            ),
            args.runs,
        )
        stamp = VersionStamp(1, 1, doc.fingerprint)
        html, base = renderer.html(cal, kind, stamp, created)
        base_samples, _ = timed(
            lambda html=html, base=base: HTML(string=html, base_url=str(base)).write_pdf(), args.runs
        )
        pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
        m_ours, m_base = statistics.median(ours), statistics.median(base_samples)
        print(f"{kind:<13} {pages:>5} {m_ours:>8.3f} {m_base:>17.3f} {m_ours / m_base:>6.2f}")


if __name__ == "__main__":
    main()
