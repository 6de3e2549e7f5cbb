"""`convoca calendar …` through click's test runner: exit codes, output, and the clock options."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner, Result

from convoca.cli import main
from workflow.calendar.schema import calendar_json_schema_text


def run(*args: Any) -> Result:
    return CliRunner().invoke(main, ["calendar", *map(str, args)])


def show_json(*args: Any) -> dict:
    result = run("show", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def states(payload: dict) -> dict[str, str]:
    return {p["id"]: p["state"] for p in payload["phases"]}


def row(out: str, name: str) -> list[str]:
    """The figures on the table row of a demarcación or unit: its name, then two or more spaces."""
    line = next(s for s in out.splitlines() if s.strip().startswith(f"{name}  "))
    return line.strip().removeprefix(name).split()


# --- validate ---------------------------------------------------------------------------------------------------


def test_validate_good_calendars(durango_path: Path, synthetic_path: Path) -> None:
    result = run("validate", durango_path, synthetic_path)
    assert result.exit_code == 0, result.output
    assert (
        f"{durango_path}: válido (durango-2021-2022, 16 fases, 2 cargos, 23 sin confirmar, "
        "20 datos de los documentos sin dar)" in result.stdout
    )
    assert (
        f"{synthetic_path}: válido (synthetic-quintana-roo-2022, 11 fases, 2 cargos, 2 sin confirmar, "
        "20 datos de los documentos sin dar)" in result.stdout
    )
    # Durango's published quotas differ from the computed ones by more than 1 %: a warning each, with both numbers.
    warnings = result.stderr.splitlines()
    assert len(warnings) == 3 and all(": aviso: " in w for w in warnings)
    assert "es 13,079 (" in warnings[0] and "se calcula 13,386 (+307, 2.35 %" in warnings[0]


def test_validate_strict_lists_every_unconfirmed_value_and_fails(durango_path: Path) -> None:
    result = run("validate", "--strict", durango_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{durango_path}:154:12: valor sin confirmar: phases[manifestacion-intencion].start = 2021-11-22" in lines
    assert any("process.signatories[Karen Flores Maciel]" in line for line in lines)
    assert any("review = sample_percentage: 5" in line for line in lines)
    assert any("documents.audiencia_days = 3" in line for line in lines)
    assert any("se calcula con cifras que no son del corte legal" in line for line in lines)
    assert len([line for line in lines if "sin confirmar:" in line]) == 22


def test_validate_reports_problems_with_position_and_fails(durango_path: Path, tmp_path: Path) -> None:
    text = durango_path.read_text(encoding="utf-8")
    broken = tmp_path / "roto.yaml"
    broken.write_text(text.replace("  timezone: America/Monterrey", "  timezone: America/Durango_City"))
    result = run("validate", durango_path, broken)
    assert result.exit_code == 1
    assert "durango-2021-2022.yaml: válido" in result.stdout  # the good one is still reported
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("  timezone:"))
    assert f"{broken}:{line}:" in result.stderr
    assert "America/Durango_City" in result.stderr
    assert f"{broken}: 1 problema" in result.stderr


def test_validate_missing_file_and_no_file(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "nada.yaml")
    assert result.exit_code == 1
    assert "el archivo no existe" in result.stderr
    assert run("validate").exit_code == 2


# --- show -------------------------------------------------------------------------------------------------------


def test_show_capture_open_until_the_end_of_10_february(durango_path: Path) -> None:
    before = show_json(durango_path, "--at", "2022-02-11T05:59:59Z")
    assert before["at"] == "2022-02-11T05:59:59Z"
    assert before["timezone"] == "America/Monterrey"
    assert states(before)["captacion-ayuntamientos"] == "abierta"
    assert states(before)["captacion-gubernatura"] == "abierta"
    assert states(before)["verificacion"] == "pendiente"
    after = show_json(durango_path, "--at", "2022-02-11T06:00:00Z")
    assert states(after)["captacion-ayuntamientos"] == "cerrada"
    assert states(after)["verificacion"] == "abierta"
    phase = next(p for p in after["phases"] if p["id"] == "captacion-ayuntamientos")
    assert phase["start_utc"] == "2022-01-12T06:00:00Z"
    assert phase["end_utc"] == "2022-02-11T06:00:00Z"
    assert phase["end_local"] == "2022-02-11T00:00:00-06:00"
    assert phase["cargos"] == ["ayuntamiento"]
    assert phase["kind"] == "captacion_apoyo"


def test_show_accepts_any_offset(durango_path: Path) -> None:
    payload = show_json(durango_path, "--at", "2022-02-10T23:59:59-06:00")
    assert payload["at"] == "2022-02-11T05:59:59Z"
    assert states(payload)["captacion-ayuntamientos"] == "abierta"


def test_show_table(durango_path: Path) -> None:
    result = run("show", durango_path, "--clock", "fixed", "--at", "2022-02-11T06:00:00Z")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "IEPC · Proceso Electoral Local 2021-2022 · zona America/Monterrey"
    assert "2022-02-11 00:00 CST (2022-02-11T06:00:00Z)" in lines[1]
    capture = next(s for s in lines if s.startswith("captacion-ayuntamientos "))
    assert "2022-01-12 00:00 CST" in capture
    assert "2022-02-10 24:00 CST" in capture
    assert "2022-02-11T06:00Z" in capture
    assert capture.endswith("cerrada")
    assert next(s for s in lines if s.startswith("campana-gubernatura ")).split()[-1] == "pendiente"


def test_show_synthetic_in_cancun(synthetic_path: Path) -> None:
    payload = show_json(synthetic_path, "--at", "2022-02-11T04:59:59Z")
    assert payload["timezone"] == "America/Cancun"
    assert states(payload)["captacion-gubernatura"] == "abierta"
    assert states(payload)["captacion-diputaciones"] == "abierta"
    phase = next(p for p in payload["phases"] if p["id"] == "convocatoria")
    assert (phase["start_local"], phase["start_utc"]) == ("2022-01-07T10:00:00-05:00", "2022-01-07T15:00:00Z")
    assert states(show_json(synthetic_path, "--at", "2022-02-11T05:00:00Z"))["captacion-gubernatura"] == "cerrada"


def test_show_invalid_calendar_fails(tmp_path: Path) -> None:
    bad = tmp_path / "malo.yaml"
    bad.write_text("process: {}\n")
    result = run("show", bad, "--at", "2022-01-01T00:00:00Z")
    assert result.exit_code == 1
    assert f"{bad}:" in result.stderr


# --- clock options ----------------------------------------------------------------------------------------------


def test_system_clock_by_default(durango_path: Path) -> None:
    payload = show_json(durango_path)
    at = datetime.fromisoformat(payload["at"])
    assert abs(at - datetime.now(UTC)) < timedelta(minutes=1)
    assert set(states(payload).values()) == {"cerrada"}  # the 2021-2022 process is over


def test_accelerated_clock(durango_path: Path) -> None:
    payload = show_json(durango_path, "--clock", "accelerated", "--from", "2022-02-11T05:59:00Z", "--speed", "1")
    at = datetime.fromisoformat(payload["at"])
    assert datetime(2022, 2, 11, 5, 59, tzinfo=UTC) <= at < datetime(2022, 2, 11, 6, tzinfo=UTC)
    assert states(payload)["captacion-ayuntamientos"] == "abierta"
    # --from alone means the accelerated clock, as --at alone means the fixed one.
    payload = show_json(durango_path, "--from", "2022-02-11T06:00:00Z", "--speed", "1")
    assert datetime.fromisoformat(payload["at"]) >= datetime(2022, 2, 11, 6, tzinfo=UTC)
    assert states(payload)["captacion-ayuntamientos"] == "cerrada"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2022-02-11T06:00:00"], "no indica zona horaria"),
        (["--at", "2022-02-11"], "no indica zona horaria"),
        (["--at", "ayer"], "no es un instante ISO 8601"),
        (["--clock", "fixed"], "--clock fixed necesita --at"),
        (["--clock", "accelerated"], "--clock accelerated necesita --from"),
        (["--clock", "accelerated", "--from", "2022-01-01T00:00Z", "--at", "2022-01-01T00:00Z"], "no los combine"),
        (["--clock", "fixed", "--at", "2022-01-01T00:00Z", "--from", "2022-01-01T00:00Z"], "no los combine"),
        (["--clock", "accelerated", "--from", "2022-01-01T00:00Z", "--speed", "0"], "--speed"),
    ],
)
def test_clock_option_errors(durango_path: Path, args: list[str], message: str) -> None:
    result = run("show", durango_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr


# --- quotas -----------------------------------------------------------------------------------------------------


def test_quotas_all_cargos(durango_path: Path) -> None:
    result = run("quotas", durango_path)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert (
        "Gubernatura (gubernatura): 1 % de la Lista Nominal (Lista Nominal publicada para la jornada electoral del 5 "
        "de junio de 2022), redondeado hacia arriba" in out
    )
    assert "(ayuntamiento): 1 % de la Lista Nominal" in out
    # base, computed, published, and the one that counts: the published figure. The state row comes first.
    assert row(out, "Durango") == ["1,338,589", "13,386", "13,079", "13,079"]
    assert row(out, "San Luis del Cordero") == ["1,894", "mínimo", "19"]
    assert "Se requieren 20 de 39 municipios:" in out
    assert "[regla supuesta, sin confirmar]" in out
    assert "Gómez Palacio: 103 de 206 secciones" in out


def test_quotas_one_cargo(durango_path: Path) -> None:
    result = run("quotas", durango_path, "--cargo", "ayuntamiento")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "(gubernatura)" not in out
    assert "(ayuntamiento)" in out
    assert row(out, "Durango") == ["496,699", "4,967", "4,821", "4,821"]
    assert row(out, "Gómez Palacio") == ["264,967", "2,650", "2,574", "2,574"]
    assert row(out, "Lerdo") == ["112,335", "1,124", "—", "1,124"]  # nothing published: the computed one
    assert "Durango: 167 de 333 secciones" in out
    assert "al menos 50 % de las secciones de la demarcación, cada una con al menos 1 % de su Lista Nominal" in out


def test_quotas_unknown_cargo_is_a_clear_spanish_error(durango_path: Path) -> None:
    result = run("quotas", durango_path, "--cargo", "senaduria")
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "el cargo «senaduria» no existe" in result.stderr
    assert "gubernatura, ayuntamiento" in result.stderr
    assert "Invalid value" not in result.stderr


def test_quotas_synthetic_padron_and_districts(synthetic_path: Path) -> None:
    result = run("quotas", synthetic_path, "--cargo", "gubernatura")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Gubernatura (gubernatura): 1.5 % del Padrón al 2021-08-31" in out
    assert row(out, "Quintana Roo") == ["1,304,100", "19,562", "—", "19,562"]
    assert row(out, "Distrito 01") == ["40,745", "mínimo", "612"]
    assert "al menos 50 % de los distritos de la demarcación, cada uno con al menos 1.5 % de su Padrón" in out
    assert "Se requieren 8 de 15 distritos:" in out
    result = run("quotas", synthetic_path, "--cargo", "diputacion")
    assert "Distrito 01: 24 de 47 secciones" in result.stdout


# --- ics and schema ---------------------------------------------------------------------------------------------


def test_ics_to_file(durango_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "durango.ics"
    result = run("ics", durango_path, "-o", out, "--at", "2022-01-01T06:00:00Z")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"escrito {out}" in result.stderr
    parsed = icalendar.Calendar.from_ical(out.read_bytes())
    events = parsed.walk("VEVENT")
    assert len(events) == 16
    assert {e["DTSTAMP"].dt for e in events} == {datetime(2022, 1, 1, 6, tzinfo=UTC)}
    assert parsed.walk("VTIMEZONE")[0]["TZID"] == "America/Monterrey"


def test_ics_to_stdout(synthetic_path: Path) -> None:
    result = CliRunner().invoke(main, ["calendar", "ics", str(synthetic_path), "--at", "2022-01-01T00:00:00Z"])
    assert result.exit_code == 0, result.output
    parsed = icalendar.Calendar.from_ical(result.stdout_bytes)
    assert len(parsed.walk("VEVENT")) == 11
    assert b"DTSTART;TZID=America/Cancun:20220107T100000" in result.stdout_bytes


def test_schema_command_prints_the_shipped_schema(root: Path, tmp_path: Path) -> None:
    shipped = (root / "calendars" / "calendar.schema.json").read_text(encoding="utf-8")
    result = run("schema")
    assert result.exit_code == 0
    assert result.stdout == shipped == calendar_json_schema_text()
    out = tmp_path / "calendar.schema.json"
    assert run("schema", "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8") == shipped
