"""Verification measured against ground truth: captures of a synthetic roll's people whose registral status is
planted (every status, both kinds of duplicate, support across cargos that stays valid) and whose images carry
planted defects; the registral statuses must match exactly, and image triage must find its flags."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from convoca.cli import main
from convoca.runtime import Runtime, build
from convoca.settings import Settings, get_settings
from tests.helpers import utc
from verification.ground_truth import Expected, plan, read_roll, register_aspirantes, sample_aspirantes, synthesize
from verification.records import ApoyoResult
from verification.registral import Status
from verification.synth_roll import synthesize_roll
from workflow.captures.records import Capture
from workflow.clock import FixedClock

ROOT = Path(__file__).resolve().parents[2]
PROCESS = "durango-2021-2022"
SCALE = 0.003  # ~4,000 people: enough of each kind for a few hundred captures


@dataclass
class Truth:
    runtime: Runtime
    expected: list[Expected]
    roll_file: Path


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Truth]:
    tmp = tmp_path_factory.mktemp("truth")
    clock = FixedClock(utc("2022-02-01T18:00:00Z"))
    settings = Settings(data_dir=tmp / "var", calendars_dir=ROOT / "calendars", database_url=None)
    runtime = build(clock, settings)
    s = runtime.services
    s.calendars.seed(ROOT / "calendars", utc("2021-10-01T00:00:00Z"))
    cal = s.calendars.active(PROCESS).calendar
    roll_file = tmp / "padron.csv"
    synthesize_roll(cal, roll_file, seed=7, scale=SCALE)
    s.rolls.load(roll_file, PROCESS, cal.process.roll_cut_date, clock.now())
    who = sample_aspirantes(cal)
    aspirantes, gestores = register_aspirantes(s.participants, cal, who, clock.now())
    planned = plan(read_roll(roll_file), who["mun"].ine or "", 150, seed=7)
    expected = synthesize(s.captures, s.calendars, aspirantes, gestores, planned, seed=7)
    yield Truth(runtime, expected, roll_file)
    runtime.close()


def verified(truth: Truth, column: Any) -> dict[str, Any]:
    """Verify both cargos; one result column of every apoyo, by folio."""
    s = truth.runtime.services
    got: dict[str, Any] = {}
    for cargo in ("gubernatura", "ayuntamiento"):
        run = s.verification.run(PROCESS, cargo, utc("2022-02-05T00:00:00Z")).run
        with s.db.read_session() as session:
            rows = session.exec(
                select(Capture.folio, column)
                .join(ApoyoResult, ApoyoResult.capture_id == Capture.id)  # type: ignore[arg-type]
                .where(ApoyoResult.run_id == run.id)
            ).all()
        got |= dict(rows)
    return got


def test_every_registral_status_matches_exactly(truth: Truth) -> None:
    got = verified(truth, ApoyoResult.status)
    want = {e.folio: e.status.value for e in truth.expected}
    assert got == want
    assert {Status(v) for v in want.values()} == set(Status)  # every status was planted


def test_the_command_writes_what_it_planted(truth: Truth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = truth.runtime.settings
    monkeypatch.setenv("CONVOCA_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    out = tmp_path / "esperado.csv"
    args = ["captures", "synth", "--process", PROCESS, "--roll", str(truth.roll_file), "--count", "30", "-o", str(out)]
    try:
        result = CliRunner().invoke(main, [*args, "--seed", "8"])
        other = tmp_path / "otro.csv"
        other.write_text("clave_elector\n")
        refused = CliRunner().invoke(main, [*args[:5], str(other), *args[6:]])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) >= 30 and {r["estatus_esperado"] for r in rows} == {s.value for s in Status}
    assert refused.exit_code == 1 and "no es el padrón en vigor" in refused.output


def test_runs_send_flagged_apoyos_to_the_desk(truth: Truth) -> None:
    """The run triages what the background stage has not and marks an apoyo flagged when triage flagged it, or when
    its images re-appear elsewhere in the process: measured against the planted defects, apoyo by apoyo."""
    flagged = verified(truth, ApoyoResult.flagged)
    planted = {e.folio for e in truth.expected if e.flags}
    raised = {folio for folio, f in flagged.items() if f}
    right = len(planted & raised)
    precision, recall = right / len(raised), right / len(planted)
    print(f"\napoyos with a planted defect: {len(planted)}; flagged: {len(raised)}; both: {right}; "
          f"precision {precision:.3f}; recall {recall:.3f}")  # fmt: skip
    assert len(planted) >= 20
    assert recall >= 0.9 and precision >= 0.6
