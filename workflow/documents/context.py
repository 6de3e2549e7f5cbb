"""Everything a document shows, computed from the calendar: the templates only lay it out.

No date, number or name is typed in a template; it comes from here. ``shown`` (all but the version stamp) is also
the document's fingerprint: an amendment that leaves it unchanged produces no new version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflow.calendar.document_texts import DEFAULT_TRANSITORIOS
from workflow.calendar.model import Base, Calendar, Cargo, Demarcacion, DispersionUnit, Phase, PhaseKind
from workflow.calendar.pending import draft_reasons, figures_at_legal_cut
from workflow.calendar.quotas import quotas
from workflow.calendar.required import ADDRESS_LABEL, PER_CARGO, REQUIRED, gaps, placeholder
from workflow.calendar.timeline import ResolvedPhase, timeline

from . import spanish as es

DOCUMENT_KINDS = ("convocatoria", "protocolo")  # made from the calendar alone: what the engine generates
# Families of documents that also need content from a caller: the dictamen needs a verification run. One document
# per subject, kind «<family>-<subject>» (``dictamen-gubernatura``); never generated from the calendar alone.
SUPPLEMENTED = ("dictamen",)
KIND_MAX_LENGTH = 40  # document_version.kind

TITLES = {
    "convocatoria": "Convocatoria a la ciudadanía interesada en postularse a una candidatura independiente",
    "protocolo": "Protocolo para la captación y verificación del apoyo de la ciudadanía",
}
DEMARCACION = {
    Demarcacion.estado: "el estado",
    Demarcacion.distrito: "el distrito local",
    Demarcacion.municipio: "el municipio",
}
DEMARCACION_OF = {  # «de» + «el» contracts: «del estado»
    Demarcacion.estado: "del estado",
    Demarcacion.distrito: "del distrito local",
    Demarcacion.municipio: "del municipio",
}
DEMARCACION_NOUN = {  # a column heading
    Demarcacion.estado: "Entidad",
    Demarcacion.distrito: "Distrito local",
    Demarcacion.municipio: "Municipio",
}
UNIT_PLURAL = {
    DispersionUnit.municipio: "municipios",
    DispersionUnit.distrito: "distritos",
    DispersionUnit.seccion: "secciones electorales",
}
UNIT_FEMININE = {DispersionUnit.municipio: False, DispersionUnit.distrito: False, DispersionUnit.seccion: True}
BASE = {Base.lista_nominal: "Lista Nominal de Electores", Base.padron: "Padrón Electoral"}
BASE_OF = {Base.lista_nominal: "de la Lista Nominal de Electores", Base.padron: "del Padrón Electoral"}


FEDERAL_GROUNDS = ("Constitución Política de los Estados Unidos Mexicanos", "Ley General de Instituciones")


def document_gaps(cal: Calendar, kind: str) -> list[str]:
    """What document ``kind`` lacks from the calendar, as PROYECTO reasons (empty: nothing)."""
    return [g.reason for g in gaps(cal) if kind in g.kinds]


@dataclass(frozen=True)
class VersionStamp:
    """What identifies one rendering: shown in the footer, kept out of the fingerprint."""

    document_version: int | None
    calendar_version: int | None
    fingerprint: str


@dataclass(frozen=True)
class Supplement:
    """What a caller adds to a document the calendar alone cannot make (a dictamen: the figures of a verification
    run). ``content`` is plain JSON-serialisable data: the template reads it as ``doc.extra``, it is part of the
    fingerprint (other figures, a new version; the same figures, none) and it is attached to the PDF/A as JSON, as
    the calendar is. ``created`` dates the PDF and the document (place and date): take it from the caller's inputs,
    never from the clock, so that the same inputs give the same bytes."""

    title: str
    content: dict[str, Any]
    created: datetime
    attachment_name: str
    attachment_description: str


# Builds a supplement from the calendar in force, so that the content and the attached calendar are one version.
Supplier = Callable[[Calendar], Supplement]


def family_of(kind: str) -> str | None:
    """The template family of a document kind: the kind itself for a calendar document, the part before the first
    hyphen for a supplemented one (``dictamen-gubernatura`` → ``dictamen``); None if it is no document kind."""
    if kind in DOCUMENT_KINDS:
        return kind
    family, _, subject = kind.partition("-")
    if family in SUPPLEMENTED and subject and len(kind) <= KIND_MAX_LENGTH:
        return family
    return None


def known_kinds() -> str:
    """The document kinds, in words, for error messages."""
    return ", ".join([*DOCUMENT_KINDS, *(f"{f}-<cargo>" for f in SUPPLEMENTED)])


def _upload_deadline(r: ResolvedPhase, tz: ZoneInfo) -> tuple[str | None, str | None]:
    """A capture phase's last moment for sending captures taken inside it: its end plus the late-upload grace."""
    if r.phase.kind is not PhaseKind.captacion_apoyo:
        return None, None
    deadline = r.end + timedelta(hours=r.phase.late_upload_grace_hours or 0)
    day, hour = es.local_end(deadline, tz)
    return f"las {hour} horas del {es.date_words(day)}", es.zone_label(deadline - timedelta(seconds=1), tz)


