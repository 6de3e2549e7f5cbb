"""What the portal's pages show, computed from the domain: plain data for the templates, no HTTP here.

The timeline picture and the bars are SVG drawn with presentation attributes only (no ``style``), so the pages
keep a Content-Security-Policy without inline styles or scripts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from verification.progress import Progress
from workflow.calendar.localtime import format_local
from workflow.calendar.model import Calendar
from workflow.calendar.quotas import quotas
from workflow.calendar.timeline import PhaseState, timeline
from workflow.documents.records import DocumentVersion
from workflow.documents.spanish import number as figure
from workflow.documents.spanish import percentage

STATE_LABELS = {
    PhaseState.pendiente: "Pendiente",
    PhaseState.abierta: "En curso",
    PhaseState.cerrada: "Concluida",
}
# Fill colours of the timeline's bars by state (contrast ≥ 3:1 against white, WCAG 1.4.11), and their legend.
STATE_FILL = {PhaseState.pendiente: "#6f7271", PhaseState.abierta: "#0b6b4f", PhaseState.cerrada: "#9d2449"}

MONTHS = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"]


@dataclass(frozen=True)
class PhaseRow:
    id: str
    name: str
    scope: str  # «Todos los cargos», «Gubernatura», «Ayuntamiento · grupo 2»
    state: str
    state_key: str
    start_local: str
    end_local: str
    start_utc: str
    end_utc: str
    unconfirmed: bool


@dataclass(frozen=True)
class Bar:
    y: float
    x: float
    width: float
    fill: str
    label: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TimelineSvg:
    width: int
    height: int
    left: int
    bars: list[Bar]
    headings: list[Tick]  # x is the baseline's y here
    ticks: list[Tick]
    today_x: float | None
    today_label: str
    description: str


@dataclass(frozen=True)
class QuotaRow:
    demarcacion: str
    base: int | None
    computed: int | None
    published: int | None
    required: int | None


@dataclass(frozen=True)
class QuotaTable:
    cargo: str
    base_label: str
    rows: list[QuotaRow]


@dataclass(frozen=True)
class OpenWindowView:
    name: str
    closes_local: str
    remaining: str
    closes_iso: str  # the instant, for the countdown script (it counts from the server's clock, not the device's)


@dataclass(frozen=True)
class ProcessView:
    id: str
    name: str
    ople: str
    timezone: str
    calendar_version: int
    state: str
    now_local: str
    phases: list[PhaseRow]
    svg: TimelineSvg
    quotas: list[QuotaTable]
    open_windows: list[OpenWindowView] = field(default_factory=list)
    now_iso: str = ""


def utc_text(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def remaining(delta: timedelta) -> str:
    """«3 días y 4 horas», «5 horas y 12 minutos», «12 minutos»."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)

    def n(value: int, one: str, many: str) -> str:
        return f"{value} {one if value == 1 else many}"

    if days:
        return f"{n(days, 'día', 'días')} y {n(hours, 'hora', 'horas')}"
    if hours:
        return f"{n(hours, 'hora', 'horas')} y {n(mins, 'minuto', 'minutos')}"
    return n(mins, "minuto", "minutos")


def _scope(cal: Calendar, cargos: list[str], groups: list[int]) -> str:
    names = {c.id: c.name.split(" (")[0] for c in cal.cargos}
    scope = ", ".join(names.get(c, c) for c in cargos) if cargos else "Todos los cargos"
    if groups:
        scope += " · grupo " + ", ".join(str(g) for g in groups)
    return scope


