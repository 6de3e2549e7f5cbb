"""What the portal's pages compute: the timeline picture, the countdown's words, the progress bars."""

from __future__ import annotations

import math
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from capture_api.portal import pace, views
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
        "250 de 200 apoyos (125 %)",
        "180 de 200 apoyos válidos (90 %)",
        "2 de 20 municipios (10 %)",
    ]
    assert view.meters[0].percent == 100.0  # the bar is capped; the words say how far past
    assert view.by_municipio == [("Durango", 200, 150, 75.0), ("Gómez Palacio", 50, 30, 15.0)]
    assert view.window_closes == "2022-02-10 24:00 CST"
    assert view.verification_note == (
        "Verificación final con corte al 2022-02-12 00:00 CST: 250 apoyos revisados, 180 válidos, de ellos 4 en "
        "revisión en la mesa de control."
    )


# -- the pace forecast ------------------------------------------------------------------------------------------

OPENS, CLOSES = utc("2022-01-02T06:00:00Z"), utc("2022-02-11T06:00:00Z")  # Durango's gubernatura: 40 days


def forecast(received: int, recent: int, now: str, required: int | None = 1000, verified=None, valid=None):
    return pace.forecast(
        required=required,
        so_far=pace.counted(received, verified, valid),
        recent=recent,
        opens=OPENS,
        closes=CLOSES,
        now=utc(now),
        tz=TZ,
    )


def test_pace_at_the_current_rate_reaches_the_quota_on_a_day() -> None:
    # 20 days in, 700 received in the last week: 100 a day; 300 missing → 3 days → 25 January, local.
    f = forecast(700, 700, "2022-01-22T06:00:00Z")
    assert f is not None and f.per_day == 100.0 and f.reached_on == date(2022, 1, 25)
    assert f.sentence == (
        "Al ritmo de los últimos días, unos 100 apoyos recibidos al día, alcanzaría el apoyo requerido el 25 de "
        "enero de 2022, antes del cierre (2022-02-10 24:00 CST)."
    )
    # 20 days left, 600 missing: 30 a day needed either way.
    assert f.needed_per_day is not None and f.needed_per_day == math.ceil(300 / 20)


def test_pace_too_slow_says_the_rate_needed() -> None:
    f = forecast(70, 7, "2022-01-22T06:00:00Z")  # one a day; 930 missing in 20 days
    assert f is not None and f.reached_on is None and f.needed_per_day == 47 and f.per_day == 1.0
    assert f.sentence == (
        "Al ritmo de los últimos días, unos 1.0 apoyos recibidos al día, no alcanzaría el apoyo requerido antes del "
        "cierre (2022-02-10 24:00 CST): faltan 930; necesita unos 47 apoyos válidos al día."
    )


def test_pace_uses_the_valid_share_of_the_latest_verification() -> None:
    # 400 verified of which 300 valid (75 %); 100 more received since: 375 valid; 100 a day received → 75 valid.
    f = forecast(500, 700, "2022-01-22T06:00:00Z", verified=400, valid=300)
    assert f is not None and f.per_day == 75.0 and "unos 75 apoyos válidos al día" in f.sentence
    assert f.reached_on == date(2022, 1, 30)  # 625 missing / 75 = 8.3 days after the 22nd, local midnight


def test_pace_with_no_captures_yet_gives_the_rate_needed() -> None:
    f = forecast(0, 0, "2022-01-02T18:00:00Z")
    assert f is not None and f.per_day == 0.0 and f.reached_on is None
    assert f.sentence.startswith("Todavía no ha llegado ningún apoyo. Para reunir los 1,000 que faltan")
    assert f.needed_per_day == math.ceil(1000 / 39.5)
    quiet = forecast(10, 0, "2022-01-22T06:00:00Z")  # some arrived, none lately
    assert quiet is not None and quiet.sentence.startswith("En los últimos días no llegó ningún apoyo")


def test_pace_edge_cases_reached_closed_before_opening_and_no_quota() -> None:
    done = forecast(1200, 50, "2022-01-22T06:00:00Z", verified=1100, valid=1050)
    assert done is not None and done.sentence == "Ya reunió el apoyo requerido: 1,145 de 1,000 apoyos válidos."
    closed = forecast(800, 0, "2022-02-12T06:00:00Z")
    assert closed is not None and closed.per_day is None
    assert closed.sentence == "El periodo de captación cerró el 2022-02-10 24:00 CST con 800 de 1,000 apoyos recibidos."
    early = forecast(0, 0, "2021-12-30T06:00:00Z")
    assert early is not None and early.needed_per_day == 25 and "abre el 2022-01-02 00:00 CST" in early.sentence
    assert forecast(5, 5, "2022-01-22T06:00:00Z", required=None) is None
    # Just opened: an hour's captures are read as a day's.
    burst = forecast(40, 40, "2022-01-02T07:00:00Z")
    assert burst is not None and burst.per_day == 40.0
    assert pace.since(OPENS, utc("2022-01-22T06:00:00Z")) == utc("2022-01-15T06:00:00Z")


def test_the_apoyo_ahead_is_prepared_once_and_only_until_its_lease_ends() -> None:
    from capture_api.portal.ahead import Ahead

    loads: list[tuple[int, str]] = []

    def load(capture_id: int, part: str) -> tuple[bytes, str]:
        loads.append((capture_id, part))
        return f"{capture_id}/{part}".encode(), "image/jpeg"

    until, now = utc("2022-02-12T08:05:00Z"), utc("2022-02-12T08:00:00Z")
    ahead = Ahead(most=4)
    ahead.prepare(7, ["anverso", "foto"], until, load)
    ahead.prepare(7, ["anverso", "foto"], until, load)  # asked twice: loaded once
    assert ahead.take(7, "anverso", now) == (b"7/anverso", "image/jpeg")  # waits for it if on its way
    assert ahead.take(7, "anverso", now) is None  # served once
    assert ahead.take(7, "foto", until) is None  # the lease has ended: dropped
    assert loads == [(7, "anverso"), (7, "foto")]
    for capture_id in (8, 9, 10):
        ahead.prepare(capture_id, ["anverso", "foto"], until, load)
    ahead.wait()
    assert ahead.take(8, "anverso", now) is None and ahead.take(10, "foto", now) is not None  # bounded: oldest out