def _period(r: ResolvedPhase, cal: Calendar) -> dict[str, Any]:
    tz = cal.tz
    d1, h1 = es.local_start(r.start, tz)
    d2, h2 = es.local_end(r.end, tz)
    grace = r.phase.late_upload_grace_hours
    deadline_words, deadline_zone = _upload_deadline(r, tz)
    return {
        "id": r.phase.id,
        "name": r.phase.name,
        "kind": r.phase.kind.value,
        "kind_label": r.phase.kind.label,
        "cargos": [cal.cargo(c).name for c in r.phase.cargos] or ["Todos los cargos"],
        "all_cargos": not r.phase.cargos,
        "groups": list(r.phase.groups),
        "start_date": es.short_date(d1),
        "end_date": es.short_date(d2),
        "start_time": h1,
        "end_time": h2,
        "dates_words": es.date_range_words(d1, d2) if d1 != d2 else f"el {es.date_words(d1)}",
        "window_words": es.window_words(r.start, r.end, tz),
        "zone": es.zone_label(r.start, tz),
        "end_zone": es.zone_label(r.end, tz),
        "late_upload_grace_hours": grace,
        "late_upload_grace_words": es.count_words(grace, feminine=True) if grace else None,
        "upload_deadline_words": deadline_words,
        "upload_deadline_zone": deadline_zone,
        "window_from_constancia": r.phase.window_from_constancia,
        "window_days": r.phase.window_days,
        "window_days_words": es.count_words(r.phase.window_days, feminine=False) if r.phase.window_days else None,
        "notes": r.phase.notes,
        # Unconfirmed dates (or grace) are highlighted where the period is written.
        "unconfirmed": r.phase.is_unconfirmed("start") or r.phase.is_unconfirmed("end"),
        "grace_unconfirmed": r.phase.is_unconfirmed("late_upload_grace_hours"),
        # The same dates on other clocks: one entry per zone when some demarcaciones keep their own.
        "zones": [
            {
                "zone": z.zone,
                "window_words": es.window_words(z.start, z.end, z.tz),
                "zone_label": es.zone_label(z.start, z.tz),
                "end_zone_label": es.zone_label(z.end, z.tz),
                "members": list(z.members),
            }
            for z in r.zones
        ],
    }


def _applies(phase: Phase, cargo: Cargo) -> bool:
    return not phase.cargos or cargo.id in phase.cargos