def process_view(cal: Calendar, calendar_version: int, now: datetime) -> ProcessView:
    tz = cal.tz
    resolved = timeline(cal)
    # Rows ordered by scope (all cargos first, then each cargo in the calendar's order), then by start.
    order = {c.id: i for i, c in enumerate(cal.cargos)}
    resolved.sort(key=lambda r: (min((order.get(c, 99) for c in r.phase.cargos), default=-1), r.start))
    rows = []
    for r in resolved:
        state = r.state(now)
        p = r.phase
        rows.append(
            PhaseRow(
                id=p.id,
                name=p.name,
                scope=_scope(cal, list(p.cargos), list(p.groups)),
                state=STATE_LABELS[state],
                state_key=state.value,
                start_local=format_local(r.start, tz),
                end_local=format_local(r.end, tz, is_end=True),
                start_utc=utc_text(r.start),
                end_utc=utc_text(r.end),
                unconfirmed=bool(p.unconfirmed),
            )
        )
    states = {r.state(now) for r in resolved}
    overall = (
        "Concluido"
        if states == {PhaseState.cerrada}
        else ("Por iniciar" if states == {PhaseState.pendiente} else "En curso")
    )
    windows = [
        OpenWindowView(r.phase.name, format_local(r.end, tz, is_end=True), remaining(r.end - now), iso(r.end))
        for r in resolved
        if r.phase.kind.value == "captacion_apoyo" and r.state(now) is PhaseState.abierta
    ]
    return ProcessView(
        id=cal.process.id,
        name=cal.process.name,
        ople=cal.process.ople.name,
        timezone=cal.process.timezone,
        calendar_version=calendar_version,
        state=overall,
        now_local=format_local(now, tz),
        phases=rows,
        svg=timeline_svg(resolved, rows, now, tz),
        quotas=quota_tables(cal),
        open_windows=windows,
        now_iso=iso(now),
    )


ROW_HEIGHT = 28
TOP = 34
LEFT = 330
WIDTH = 960


def short(text: str, limit: int = 46) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def timeline_svg(resolved: list, rows: list[PhaseRow], now: datetime, tz: ZoneInfo) -> TimelineSvg:
    """Bars of every phase on one time axis, a row each under a heading per cargo, month ticks, and «hoy»."""
    start = min(r.start for r in resolved)
    end = max(r.end for r in resolved)
    span = (end - start).total_seconds() or 1.0
    plot = WIDTH - LEFT - 20

    def x(instant: datetime) -> float:
        return round(LEFT + plot * (instant - start).total_seconds() / span, 1)

    bars, headings, y, heading = [], [], TOP, None
    for r, row in zip(resolved, rows, strict=True):
        cargo = row.scope.split(" · ")[0]
        if cargo != heading:
            heading = cargo
            headings.append(Tick(y + 18, cargo))
            y += ROW_HEIGHT
        left = x(r.start)
        bars.append(
            Bar(
                y=y,
                x=left,
                width=max(3.0, round(x(r.end) - left, 1)),
                fill=STATE_FILL[PhaseState(row.state_key)],
                label=short(row.name),
                title=f"{row.name} ({row.scope}): {row.start_local} – {row.end_local} · {row.state}",
            )
        )
        y += ROW_HEIGHT
    ticks = []
    local = start.astimezone(tz)
    month = datetime(local.year, local.month, 1, tzinfo=tz)
    while month <= end:
        if month >= start and x(month) < WIDTH - 50:  # a label that would not fit at the right edge is left out
            ticks.append(Tick(x(month), f"{MONTHS[month.month - 1]} {month.year % 100:02d}"))
        month = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=tz)
    today = x(now) if start <= now <= end else None
    return TimelineSvg(
        width=WIDTH,
        height=y + 10,
        left=LEFT,
        bars=bars,
        headings=headings,
        ticks=ticks,
        today_x=today,
        today_label=f"hoy, {now.astimezone(tz):%d/%m/%Y}",
        description=f"{len(rows)} fases entre el {format_local(start, tz)} y el {format_local(end, tz, is_end=True)}; "
        "la tabla que sigue da las mismas fechas en texto.",
    )


BASE_LABELS = {"lista_nominal": "Lista nominal", "padron": "Padrón electoral"}


def quota_tables(cal: Calendar) -> list[QuotaTable]:
    tables = []
    for cargo in cal.cargos:
        rows = [
            QuotaRow(q.demarcacion.name, q.base_count, q.computed, q.published, q.required) for q in quotas(cal, cargo)
        ]
        tables.append(QuotaTable(cargo.name, BASE_LABELS.get(cargo.threshold.base.value, "Base"), rows))
    return tables


