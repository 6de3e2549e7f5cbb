"""`convoca calendar …`: validate, inspect and export calendar files."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import click
from babel.numbers import format_decimal

from convoca.runtime import build, settings_for
from workflow.calendar.ics import to_ics
from workflow.calendar.init import UnknownEntidad, scaffold
from workflow.calendar.loader import CalendarError, LoadedCalendar, load_calendar
from workflow.calendar.localtime import format_local
from workflow.calendar.model import Rounding
from workflow.calendar.quotas import quotas
from workflow.calendar.schema import calendar_json_schema_text
from workflow.calendar.timeline import timeline
from workflow.clock import Clock
from workflow.engine.engine import fired_edges
from workflow.engine.store import UnknownProcess

from .clock_options import clock_options
from .common import database_option

LOCALE = "es_MX"
ROUNDING_WORDS = {Rounding.up: "hacia arriba", Rounding.nearest: "al entero más cercano", Rounding.down: "hacia abajo"}


def _n(value: Decimal | float | None) -> str:
    return "—" if value is None else format_decimal(value, locale=LOCALE)


def _z(instant) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _load(file: str) -> LoadedCalendar:
    try:
        return load_calendar(file)
    except CalendarError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise SystemExit(1) from None


@click.group()
def calendar() -> None:
    """Calendarios electorales en YAML: validar, consultar y exportar."""


@calendar.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--strict",
    is_flag=True,
    help="Lista además cada valor sin confirmar (y cada apoyo requerido sin cifra o estimado) y cada dato que los "
    "documentos necesitan y el calendario no da («[PROYECTO: falta …]»), y falla si hay alguno.",
)
def validate(files: tuple[str, ...], strict: bool) -> None:
    """Valida uno o más calendarios e informa todos los problemas como ARCHIVO:LÍNEA:COLUMNA: mensaje."""
    failed = 0
    for file in files:
        try:
            loaded = load_calendar(file)
        except CalendarError as exc:
            failed += 1
            for p in exc.problems:
                click.echo(str(p), err=True)
            n = len(exc.problems)
            click.echo(f"{file}: {n} problema{'s' if n != 1 else ''}", err=True)
        else:
            for w in loaded.warnings():
                click.echo(str(w), err=True)
            c = loaded.calendar
            phases, cargos = len(c.phases), len(c.cargos)
            pending = loaded.pending()
            gaps = loaded.document_gaps()
            if strict:
                for p in [*pending, *gaps]:
                    click.echo(str(p))
                failed += bool(pending or gaps)
            note = f", {len(pending)} sin confirmar" if pending else ""
            note += f", {len(gaps)} dato{'s' if len(gaps) != 1 else ''} de los documentos sin dar" if gaps else ""
            click.echo(
                f"{file}: válido ({c.process.id}, {phases} fase{'s' if phases != 1 else ''}, "
                f"{cargos} cargo{'s' if cargos != 1 else ''}{note})"
            )
    sys.exit(1 if failed else 0)


@calendar.command()
@click.argument("file")
@click.option("--json", "as_json", is_flag=True, help="Salida JSON.")
@database_option
@clock_options
def show(file: str, as_json: bool, database_url: str | None, clock: Clock) -> None:
    """Lista las fases con horas locales y UTC, y su estado en el instante del reloj (por omisión, ahora).

    ARCHIVO puede ser también el id de un proceso guardado en la base de datos (se muestra su versión vigente); con
    una base de datos, cada fase indica además si el motor ya disparó su inicio y su fin.
    """
    fired = None
    looks_like_file = Path(file).is_file() or file.endswith((".yaml", ".yml")) or "/" in file
    if database_url is None and looks_like_file:
        cal = _load(file).calendar
    else:
        runtime = build(clock, settings_for(database_url))
        if looks_like_file:
            cal = _load(file).calendar
        else:
            try:
                cal = runtime.services.calendars.active(file).calendar
            except UnknownProcess as exc:
                raise click.ClickException(f"{exc}; indique un archivo de calendario o un proceso existente") from None
        fired = fired_edges(runtime.services.db, cal.process.id)
        runtime.close()
    tz = cal.tz
    at = clock.now()

    def fired_json(phase_id: str, edge: str) -> dict | None:
        t = (fired or {}).get((phase_id, edge))
        return None if t is None else {"fired_at": _z(t.fired_at), "late": t.late}

    def fired_text(phase_id: str, edge: str) -> str:
        t = (fired or {}).get((phase_id, edge))
        return "no" if t is None else ("sí, tarde" if t.late else "sí")

    rows = [
        {
            "id": r.phase.id,
            "name": r.phase.name,
            "kind": r.phase.kind.value,
            "cargos": list(r.phase.cargos),
            "groups": list(r.phase.groups),
            "start_local": r.start.astimezone(tz).isoformat(),
            "end_local": r.end.astimezone(tz).isoformat(),
            "start_utc": _z(r.start),
            "end_utc": _z(r.end),
            "state": r.state(at).value,
            "timezone": cal.process.timezone,
            "zones": [
                {
                    "zone": z.zone,
                    "start_local": z.start.astimezone(z.tz).isoformat(),
                    "end_local": z.end.astimezone(z.tz).isoformat(),
                    "start_utc": _z(z.start),
                    "end_utc": _z(z.end),
                    "demarcaciones": list(z.members),
                }
                for z in r.zones
            ],
            **(
                {"start_fired": fired_json(r.phase.id, "start"), "end_fired": fired_json(r.phase.id, "end")}
                if fired is not None
                else {}
            ),
        }
        for r in timeline(cal)
    ]
    if as_json:
        payload = {
            "process": cal.process.id,
            "timezone": cal.process.timezone,
            "at": _z(at),
            "phases": rows,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    click.echo(f"{cal.process.ople.acronym} · {cal.process.name} · zona {cal.process.timezone}")
    click.echo(f"Estado al {format_local(at, tz)} ({at:%Y-%m-%dT%H:%M:%SZ}). Fin exclusivo: [inicio, fin).")
    click.echo()
    header: tuple[str, ...] = ("FASE", "INICIO LOCAL", "FIN LOCAL", "INICIO UTC", "FIN UTC", "ESTADO")
    if fired is not None:
        header += ("INICIO DISPARADO", "FIN DISPARADO")
    table = [
        (
            r.phase.id,
            format_local(r.start, tz),
            format_local(r.end, tz, is_end=True),
            f"{r.start:%Y-%m-%dT%H:%MZ}",
            f"{r.end:%Y-%m-%dT%H:%MZ}",
            r.state(at).value,
            *((fired_text(r.phase.id, "start"), fired_text(r.phase.id, "end")) if fired is not None else ()),
        )
        for r in timeline(cal)
    ]
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        click.echo("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    # Phases read on several clocks: each zone with its own local and UTC instants.
    for r in timeline(cal):
        for z in r.zones:
            names = ", ".join(z.members[:4]) + (f" y {len(z.members) - 4} más" if len(z.members) > 4 else "")
            click.echo(
                f"  {r.phase.id} en {z.zone} ({names}): {format_local(z.start, z.tz)} → "
                f"{format_local(z.end, z.tz, is_end=True)} ({z.start:%Y-%m-%dT%H:%MZ} → {z.end:%Y-%m-%dT%H:%MZ})"
            )


@calendar.command(name="quotas")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--cargo", "cargo_id", default=None, help="Solo este cargo.")
def quotas_cmd(file: str, cargo_id: str | None) -> None:
    """Apoyo requerido por demarcación (calculado, publicado y el que vale) y mínimos de dispersión."""
    cal = _load(file).calendar
    cargos = cal.cargos
    if cargo_id is not None:
        cargos = [c for c in cal.cargos if c.id == cargo_id]
        if not cargos:
            raise click.ClickException(
                f"el cargo «{cargo_id}» no existe en {file}; cargos: {', '.join(c.id for c in cal.cargos)}"
            )
    base_names = {"lista_nominal": "Lista Nominal", "padron": "Padrón"}
    of_base = {"lista_nominal": "de la Lista Nominal", "padron": "del Padrón"}
    t_ = cal.territory
    cut = (t_.figures_cut_date or cal.process.roll_cut_date).isoformat()
    figures = f"({t_.figures_label})" if t_.figures_label else f"al {cut}"
    for cargo in cargos:
        t = cargo.threshold
        base = base_names[t.base.value]
        click.echo(
            f"{cargo.name} ({cargo.id}): {_n(t.percentage)} % {of_base[t.base.value]} {figures}, "
            f"redondeado {ROUNDING_WORDS[t.rounding]}"
        )
        if t.published is not None:
            on = f" del {t.published.approved_on.isoformat()}" if t.published.approved_on else ""
            click.echo(f"  Cifras publicadas: {t.published.acuerdo}{on}; prevalecen sobre las calculadas.")
        rows = quotas(cal, cargo)
        width = max(len("DEMARCACIÓN"), *(len(q.demarcacion.name) for q in rows))
        click.echo(
            f"  {'DEMARCACIÓN'.ljust(width)}  {base.upper():>14}  {'CALCULADO':>10}  {'PUBLICADO':>10}  "
            f"{'APOYO REQUERIDO':>15}"
        )
        for q in rows:
            click.echo(
                f"  {q.demarcacion.name.ljust(width)}  {_n(q.base_count):>14}  {_n(q.computed):>10}  "
                f"{_n(q.published):>10}  {_n(q.required):>15}"
            )
        rule = cargo.dispersion
        if rule is not None:
            unit, the, each = {
                "municipio": ("municipios", "los", "cada uno"),
                "distrito": ("distritos", "los", "cada uno"),
                "seccion": ("secciones", "las", "cada una"),
            }[rule.unit.value]
            assumed = " [regla supuesta, sin confirmar]" if rule.assumed else ""
            how = (
                f"al menos {_n(rule.min_fraction * 100)} % de {the}"
                if rule.min_fraction is not None  # a rule has exactly one of min_units and min_fraction
                else f"al menos {rule.min_units}"
            )
            click.echo(
                f"  Dispersión{assumed}: {how} {unit} de la demarcación, {each} con al menos "
                f"{_n(rule.min_percentage)} % de su {base}."
            )
            for q in rows:
                d = q.dispersion
                if d is None:
                    continue
                if len(rows) > 1:
                    click.echo(f"  {q.demarcacion.name}: {d.needed} de {d.available} {unit}")
                else:
                    click.echo(f"  Se requieren {d.needed} de {d.available} {unit}:")
                    uw = max((len(m.unit.name) for m in d.per_unit), default=0)
                    for m in d.per_unit:
                        click.echo(f"    {m.unit.name.ljust(uw)}  {_n(m.base_count):>10}  mínimo {_n(m.minimum):>7}")
        click.echo()


@calendar.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Archivo .ics de salida (por omisión, la salida estándar).",
)
@clock_options
def ics(file: str, output: str | None, clock: Clock) -> None:
    """Exporta el calendario en formato iCalendar (RFC 5545) con la zona horaria del OPLE."""
    data = to_ics(_load(file).calendar, clock.now())
    if output:
        Path(output).write_bytes(data)
        click.echo(f"escrito {output}", err=True)
    else:
        sys.stdout.buffer.write(data)


@calendar.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
def schema(output: str | None) -> None:
    """Imprime el JSON Schema de los archivos de calendario."""
    text = calendar_json_schema_text()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@calendar.command()
@click.argument("entidad")
@click.option("--year", "election_year", type=click.IntRange(2000, 2100), required=True, help="Año de la jornada.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None)
def init(entidad: str, election_year: int, output: str | None) -> None:
    """Crea el calendario de un OPLE nuevo a partir del catálogo incluido (ENTIDAD: clave INEGI o nombre), con todo
    lo que falta confirmar marcado «unconfirmed»; el archivo valida desde el principio."""
    try:
        text = scaffold(entidad, election_year)
    except UnknownEntidad as exc:
        raise click.ClickException(str(exc)) from None
    if output:
        if Path(output).exists():
            raise click.ClickException(f"{output} ya existe; no se sobrescribe")
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"escrito {output}; vea lo pendiente con: convoca calendar validate --strict {output}", err=True)
    else:
        click.echo(text, nl=False)
