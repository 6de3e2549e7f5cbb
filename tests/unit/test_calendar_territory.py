"""Issue 12: zones per municipio, published quotas, the rounding rule, district maps, phase kinds and values
marked unconfirmed — on small calendars written here."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers import utc
from workflow.calendar.ics import to_ics
from workflow.calendar.init import UnknownEntidad, entidades, find_entidad, scaffold
from workflow.calendar.loader import CalendarError, load_calendar, parse_calendar
from workflow.calendar.localtime import end_instant
from workflow.calendar.model import PhaseKind, Threshold
from workflow.calendar.pending import draft_reasons
from workflow.calendar.quotas import quotas
from workflow.calendar.timeline import timeline
from workflow.captures.windows import decide, window_for
from workflow.documents.context import shown

# A Tamaulipas-like 2023 process: the state is on America/Monterrey (no daylight saving since Oct 2022); Matamoros
# keeps the US rules (America/Matamoros), which moved its clocks on 12 March 2023.
BORDER = """
process:
  id: frontera-2023
  name: Proceso de prueba 2022-2023
  ople: {name: Instituto de Prueba, acronym: IP}
  state: Tamaulipas
  entity_key: "28"
  timezone: America/Monterrey
  start: 2023-01-01
  election_day: 2023-06-04
  approving_acuerdo: IP/CG01/2022
  roll_cut_date: 2022-08-31
territory:
  municipios:
    - {inegi: "28022", name: Matamoros, timezone: America/Matamoros, lista_nominal: 400001}
    - {inegi: "28041", name: Victoria, lista_nominal: 300000}
cargos:
  - id: gubernatura
    name: Gubernatura
    demarcacion: estado
    threshold:
      percentage: 3
      published: {acuerdo: IP/CG10/2022, required: {"28": 20000}, tolerance_percentage: 2}
  - id: ayuntamiento
    name: Ayuntamiento
    demarcacion: municipio
    threshold: {percentage: 1.5, rounding: nearest}
phases:
  - {id: convocatoria, name: Convocatoria, kind: convocatoria, start: 2023-01-01, end: 2023-01-10}
  - {id: dictamen-aspirantes, name: Constancias, kind: dictamen_aspirantes, start: 2023-01-20, end: 2023-01-20}
  - id: captacion-ayuntamientos
    name: Captación (Ayuntamientos)
    kind: captacion_apoyo
    cargos: [ayuntamiento]
    start: 2023-03-01
    end: 2023-03-20
  - id: captacion-gubernatura
    name: Captación (Gubernatura)
    kind: captacion_apoyo
    cargos: [gubernatura]
    start: 2023-03-01
    end: 2023-03-20
  - {id: jornada, name: Jornada, kind: jornada_electoral, start: 2023-06-04, end: 2023-06-04}