# -- documents ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentRow:
    id: int
    title: str
    kind: str
    number: int
    generated_local: str
    published_local: str | None
    sha256: str
    size_kb: str
    draft: bool
    forced_reason: str | None
    url: str


def document_rows(versions: list[DocumentVersion], tz: ZoneInfo) -> list[DocumentRow]:
    """Newest first within each kind; only what was published reaches here."""
    out = []
    for v in sorted(versions, key=lambda v: (v.kind, -v.number)):
        assert v.id is not None
        out.append(
            DocumentRow(
                id=v.id,
                title=v.title,
                kind=v.kind,
                number=v.number,
                generated_local=format_local(v.generated_at, tz),
                published_local=format_local(v.published_at, tz) if v.published_at else None,
                sha256=v.sha256,
                size_kb=f"{figure(max(1, round(v.size / 1024)))} KB",
                draft=v.draft,
                forced_reason=v.forced_reason,
                url=f"/api/v1/documents/{v.id}",
            )
        )
    return out


# -- an aspirante's progress -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """A horizontal bar: ``value`` of ``goal``, drawn in a 0–100 box (the SVG's viewBox)."""

    label: str
    value: int
    goal: int | None
    percent: float  # 0–100, capped, for the drawing
    text: str  # what the bar says in words


def meter(label: str, value: int, goal: int | None, unit: str) -> Meter:
    if not goal:
        return Meter(label, value, goal, 0.0, f"{figure(value)} {unit}")
    pct = min(100.0, 100.0 * value / goal)
    text = f"{figure(value)} de {figure(goal)} {unit} ({percentage(round(100.0 * value / goal, 1))})"
    return Meter(label, value, goal, round(pct, 2), text)


@dataclass(frozen=True)
class ProgressView:
    window_state: str
    window_opens: str | None
    window_closes: str | None
    meters: list[Meter]
    by_status: list[tuple[str, int]]
    by_municipio: list[tuple[str, int, int, float]]  # name, received, valid, valid as % of the largest received
    by_seccion: list[tuple[str, int]]
    verification_note: str | None
    late: int


def progress_view(p: Progress, tz: ZoneInfo) -> ProgressView:
    meters = [meter("Apoyos recibidos", p.received, p.required, "apoyos")]
    v = p.verification
    note = None
    municipios: list[tuple[str, int, int, float]] = []
    if v is not None:
        meters.append(meter("Apoyos válidos según la última verificación", v.valid, p.required, "apoyos válidos"))
        if v.dispersion is not None:
            unit = {"municipio": "municipios", "distrito": "distritos", "seccion": "secciones"}.get(
                v.dispersion.unit, v.dispersion.unit
            )
            meters.append(meter("Regla de dispersión", v.dispersion.reached, v.dispersion.needed, unit))
        top = max((m.received for m in v.by_municipio), default=0) or 1
        municipios = [(m.name, m.received, m.valid, round(100.0 * m.valid / top, 2)) for m in v.by_municipio]
        cut = format_local(v.received_before_utc, tz)
        note = (
            f"Verificación {v.kind} con corte al {cut}: {figure(v.verified)} apoyos revisados, "
            f"{figure(v.valid)} válidos"
            + (f", de ellos {figure(v.flagged)} en revisión en la mesa de control" if v.flagged else "")
            + "."
        )
    return ProgressView(
        window_state=p.window_state,
        window_opens=format_local(p.window_opens_utc, tz) if p.window_opens_utc else None,
        window_closes=format_local(p.window_closes_utc, tz, is_end=True) if p.window_closes_utc else None,
        meters=meters,
        by_status=[(s.label, s.count) for s in p.by_status],
        by_municipio=municipios,
        by_seccion=[(c.key, c.count) for c in p.by_seccion],
        verification_note=note,
        late=p.late,
    )
