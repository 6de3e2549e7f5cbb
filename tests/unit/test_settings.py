"""Settings from the environment: nested triage thresholds, and their version follows them."""

from __future__ import annotations

import pytest

from convoca.settings import Settings


def test_a_triage_threshold_is_set_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Settings().triage
    monkeypatch.setenv("CONVOCA_TRIAGE__NEAR_HAMMING", "2")
    monkeypatch.setenv("CONVOCA_TRIAGE_WORKERS", "0")
    changed = Settings()
    assert changed.triage.near_hamming == 2 and changed.triage_workers == 0
    assert changed.triage.blur_min_laplacian_var == default.blur_min_laplacian_var
    assert changed.triage.version != default.version  # recorded with each triage and run: a change shows