"""


@pytest.fixture
def border():
    return parse_calendar(BORDER)


def test_a_border_municipio_window_is_read_on_its_own_clock_across_the_us_dst_change(border) -> None:
    cal = border.calendar
    matamoros = window_for(cal, "ayuntamiento", "28022", date(2023, 1, 20))
    victoria = window_for(cal, "ayuntamiento", "28041", date(2023, 1, 20))
    assert matamoros is not None and victoria is not None
    # Both open at local midnight of 1 March, UTC−6 on both sides then.
    assert matamoros.start == victoria.start == utc("2023-03-01T06:00:00Z")
    # 20 March 24:00: Matamoros is on CDT (UTC−5) after 12 March; Victoria stays on UTC−6 — an hour later.
    assert matamoros.end == utc("2023-03-21T05:00:00Z")
    assert victoria.end == utc("2023-03-21T06:00:00Z")
    received = utc("2023-03-21T05:30:00Z")
    assert not decide(matamoros, received, received, cal.tz).accepted
    assert decide(victoria, received, received, cal.tz).accepted
    # The refusal states the close on the municipio's own clock.
    assert "2023-03-20 24:00 CDT" in decide(matamoros, received, received, cal.tz).reason
    # A state-wide captación stays on the process zone (no «local_time: municipio»).
    gub = window_for(cal, "gubernatura", "28", date(2023, 1, 20))
    assert gub is not None and gub.end == utc("2023-03-21T06:00:00Z")


def test_show_the_ics_feed_and_documents_name_each_zone(border) -> None:
    cal = border.calendar
    r = next(r for r in timeline(cal) if r.phase.id == "captacion-ayuntamientos")
    # The engine opens at the first start and closes once it is closed everywhere.
    assert (r.start, r.end) == (utc("2023-03-01T06:00:00Z"), utc("2023-03-21T06:00:00Z"))
    assert [(z.zone, z.end, z.members) for z in r.zones] == [
        ("America/Monterrey", utc("2023-03-21T06:00:00Z"), ("Victoria",)),
        ("America/Matamoros", utc("2023-03-21T05:00:00Z"), ("Matamoros",)),
    ]
    assert next(r for r in timeline(cal) if r.phase.id == "captacion-gubernatura").zones == ()
    ics = to_ics(cal, utc("2023-01-01T00:00:00Z")).decode()
    assert "DTEND;TZID=America/Matamoros:20230321T000000" in ics
    assert "DTEND;TZID=America/Monterrey:20230321T000000" in ics
    period = next(p for p in shown(cal, "convocatoria")["phases"] if p["id"] == "captacion-ayuntamientos")
    assert [(z["zone"], z["members"]) for z in period["zones"]] == [
        ("America/Monterrey", ["Victoria"]),
        ("America/Matamoros", ["Matamoros"]),
    ]


def test_local_time_municipio_puts_a_state_wide_phase_on_each_clock(border) -> None:
    text = BORDER.replace(
        "    cargos: [gubernatura]\n    start: 2023-03-01",
        "    cargos: [gubernatura]\n    local_time: municipio\n    start: 2023-03-01",
    )
    cal = parse_calendar(text).calendar
    r = next(r for r in timeline(cal) if r.phase.id == "captacion-gubernatura")
    assert {z.zone for z in r.zones} == {"America/Monterrey", "America/Matamoros"}
    proceso = BORDER.replace(
        "    cargos: [ayuntamiento]\n    start", "    cargos: [ayuntamiento]\n    local_time: proceso\n    start"
    )
    w = window_for(parse_calendar(proceso).calendar, "ayuntamiento", "28022", date(2023, 1, 20))
    assert w is not None and w.end == utc("2023-03-21T06:00:00Z")  # everyone on the process's clock


def test_the_2022_border_close_an_hour_earlier() -> None:
    # 2022: the border strip changed its clocks on 13 March, the rest of Tamaulipas on 3 April: a close at the end
    # of 22 March 2022 falls an hour earlier in Matamoros.
    day = date(2022, 3, 22)
    border, rest = end_instant(day, ZoneInfo("America/Matamoros")), end_instant(day, ZoneInfo("America/Monterrey"))
    assert rest - border == timedelta(hours=1)


def test_published_quota_wins_and_validation_warns_with_both_numbers(border) -> None:
    cal = border.calendar
    (q,) = quotas(cal, cal.cargo("gubernatura"))
    assert (q.computed, q.published, q.required, q.acuerdo) == (21_001, 20_000, 20_000, "IP/CG10/2022")
    (warning,) = border.warnings()
    assert "es 20,000 (IP/CG10/2022)" in warning.message and "se calcula 21,001 (+1,001, 5 %" in warning.message
    assert "tolerancia de 2 %" in warning.message
    conv = shown(cal, "convocatoria")
    gub = next(c for c in conv["cargos"] if c["id"] == "gubernatura")
    assert gub["quotas"][0]["required"] == "20,000" and gub["published_acuerdo"] == "IP/CG10/2022"
    # Within the tolerance: no warning.
    quiet = BORDER.replace("tolerance_percentage: 2", "tolerance_percentage: 6")
    assert parse_calendar(quiet).warnings() == []


def test_published_figures_must_name_known_demarcaciones() -> None:
    bad = BORDER.replace('required: {"28": 20000}', 'required: {"10": 20000}')
    with pytest.raises(CalendarError) as exc:
        parse_calendar(bad)
    assert "«10» no es una demarcación del cargo «gubernatura»" in str(exc.value)


@pytest.mark.parametrize(
    ("rounding", "base", "expected"),
    [
        ("up", 1_304_100, 19_562),  # 19,561.5
        ("nearest", 1_304_100, 19_562),  # half up
        ("down", 1_304_100, 19_561),
        ("up", 1_304_090, 19_562),  # 19,561.35
        ("nearest", 1_304_090, 19_561),
        ("nearest", 1_304_130, 19_562),  # 19,561.95
        ("down", 1_304_130, 19_561),
    ],
)
def test_rounding_rule(rounding: str, base: int, expected: int) -> None:
    assert Threshold.model_validate({"percentage": "1.5", "rounding": rounding}).required(base) == expected


def test_nearest_rounding_in_a_calendar(border) -> None:
    rows = {q.demarcacion.name: q.required for q in quotas(border.calendar, border.calendar.cargo("ayuntamiento"))}
    # 1.5 % × 400,001 = 6,000.015 → 6,000 (up would give 6,001); 1.5 % × 300,000 = 4,500 exactly.
    assert rows == {"Matamoros": 6_000, "Victoria": 4_500}


def test_dictamen_aspirantes_is_a_phase_kind_the_convocatoria_shows(border) -> None:
    cal = border.calendar
    assert cal.phase("dictamen-aspirantes").kind is PhaseKind.dictamen_aspirantes
    assert shown(cal, "convocatoria")["periods"]["dictamen_aspirantes"][0]["dates_words"]
    late = BORDER.replace("start: 2023-01-20, end: 2023-01-20", "start: 2023-03-02, end: 2023-03-02")
    with pytest.raises(CalendarError) as exc:  # after the captación started: out of order
        parse_calendar(late)
    assert "orden imposible" in str(exc.value)


def test_unconfirmed_values_make_a_proyecto_and_unknown_keys_are_refused(border) -> None:
    assert draft_reasons(border.calendar) == []
    marked = BORDER.replace(
        "  roll_cut_date: 2022-08-31", "  roll_cut_date: 2022-08-31\n  unconfirmed: [approving_acuerdo]"
    )
    reasons = draft_reasons(parse_calendar(marked).calendar)
    assert reasons == ["valor sin confirmar: process.approving_acuerdo = IP/CG01/2022"]
    with pytest.raises(CalendarError) as exc:
        parse_calendar(
            BORDER.replace("  roll_cut_date: 2022-08-31", "  roll_cut_date: 2022-08-31\n  unconfirmed: [fecha]")
        )
    assert "«unconfirmed» menciona «fecha», que no es una clave de este elemento" in str(exc.value)
    # A municipio without its Lista Nominal validates, but its quota is pending.
    missing = BORDER.replace(", lista_nominal: 300000}", "}")
    pending = parse_calendar(missing).pending()
    assert any("no se puede calcular en 1 demarcación(es) (Victoria)" in p.message for p in pending)


def test_districts_by_secciones() -> None:
    text = BORDER.replace(
        "cargos:\n  - id: gubernatura",
        """  districts:
    - {id: "01", name: Distrito 01, municipios: ["28022"], seccion_ranges: ["1-50"]}
    - {id: "02", name: Distrito 02, municipios: ["28022", "28041"], seccion_ranges: ["51-90"]}