def dispersion_words(cal: Calendar, cargo: Cargo) -> str | None:
    rule = cargo.dispersion
    if rule is None:
        return None
    units = UNIT_PLURAL[rule.unit]
    article = "las" if UNIT_FEMININE[rule.unit] else "los"
    if rule.min_units is not None:
        how_many = f"al menos {es.count_words(rule.min_units, UNIT_FEMININE[rule.unit])} ({rule.min_units}) {units}"
    else:
        fraction = rule.min_fraction
        assert fraction is not None  # Dispersion requires exactly one of min_units and min_fraction
        how_many = "al menos la mitad de" if fraction == 0.5 else f"al menos el {es.percentage(fraction * 100)} de"
        how_many = f"{how_many} {article} {units}"
    return (
        f"El apoyo deberá provenir de {how_many} {DEMARCACION_OF[cargo.demarcacion]}, y en cada una de esas "
        f"unidades deberá sumar como mínimo el {es.percentage(rule.min_percentage)} de su "
        f"{BASE[cargo.threshold.base]}."
    )


ROUNDING = {
    "up": "al número entero superior",
    "nearest": "al número entero más cercano",
    "down": "al número entero inferior",
}


def base_label(cal: Calendar) -> str:
    """What the roll figures of the calendar really are, as the documents say it: the legal cut unless the
    calendar says its figures are another (``territory.figures_label`` / ``figures_cut_date``)."""
    t = cal.territory
    if t.figures_label:
        return t.figures_label
    return f"corte al {es.date_words(t.figures_cut_date or cal.process.roll_cut_date)}"


def _cargo(cal: Calendar, cargo: Cargo, periods: list[ResolvedPhase]) -> dict[str, Any]:
    rows = quotas(cal, cargo)
    published = cargo.threshold.published
    legal_cut = figures_at_legal_cut(cal)
    windows = [
        _period(r, cal) for r in periods if r.phase.kind is PhaseKind.captacion_apoyo and _applies(r.phase, cargo)
    ]
    dispersion = cargo.dispersion
    minimums = [u for q in rows if q.dispersion for u in q.dispersion.per_unit]
    return {
        "id": cargo.id,
        "name": cargo.name,
        # Per-unit dispersion minimums where they are figures (municipios, distritos; not secciones).
        "unit_minimums": [
            {
                "name": u.unit.name,
                "base": es.number(u.base_count) if u.base_count is not None else "—",
                "minimum": es.number(u.minimum) if u.minimum is not None else None,
            }
            for u in minimums
        ]
        if dispersion is not None and dispersion.unit is not DispersionUnit.seccion
        else [],
        "term": cargo.term,
        "demarcacion": cargo.demarcacion.value,
        "demarcacion_label": DEMARCACION[cargo.demarcacion],
        "demarcacion_of": DEMARCACION_OF[cargo.demarcacion],
        "demarcacion_noun": DEMARCACION_NOUN[cargo.demarcacion],
        "demarcaciones": len(rows),
        "demarcaciones_words": es.count_words(len(rows), feminine=False),
        "percentage": es.percentage(cargo.threshold.percentage),
        "base": BASE[cargo.threshold.base],
        "base_of": BASE_OF[cargo.threshold.base],
        "windows": windows,
        "quotas": [
            {
                "name": q.demarcacion.name,
                "key": q.demarcacion.id,
                "base": es.number(q.base_count) if q.base_count is not None else "—",
                "required": es.number(q.required) if q.required is not None else "—",
                "units": (f"{q.dispersion.needed} de {q.dispersion.available}" if q.dispersion else None),
                "published": q.published is not None,
                # A figure to highlight: computed from figures that are not the legal cut, or not computable.
                "unconfirmed": q.required is None
                or (q.published is None and not legal_cut)
                or (q.published is not None and bool(published and published.is_unconfirmed("required"))),
            }
            for q in rows
        ],
        "published_acuerdo": published.acuerdo if published is not None and any(q.published for q in rows) else None,
        "published_acuerdo_unconfirmed": bool(published and published.is_unconfirmed("acuerdo")),
        "all_published": all(q.published is not None for q in rows),
        "rounding_words": ROUNDING[cargo.threshold.rounding.value],
        "total_base": es.number(sum(q.base_count or 0 for q in rows)),
        "total_required": es.number(sum(q.required or 0 for q in rows)),
        "dispersion_words": dispersion_words(cal, cargo),
        "dispersion_assumed": bool(dispersion and dispersion.assumed),
        "percentage_unconfirmed": cargo.threshold.is_unconfirmed("percentage"),
        "dispersion_unit": UNIT_PLURAL[dispersion.unit] if dispersion else None,
    }


