"""What the portal's pages compute: the timeline picture, the countdown's words, the progress bars."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from capture_api.portal import views
from tests.helpers import utc
from verification.progress import (
    DispersionSummary,
    MunicipioCount,
    Progress,
    StatusCount,
    VerificationSummary,
)
from workflow.calendar.model import Calendar

TZ = ZoneInfo("America/Monterrey")


def test_remaining_time_in_plain_spanish() -> None:
    assert views.remaining(timedelta(days=21, hours=12)) == "21 días y 12 horas"
    assert views.remaining(timedelta(days=1, hours=1)) == "1 día y 1 hora"
    assert views.remaining(timedelta(hours=5, minutes=12)) == "5 horas y 12 minutos"
    assert views.remaining(timedelta(seconds=59)) == "0 minutos"
    assert views.remaining(timedelta(seconds=-5)) == "0 minutos"


def test_the_timeline_groups_phases_by_cargo_and_marks_today(durango: Calendar) -> None:
    view = views.process_view(durango, 1, utc("2022-01-20T18:00:00Z"))
    svg = view.svg
    assert [h.label for h in svg.headings] == [
        "Todos los cargos",
        "Gubernatura",
        "Presidencia municipal, sindicatura y regidurías",
    ]
    assert len(svg.bars) == len(view.phases) == len(durango.phases)
    assert svg.today_x is not None and svg.left < svg.today_x < svg.width
    assert svg.today_label == "hoy, 20/01/2022"
    assert all(t.x < svg.width - 50 for t in svg.ticks) and svg.ticks[0].label == "nov 21"
    open_now = {p.id for p in view.phases if p.state == "En curso"}
    assert open_now == {"captacion-gubernatura", "captacion-ayuntamientos"}
    assert [w.closes_local for w in view.open_windows] == ["2022-02-10 24:00 CST"] * 2
    assert view.open_windows[0].remaining == "21 días y 12 horas"
    gubernatura = view.quotas[0]
    assert gubernatura.rows[0].required == 13079 and gubernatura.base_label == "Lista nominal"
    after = views.process_view(durango, 1, utc("2023-01-01T00:00:00Z"))
    assert after.svg.today_x is None and after.state == "Concluido" and not after.open_windows


def test_progress_bars_with_a_verification() -> None:
    progress = Progress(
        aspirante_id=1,
        cargo="gubernatura",
        demarcacion="10",
        required=200,
        received=250,
        late=3,
        by_status=[StatusCount(key="valido", count=180, label="Válido")],
        by_seccion=[],
        window_opens_utc=utc("2022-01-02T06:00:00Z"),
        window_closes_utc=utc("2022-02-11T06:00:00Z"),
        window_state="cerrada",
        verification=VerificationSummary(
            run_id=1,
            kind="final",
            complete=True,
            received_before_utc=utc("2022-02-12T06:00:00Z"),
            verified=250,
            valid=180,
            flagged=4,
            missing=20,
            meets=False,
            by_status=[],
            by_municipio=[
                MunicipioCount(municipio="10005", name="Durango", received=200, valid=150),
                MunicipioCount(municipio="10007", name="Gómez Palacio", received=50, valid=30),
            ],
            dispersion=DispersionSummary(unit="municipio", needed=20, reached=2, met=False, assumed=False),
        ),
    )
    view = views.progress_view(progress, TZ)
    assert [m.text for m in view.meters] == [
        "250 de 200 apoyos (125.0 %)",
        "180 de 200 apoyos válidos (90.0 %)",
        "2 de 20 municipios (10.0 %)",
    ]
    assert view.meters[0].percent == 100.0  # the bar is capped; the words say how far past
    assert view.by_municipio == [("Durango", 200, 150, 75.0), ("Gómez Palacio", 50, 30, 15.0)]
    assert view.window_closes == "2022-02-10 24:00 CST"
    assert view.verification_note is not None and "4 en revisión en la mesa de control" in view.verification_note
