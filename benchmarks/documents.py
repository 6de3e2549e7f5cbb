"""Render time per official document, against WeasyPrint rendering the same HTML alone, in the same run.

    .venv/bin/python benchmarks/documents.py [--runs N] [--calendar FILE]

Ours = calendar → context → Jinja2 → HTML → WeasyPrint (PDF/A-3b, tagged, calendar attached, fixed identifier).
Baseline = WeasyPrint's plain ``HTML(string=…).write_pdf()`` of the very HTML our pipeline produced.
The ratio says what the archival options and our own work cost on top of WeasyPrint's layout.

The dictamen is the Gubernatura's, from a synthetic verification run of one aspirante (18,052 apoyos, every status,
39 municipios as dispersion units); its figures travel as the document's supplement and are attached as JSON.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from verification.dictamen import dictamen_content, dictamen_kind  # noqa: E402
from verification.records import RollVersion, VerificationRun  # noqa: E402
from verification.registral import RULES_VERSION, Status  # noqa: E402
from verification.verdict import AspiranteVerdict, DispersionResult, UnitResult  # noqa: E402
from workflow.calendar.loader import load_calendar  # noqa: E402
from workflow.calendar.model import Calendar  # noqa: E402
from workflow.calendar.quotas import quotas  # noqa: E402
from workflow.documents.context import DOCUMENT_KINDS, Supplement, VersionStamp  # noqa: E402
from workflow.documents.render import DocumentRenderer  # noqa: E402


def timed(fn, runs: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
    return samples, result


def dictamen_supplement(cal: Calendar) -> Supplement:
    """A Gubernatura run of one aspirante: each municipio at its minimum plus a little, the rejected by status."""
    cargo = cal.cargo("gubernatura")
    (quota,) = quotas(cal, cargo)
    assert quota.dispersion is not None and cargo.dispersion is not None
    units = [
        UnitResult(u.unit.id, u.unit.name, (u.minimum or 0) + 3, u.minimum, True, 0) for u in quota.dispersion.per_unit
    ]
    valid = sum(u.valid for u in units)
    rejected = [1212, 404, 640, 377, 296, 1523, 88]
    counts = dict(zip([s.value for s in Status], [*rejected, valid], strict=True))
    verdict = AspiranteVerdict(
        1,
        "Ana Sofía Núñez de la Peña",
        cargo.id,
        quota.demarcacion.id,
        quota.demarcacion.name,
        quota.base_count,
        quota.required,
        sum(counts.values()),
        counts,
        {"defuncion": 640},
        valid,
        0,
        [{"id": u.id, "name": u.name, "received": u.valid + 100, "valid": u.valid} for u in units],
        DispersionResult("municipio", "1", 20, len(units), len(units), True, cargo.dispersion.assumed, units),
    )
    roll = RollVersion(
        id=1,
        process_id=cal.process.id,
        number=1,
        cut_date=date(2021, 8, 31),
        source_name="lista.parquet",
        source_sha256="0" * 64,
        stored_path="rolls/1.parquet",
        stored_sha256="0" * 64,
        rows=1_412_377,
        counts={},
        loaded_at=datetime(2022, 2, 1, tzinfo=UTC),
    )
    finished = datetime(2022, 2, 12, 7, 31, tzinfo=UTC)
    run = VerificationRun(
        id=1,
        run_key="bench",
        process_id=cal.process.id,
        cargo_id=cargo.id,
        kind="final",
        complete=True,
        roll_version_id=1,
        received_before=datetime(2022, 2, 12, 6, tzinfo=UTC),
        captures_up_to=18_052,
        rules_version=RULES_VERSION,
        thresholds_version="0" * 64,
        inputs_sha256="0" * 64,
        status="done",
        started_at=finished,
        finished_at=finished,
        counts={
            "apoyos": verdict.received,
            "aspirantes": [
                asdict(verdict) | {"quota_met": verdict.quota_met, "meets": verdict.meets, "missing": verdict.missing}
            ],
        },
    )
    return dictamen_content(cal, run, roll)


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
    print(f"{'document':<21} {'pages':>5} {'ours':>8} {'weasyprint alone':>17} {'ratio':>6}")
    supplement = dictamen_supplement(cal)
    documents = [(kind, None) for kind in DOCUMENT_KINDS] + [(dictamen_kind("gubernatura"), supplement)]
    for kind, extra in documents:
        ours, doc = timed(
            lambda kind=kind, extra=extra: renderer.render(
                cal,
                kind,
                calendar_text=loaded.text,
                created=created,
                document_version=1,
                calendar_version=1,
                supplement=extra,
            ),
            args.runs,
        )
        stamp = VersionStamp(1, 1, doc.fingerprint)
        html, base = renderer.html(cal, kind, stamp, created, extra)
        base_samples, _ = timed(
            lambda html=html, base=base: HTML(string=html, base_url=str(base)).write_pdf(), args.runs
        )
        pages = len(PdfReader(io.BytesIO(doc.pdf)).pages)
        m_ours, m_base = statistics.median(ours), statistics.median(base_samples)
        print(f"{kind:<21} {pages:>5} {m_ours:>8.3f} {m_base:>17.3f} {m_ours / m_base:>6.2f}")


if __name__ == "__main__":
    main()