def _generates(phase: Phase, kind: str) -> bool:
    return any(
        a.action == "generate_documents" and kind in a.params.get("documents", DOCUMENT_KINDS) for a in phase.on_start
    )


def _issued(periods: list[ResolvedPhase], kind: str) -> ResolvedPhase:
    """The phase whose start dates the document: the one that generates it, else the convocatoria, else the first."""
    for test in (lambda r: _generates(r.phase, kind), lambda r: r.phase.kind is PhaseKind.convocatoria):
        for r in periods:
            if test(r):
                return r
    return periods[0]


def issued_at(cal: Calendar, kind: str) -> datetime:
    """The instant a calendar document is issued: the start of the phase that generates it (else the
    convocatoria's, else the first phase's). Its date is the one written at the closing («a … de …»)."""
    return _issued(timeline(cal), kind).start


def created_at(cal: Calendar, kind: str, calendar_version_created: datetime | None = None) -> datetime:
    """The creation date written in a calendar document's metadata: its own issue instant, or, for a version made
    later by an amendment, the moment that calendar version was approved. Never the calendar's approval when that
    came before the issue, and never the clock: the same inputs give the same bytes."""
    issued = issued_at(cal, kind)
    if calendar_version_created is None:
        return issued
    return max(issued, calendar_version_created)


def _supplemented(cal: Calendar, kind: str, family: str, supplement: Supplement) -> dict[str, Any]:
    """A supplemented document: what the letterhead and the closing need from the calendar, and the caller's
    content under ``extra``; nothing else of the calendar, so that an unrelated amendment makes no new version."""
    p = cal.process
    return {
        "kind": kind,
        "family": family,
        "title": supplement.title,
        "process": {"id": p.id, "name": p.name, "state": p.state, "timezone": p.timezone},
        "ople": {"name": p.ople.name, "acronym": p.ople.acronym, "address": p.ople.address, "website": p.ople.website},
        "signatories": [{"name": s.name, "title": s.title} for s in p.signatories],
        "place": cal.documents.city or p.state,
        "issued_words": es.date_words(supplement.created.astimezone(cal.tz).date()),
        "extra": supplement.content,
    }