cargos:
  - id: diputacion
    name: Diputación
    demarcacion: distrito
    threshold: {percentage: 2, published: {acuerdo: IP/CG11/2022, required: {"01": 900, "02": 1500}}}
  - id: gubernatura""",
        1,
    )
    loaded = parse_calendar(text)
    cal = loaded.calendar
    t = cal.territory
    assert t.districts_of("28022") == ["01", "02"] and t.districts_of("28041") == ["02"]
    assert t.districts[0].seccion_count == 50
    # No Lista Nominal for the districts: the published figures stand in.
    assert [(q.demarcacion.id, q.required, q.computed) for q in quotas(cal, cal.cargo("diputacion"))] == [
        ("01", 900, None),
        ("02", 1_500, None),
    ]
    assert not any("diputacion" in p.message for p in loaded.pending())
    overlap = text.replace('seccion_ranges: ["51-90"]', 'seccion_ranges: ["50-90"]')
    with pytest.raises(CalendarError) as exc:
        parse_calendar(overlap)
    assert "la sección 50 está en los distritos «01» y «02»" in str(exc.value)
    unplaced = text.replace(', seccion_ranges: ["51-90"]', "")
    assert any("repartido entre los distritos 01, 02" in p.message for p in parse_calendar(unplaced).pending())


# -- the synthetic OPLE calendars and `calendar init` ----------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "data" / "calendars"


def test_tamaulipas_like_calendar_validates_with_its_border_zone_and_published_quota() -> None:
    loaded = load_calendar(DATA / "tamaulipas-like-2022.yaml")
    cal = loaded.calendar
    assert len(cal.territory.municipios) == 43
    border = sorted(m.name for m in cal.territory.municipios if m.timezone == "America/Matamoros")
    assert len(border) == 10 and "Nuevo Laredo" in border and "Victoria" not in border
    (q,) = quotas(cal, cal.cargo("gubernatura"))
    assert (q.required, q.published, q.computed) == (79_745, 79_745, None)  # no roll figures were invented
    assert cal.phase("dictamen-aspirantes").kind is PhaseKind.dictamen_aspirantes
    assert cal.phase("verificacion-declaratoria").kind is PhaseKind.verificacion_declaratoria
    assert loaded.warnings() == [] and len(loaded.pending()) == 11
    # The capture closed at 24:00 of 10 February (UTC−6 on both sides of the border that day).
    w = window_for(cal, "gubernatura", "28", date(2021, 12, 15))
    assert w is not None and w.end == utc("2022-02-11T06:00:00Z")


def test_quintana_roo_like_calendar_validates_with_benito_juarez_in_seven_districts() -> None:
    loaded = load_calendar(DATA / "quintana-roo-like-2022.yaml")
    cal = loaded.calendar
    assert cal.territory.districts_of("23005") == ["02", "03", "04", "05", "06", "07", "08"]
    (q,) = quotas(cal, cal.cargo("gubernatura"))
    assert (q.base_count, q.required) == (1_304_100, 19_562)  # ⌈1.5 % × 1,304,100⌉
    messages = [p.message for p in loaded.pending()]
    assert any("Benito Juárez (23005) está repartido" in m for m in messages)
    assert any("«diputacion» no se puede calcular en 15 demarcación(es)" in m for m in messages)


@pytest.mark.parametrize("entidad", ["10", "Tamaulipas", "quintana roo"])
def test_calendar_init_output_validates_with_everything_to_supply_marked(entidad: str) -> None:
    loaded = parse_calendar(scaffold(entidad, 2027))
    cal = loaded.calendar
    assert cal.process.election_day == date(2027, 6, 6)  # first Sunday of June
    assert cal.process.entity_key == find_entidad(entidad).key
    assert len(loaded.pending()) > 10 and draft_reasons(cal)
    assert not cal.phase("convocatoria").is_unconfirmed("kind") and cal.phase("convocatoria").is_unconfirmed("start")
    if cal.process.entity_key == "28":
        assert cal.territory.municipio("28027").timezone == "America/Matamoros"  # type: ignore[union-attr]
        assert cal.territory.municipio("28041").timezone is None  # type: ignore[union-attr]


def test_calendar_init_says_what_the_catalogue_lacks() -> None:
    assert len(entidades()) == 32 and {e.key for e in entidades()} == {f"{n:02d}" for n in range(1, 33)}
    with pytest.raises(UnknownEntidad, match="no trae los municipios de Coahuila de Zaragoza"):
        scaffold("05", 2027)
    with pytest.raises(UnknownEntidad, match="no es una entidad del catálogo"):
        scaffold("Atlántida", 2027)


def test_show_lists_each_zone_of_a_phase(border, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from convoca.cli import main

    file = tmp_path / "frontera.yaml"
    file.write_text(BORDER, encoding="utf-8")
    out = CliRunner().invoke(main, ["calendar", "show", str(file), "--clock", "fixed", "--at", "2023-03-21T05:30:00Z"])
    assert out.exit_code == 0, out.output
    assert (
        "captacion-ayuntamientos en America/Matamoros (Matamoros): 2023-03-01 00:00 CST → 2023-03-20 24:00 CDT "
        "(2023-03-01T06:00Z → 2023-03-21T05:00Z)" in out.output
    )
    data = CliRunner().invoke(
        main, ["calendar", "show", str(file), "--json", "--clock", "fixed", "--at", "2023-03-21T05:30:00Z"]
    )
    import json

    phase = next(p for p in json.loads(data.output)["phases"] if p["id"] == "captacion-ayuntamientos")
    assert [z["zone"] for z in phase["zones"]] == ["America/Monterrey", "America/Matamoros"]
    assert phase["zones"][1]["end_utc"] == "2023-03-21T05:00:00Z"