def shown(cal: Calendar, kind: str, supplement: Supplement | None = None) -> dict[str, Any]:
    """The content of document ``kind``: plain data, JSON-serialisable, for the template and the fingerprint.
    A supplemented kind (``dictamen-<cargo>``) needs its ``supplement``; a calendar document takes none."""
    family = family_of(kind)
    if family is None:
        raise ValueError(f"documento desconocido «{kind}»; documentos: {known_kinds()}")
    if (family in SUPPLEMENTED) != (supplement is not None):
        raise ValueError(
            f"el documento «{kind}» se genera con el contenido de una verificación, no solo con el calendario"
            if supplement is None
            else f"el documento «{kind}» se genera solo con el calendario"
        )
    if supplement is not None:
        return _supplemented(cal, kind, family, supplement)
    p = cal.process
    periods = timeline(cal)
    by_kind: dict[str, list[dict[str, Any]]] = {k.value: [] for k in PhaseKind}
    for r in periods:
        by_kind[r.phase.kind.value].append(_period(r, cal))
    convocatoria = by_kind["convocatoria"]
    issued = issued_at(cal, kind).astimezone(cal.tz).date()
    texts = cal.documents
    reasons = draft_reasons(cal) + document_gaps(cal, kind)
    audiencia = [r for r in periods if r.phase.kind is PhaseKind.garantia_audiencia]
    audiencia_span = (
        (audiencia[0].end.astimezone(cal.tz).date() - audiencia[0].start.astimezone(cal.tz).date()).days
        if audiencia
        else None
    )
    per_cargo = {key: {c.id: (getattr(texts, key) or {}).get(c.id) for c in cal.cargos} for key in PER_CARGO}
    return {
        "kind": kind,
        "title": TITLES[kind],
        # A calendar with unconfirmed values makes a PROYECTO: said on every page, its reasons listed.
        "calendar_draft": bool(reasons),
        "draft_reasons": reasons,
        "base_label": base_label(cal),
        "process": {
            "id": p.id,
            "name": p.name,
            "state": p.state,
            "timezone": p.timezone,
            "election_day_words": es.date_words(p.election_day),
            "election_day": es.short_date(p.election_day),
            "start_words": es.date_words(p.start),
            "roll_cut_words": es.date_words(p.roll_cut_date),
            "roll_cut": es.short_date(p.roll_cut_date),
            "approving_acuerdo": p.approving_acuerdo,
            "approved_on_words": es.date_words(p.approved_on) if p.approved_on else None,
            "legal_basis": list(p.legal_basis),
            # The federal grounds are stated by article in the templates; the calendar's own others follow them.
            "local_basis": [
                g for g in p.legal_basis if not g.startswith(FEDERAL_GROUNDS) and p.approving_acuerdo not in g
            ],
        },
        "ople": {
            "name": p.ople.name,
            "acronym": p.ople.acronym,
            "address": p.ople.address,
            "website": p.ople.website,
        },
        "signatories": [{"name": s.name, "title": s.title, "unconfirmed": s.is_unconfirmed()} for s in p.signatories],
        "place": texts.city or p.state,
        "issued_words": es.date_words(issued),
        "cargos": [_cargo(cal, c, periods) for c in cal.cargos],
        "phases": [_period(r, cal) for r in periods],
        "periods": by_kind,
        "convocatoria_period": convocatoria[0] if convocatoria else None,
        "texts": {
            "eligibility": list(texts.eligibility),
            "manifestacion_requirements": list(texts.manifestacion_requirements),
            "manifestacion_place": texts.manifestacion_place
            or (f"las oficinas del {p.ople.acronym}" + (f", ubicadas en {p.ople.address}" if p.ople.address else "")),
            "capture_app": texts.capture_app,
            "paper_exception": texts.paper_exception,
            "spending": texts.spending,
            "unforeseen": texts.unforeseen,
            "privacy_notice": texts.privacy_notice,
            "audiencia_days": texts.audiencia_days,
            "audiencia_days_words": es.count_words(texts.audiencia_days, feminine=False),
            "audiencia_days_unconfirmed": texts.is_unconfirmed("audiencia_days"),
            # A term longer than its phase cannot be right: highlighted until the calendar fixes one or the other.
            "audiencia_days_fit": audiencia_span is None or texts.audiencia_days <= audiencia_span,
            **{
                key: getattr(texts, key)
                for key in (
                    "convocatoria_acuerdo",
                    "legal_articles",
                    "separation_posts",
                    "separation_term",
                    "correction_term",
                    "constancia_date",
                    "prohibitions",
                    "spending_limits_acuerdo",
                    "fiscalization_system",
                    "report_deadline",
                    "rights",
                    "duties",
                    "loss_causes",
                    "registration_documents",
                    "notifications",
                    "appeals",
                    "official_gazette",
                    "ine_lineamientos",
                    "training",
                    "portal_url",
                    "device_requirements",
                    "support_contact",
                    "incidents",
                    "fraud",
                    "privacy_purposes",
                    "privacy_legal_basis",
                    "privacy_transfers",
                    "privacy_arco",
                    "privacy_contact",
                    "privacy_retention",
                )
            },
            "transitorios": [
                # The default's general words give way to the gazette's own name once the calendar gives it.
                t.replace("el periódico oficial del estado", f"el {texts.official_gazette}")
                if texts.official_gazette and t in DEFAULT_TRANSITORIOS
                else t
                for t in texts.transitorios
            ],
            **per_cargo,
        },
        "labels": {key: placeholder(label) for key, label, _ in REQUIRED},
        "address_placeholder": placeholder(ADDRESS_LABEL),
        "municipios_count": len(cal.territory.municipios),
    }
