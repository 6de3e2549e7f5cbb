"""The dictamen of a verification run: for one cargo, each aspirante's apoyos by registral status and cause, by
municipio, against the quota and the dispersion rule, and the verdict in words, as a PDF/A document version.

The content is built here, from the run's recorded counts, its roll version and the calendar in force; the
template (``templates/dictamen.html.j2``) only lays it out, and ``workflow.documents`` renders, versions and
stores it (kind ``dictamen-<cargo>``). Figures come from the run as it was recorded, never recomputed.

An official document never prints an unconfirmed value as fact: a run that is not complete or not final, apoyos
still pending at the mesa de control, a dispersion rule the calendar marks as assumed, or a quota that cannot be
computed make the document a **proyecto** that says why, and its verdict is worded as conditional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from workflow.calendar.model import Calendar, Cargo, DispersionUnit
from workflow.documents import spanish as es
from workflow.documents.context import (
    BASE,
    BASE_OF,
    DEMARCACION_OF,
    KIND_MAX_LENGTH,
    UNIT_FEMININE,
    UNIT_PLURAL,
    Supplement,
    dispersion_words,
)
from workflow.documents.records import DocumentVersion
from workflow.documents.service import DocumentService

from .outcomes import DeskTally
from .reasons import DESK_REJECTED, DESK_REJECTED_LABEL, REASON_LABELS, ReviewReason
from .records import RollVersion, VerificationRun
from .registral import BAJA_CAUSES, STATUS_LABELS, Status

if TYPE_CHECKING:
    from .audiencia import AudienciaWindow

FAMILY = "dictamen"
LGIPE = "Ley General de Instituciones y Procedimientos Electorales"
LGIPE_385 = f"{LGIPE}, artículo 385"

RUN_KINDS = {"preliminar": "preliminar", "final": "final", "manual": "a solicitud"}

# The registral rules in the order they apply (verification/registral.py): the first that holds decides.
RULES = [
    (Status.no_encontrado, "la clave de elector no se encuentra en el Padrón Electoral con la fecha de corte usada."),
    (
        Status.credencial_no_vigente,
        "la clave de elector se encuentra, pero la credencial presentada no es la vigente: su CIC (o, a falta de "
        "éste, su OCR) no coincide con el del Padrón Electoral.",
    ),
    (Status.baja, "la persona fue dada de baja del Padrón Electoral; se indica la causa."),
    (Status.padron_no_lista, "la persona está inscrita en el Padrón Electoral, pero no en la Lista Nominal."),
    (
        Status.fuera_de_ambito,
        "el domicilio registral de la persona está fuera de la demarcación de la persona aspirante.",
    ),
    (
        Status.duplicado,
        "la misma persona apoyó más de una vez a la misma persona aspirante: solo se computa el apoyo recibido "
        "primero.",
    ),
    (
        Status.otro_aspirante,
        "la misma persona apoyó antes a otra persona aspirante al mismo cargo y demarcación: solo se computa el "
        "primer apoyo presentado, según la fecha y hora de recepción en el servidor. Apoyar a personas aspirantes "
        "a cargos distintos no es duplicidad.",
    ),
    (
        Status.valido,
        "el apoyo que no cae en ninguno de los supuestos anteriores se computa, salvo lo que resuelva la mesa de "
        "control al revisar sus imágenes.",
    ),
]
# The reasons an apoyo does not count, in the order of the rules; «valido» is the last row of the counts table.
REJECTED = [s for s, _ in RULES if s is not Status.valido]


@dataclass(frozen=True)
class ReviewFigures:
    """What the mesa de control and the garantía de audiencia add to a run's figures (``verification/outcomes.py``):
    the verdicts recomputed after them, each aspirante's tally, and the audiencia's phase."""

    aspirantes: list[dict[str, Any]]  # as a run's counts store its verdicts
    tallies: dict[int, DeskTally]
    audiencia: AudienciaWindow | None
    at: datetime  # when the figures were taken
    last_decision_id: int
    last_decision_at: datetime | None


KIND_WORDS = {
    "senalado": "señalados por la revisión automática de sus imágenes",
    "muestra": "de la muestra aleatoria",
    "revision_total": "de la revisión total que ordenó el resultado de la muestra",
}


def dictamen_kind(cargo_id: str) -> str:
    """The document kind of a cargo's dictamen: ``dictamen-gubernatura``."""
    return f"{FAMILY}-{cargo_id}"


def _share(part: int, whole: int) -> str:
    """«12.3 %» of the whole, one decimal; «—» when there is no whole."""
    if whole <= 0:
        return "—"
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
    if part and not share:
        return "menos de 0.1 %"
    return f"{format_decimal(share, format='#,##0.0', locale=es.LOCALE)} %"  # always one decimal: «1.0 %»


def _figure(n: int, feminine: bool = False) -> str:
    """A figure as legal style writes it: «trece mil setenta y nueve (13,079)»."""
    return f"{es.count_words(n, feminine)} ({es.number(n)})"


def _moment(instant: datetime, tz: ZoneInfo) -> str:
    """«las 00:00 horas del doce de febrero de dos mil veintidós (tiempo del centro, UTC−06:00)»."""
    day, hhmm = es.local_start(instant, tz)
    return f"las {hhmm} horas del {es.date_words(day)} ({es.zone_label(instant, tz)})"


def _units_words(n: int, unit: str) -> str:
    """«veinticinco (25) municipios», «una (1) sección electoral»."""
    u = DispersionUnit(unit)
    return f"{_figure(n, UNIT_FEMININE[u])} {UNIT_PLURAL[u] if n != 1 else _UNIT_SINGULAR[u]}"


def _legal_basis(listed: list[str]) -> list[str]:
    """The calendar's legal basis with LGIPE art. 385 (the rules of this dictamen) named: in place of a bare
    mention of the LGIPE, else first."""
    if any("385" in g for g in listed if g.startswith(LGIPE)):
        return list(listed)
    if LGIPE in listed:
        return [LGIPE_385 if g == LGIPE else g for g in listed]
    return [LGIPE_385, *listed]


_UNIT_SINGULAR = {
    DispersionUnit.municipio: "municipio",
    DispersionUnit.distrito: "distrito",
    DispersionUnit.seccion: "sección electoral",
}


def _status_rows(a: dict[str, Any]) -> list[dict[str, Any]]:
    """The counts table: every reason an apoyo does not count, bajas by cause under theirs, then the valid ones."""
    received = a["received"]
    counts = a["counts"]
    rows = []
    for status in REJECTED:
        n = counts.get(status.value, 0)
        rows.append({"label": STATUS_LABELS[status], "count": es.number(n), "share": _share(n, received), "level": 0})
        if status is Status.baja:
            causes = a.get("causes") or {}
            known = [c for c in BAJA_CAUSES if causes.get(c)]
            unknown = sum(n for c, n in causes.items() if c not in BAJA_CAUSES)
            for cause in known:
                m = causes[cause]
                rows.append(
                    {
                        "label": f"por {BAJA_CAUSES[cause]}",
                        "count": es.number(m),
                        "share": _share(m, received),
                        "level": 1,
                    }
                )
            if unknown:
                rows.append(
                    {
                        "label": "por causa no informada",
                        "count": es.number(unknown),
                        "share": _share(unknown, received),
                        "level": 1,
                    }
                )
    if DESK_REJECTED in counts:
        n = counts[DESK_REJECTED]
        rows.append({"label": DESK_REJECTED_LABEL, "count": es.number(n), "share": _share(n, received), "level": 0})
        for reason, m in sorted((a.get("desk_reasons") or {}).items(), key=lambda x: (-x[1], x[0])):
            rows.append(
                {
                    "label": REASON_LABELS[ReviewReason(reason)],
                    "count": es.number(m),
                    "share": _share(m, received),
                    "level": 1,
                }
            )
    return rows


def _in_calendar_order(items: list[dict[str, Any]], order: dict[str, int]) -> list[dict[str, Any]]:
    """Municipios and districts in the order the calendar lists them (the OPLE's own order, not the key's: Durango
    lists Nuevo Ideal, key 10039, after Nombre de Dios); anything else (secciones) keeps its order, after them."""
    return sorted(items, key=lambda item: order.get(str(item["id"]), len(order)))


def _municipios(a: dict[str, Any], order: dict[str, int]) -> list[dict[str, Any]]:
    rows = [
        {
            "name": m["name"],
            "key": m["id"],
            "received": es.number(m["received"]),
            "valid": es.number(m["valid"]),
            "valid_n": m["valid"],
        }
        for m in _in_calendar_order(a.get("by_municipio") or [], order)
    ]
    placed = sum(m["received"] for m in a.get("by_municipio") or [])
    if a["received"] > placed:  # apoyos the roll does not place (not found): no municipio
        rest = a["received"] - placed
        rows.append(
            {
                "name": "Sin municipio registral (no encontrados)",
                "key": "",
                "received": es.number(rest),
                "valid": "0",
                "valid_n": 0,
            }
        )
    return rows


def _dispersion(d: dict[str, Any] | None, order: dict[str, int]) -> dict[str, Any] | None:
    if d is None:
        return None
    unit = d["unit"]
    units = [
        {
            "name": u["name"],
            "valid": es.number(u["valid"]),
            "valid_n": u["valid"],
            "minimum": es.number(u["minimum"]) if u["minimum"] is not None else "—",
            "minimum_n": u["minimum"],
            "reached": u["reached"],
            "short_by": es.number(u["short_by"]) if not u["reached"] else "",
        }
        for u in _in_calendar_order(d["units"], order)
    ]
    short = [u for u in d["units"] if not u["reached"]]
    return {
        "unit": unit,
        "unit_plural": UNIT_PLURAL[DispersionUnit(unit)],
        "min_percentage": es.percentage(Decimal(d["min_percentage"])),
        "needed": d["needed"],
        "needed_words": _figure(d["needed"], UNIT_FEMININE[DispersionUnit(unit)]),
        "available": d["available"],
        "available_words": _units_words(d["available"], unit),
        "reached": d["reached"],
        "reached_words": _figure(d["reached"], UNIT_FEMININE[DispersionUnit(unit)]),
        "short_count": len(short),
        "short_words": _units_words(len(short), unit),
        "article": "las" if UNIT_FEMININE[DispersionUnit(unit)] else "los",
        "met": d["met"],
        "assumed": d["assumed"],
        "units": units,
        "dense": len(units) > 45,  # too many for one bar each: a summary chart and a compact table
    }


def _verdict(a: dict[str, Any], cargo: Cargo, disp: dict[str, Any] | None, draft: bool) -> dict[str, Any]:
    """The verdict in words. A proyecto says what the figures so far would mean, in the conditional, never as a
    decision."""
    name, required, valid = a["name"], a["required"], a["valid"]
    meets = bool(a["meets"])
    where = f"{cargo.name} en {a['demarcacion_name']}" if cargo.demarcacion.value != "estado" else cargo.name
    if required is None:
        return {
            "meets": False,
            "word": "sin determinar",
            "text": (
                f"No es posible determinar si la persona aspirante {name} reúne el apoyo requerido para {where}: el "
                f"calendario no contiene la base de su demarcación. Cuenta con {_figure(valid)} apoyos válidos."
            ),
        }
    quota = f"{_figure(valid)} apoyos válidos, de los {_figure(required)} requeridos" + (
        "" if valid >= required else f"; le faltan {_figure(required - valid)}"
    )
    dispersion = ""
    if disp is not None:
        article = "las" if UNIT_FEMININE[DispersionUnit(disp["unit"])] else "los"
        dispersion = (
            f", y el apoyo alcanza el mínimo del {disp['min_percentage']} en {disp['reached_words']} "
            f"{disp['unit_plural'] if disp['reached'] != 1 else _UNIT_SINGULAR[DispersionUnit(disp['unit'])]}, "
            f"de {article} {disp['needed_words']} que exige la regla de dispersión"
        )
    word = "cumple" if meets else "no cumple"
    if draft:
        word = "cumpliría" if meets else "no cumpliría"
        text = (
            f"Con las cifras de este proyecto, que no son definitivas, la persona aspirante {name} {word} con el "
            f"apoyo de la ciudadanía requerido para {where}: suma {quota}{dispersion}."
        )
    else:
        text = (
            f"La persona aspirante {name} {word.upper()} con el apoyo de la ciudadanía requerido para {where}: "
            f"obtuvo {quota}{dispersion}."
        )
    return {"meets": meets, "word": word, "text": text}


def _desk(t: DeskTally) -> dict[str, Any]:
    """The mesa de control and the garantía de audiencia for one aspirante, in words and figures."""
    sample = None
    if t.sample is not None:
        rate = t.sample.rate
        sample = {
            "percentage": es.percentage(Decimal(t.sample.percentage)),
            "threshold": es.percentage(Decimal(t.sample.full_review_above)),
            "seed": t.sample.seed,
            "size": es.number(t.sample.size),
            "size_n": t.sample.size,
            "decided": es.number(t.sample.decided),
            "rejected": es.number(t.sample.rejected),
            "complete": t.sample.decided == t.sample.size,
            "rate": f"{format_decimal(rate.quantize(Decimal('0.1')), format='#,##0.0', locale=es.LOCALE)} %"
            if rate is not None
            else "—",
            "full_review": t.sample.full_review_at is not None,
        }
    return {
        "in_desk": es.number(t.in_desk),
        "in_desk_n": t.in_desk,
        "by_kind": [{"label": KIND_WORDS[k], "count": es.number(n)} for k, n in sorted(t.by_kind.items()) if n],
        "decided": es.number(t.decided),
        "pending": es.number(t.pending),
        "pending_n": t.pending,
        "accepted": es.number(t.decided - t.rejected),
        "rejected": es.number(t.rejected),
        "corrections": es.number(t.corrections),
        "sample": sample,
        "valid_before": es.number(t.valid_before),
        "objections": es.number(t.objections),
        "objections_n": t.objections,
        "fundadas": es.number(t.fundadas),
        "infundadas": es.number(t.infundadas),
        "objections_pending": es.number(t.objections_pending),
        "objections_pending_n": t.objections_pending,
        "valid_after": es.number(t.valid_after),
    }


def _aspirante(a: dict[str, Any], order: dict[str, int], tally: DeskTally | None = None) -> dict[str, Any]:
    disp = _dispersion(a.get("dispersion"), order)
    required = a["required"]
    return {
        "id": a["aspirante_id"],
        "name": a["name"],
        "demarcacion": a["demarcacion_name"],
        "demarcacion_id": a["demarcacion_id"],
        "received": es.number(a["received"]),
        "received_n": a["received"],
        "received_words": _figure(a["received"]),
        "valid": es.number(a["valid"]),
        "valid_n": a["valid"],
        "valid_share": _share(a["valid"], a["received"]),
        "flagged": a["flagged"],
        "flagged_fmt": es.number(a["flagged"]),
        "required": es.number(required) if required is not None else "—",
        "required_n": required,
        "base": es.number(a["base_count"]) if a.get("base_count") is not None else "—",
        "progress": _share(a["valid"], required) if required else "—",
        "missing": es.number(a["missing"]),
        "quota_met": bool(a["quota_met"]),
        "rows": _status_rows(a),
        "desk": _desk(tally) if tally is not None else None,
        "municipios": _municipios(a, order),
        "dispersion": disp,
    }


def _draft_reasons(
    run: VerificationRun,
    cargo: Cargo,
    aspirantes: list[dict[str, Any]],
    review: ReviewFigures | None,
    tz: ZoneInfo,
    review_assumed: bool = False,
) -> list[str]:
    reasons = []
    if not run.complete:
        reasons.append(
            "La verificación se hizo antes de que concluyeran todos los periodos de captación de este cargo, "
            "incluido el plazo para enviar los apoyos captados dentro de ellos: pueden recibirse apoyos que aquí no "
            "están contados."
        )
    if run.kind != "final":
        reasons.append(f"Es una verificación {RUN_KINDS.get(run.kind, run.kind)}, no la verificación final del cargo.")
    flagged = sum(a["flagged"] for a in aspirantes)
    if flagged and review is not None:
        who = "; ".join(f"{a['name']}: {es.number(a['flagged'])}" for a in aspirantes if a["flagged"])
        reasons.append(
            f"{es.count_words(flagged).capitalize()} ({es.number(flagged)}) apoyos que la compulsa registral tiene por "
            f"válidos están pendientes de revisión en la mesa de control ({who}). Se cuentan como válidos en este "
            "proyecto; si la mesa de control los rechaza, dejarán de computarse."
        )
    elif flagged:
        who = "; ".join(f"{a['name']}: {es.number(a['flagged'])}" for a in aspirantes if a["flagged"])
        reasons.append(
            f"{es.count_words(flagged).capitalize()} ({es.number(flagged)}) apoyos que la compulsa registral tiene por "
            "válidos están pendientes de revisión en la mesa de control, porque la revisión automática de sus "
            f"imágenes los señaló ({who}). Se cuentan como válidos en este proyecto; si la mesa de control los "
            "rechaza, dejarán de computarse."
        )
    if any(a["dispersion"] and a["dispersion"]["assumed"] for a in aspirantes) or (
        cargo.dispersion is not None and cargo.dispersion.assumed
    ):
        reasons.append(
            "La regla de dispersión aplicada no está confirmada por una fuente oficial: el calendario la registra "
            "como supuesta, y debe sustituirse por la que fije el acuerdo vigente."
        )
    if review is not None and review_assumed:
        reasons.append(
            "La regla de muestreo de la mesa de control no está confirmada por un acuerdo del OPLE: el calendario la "
            "registra como supuesta."
        )
    if review is not None:
        pending = sum(t.objections_pending for t in review.tallies.values())
        if pending:
            reasons.append(
                f"{es.count_words(pending, feminine=True).capitalize()} ({es.number(pending)}) objeciones presentadas "
                "en la garantía de audiencia no se han resuelto."
            )
        if review.audiencia is not None and review.at < review.audiencia.end:
            reasons.append(
                f"La garantía de audiencia («{review.audiencia.phase.name}») concluye a "
                f"{_moment(review.audiencia.end, tz)}: hasta entonces, las personas aspirantes pueden objetar cada "
                "apoyo rechazado."
            )
    unknown = [a["name"] for a in aspirantes if a["required_n"] is None]
    if unknown:
        reasons.append(
            "No se pudo calcular el apoyo requerido de la demarcación de "
            + ", ".join(unknown)
            + ": el calendario no contiene su base."
        )
    return reasons


def dictamen_content(
    cal: Calendar, run: VerificationRun, roll: RollVersion, review: ReviewFigures | None = None
) -> Supplement:
    """What the dictamen of ``run`` shows, with the calendar ``cal`` in force."""
    if run.status != "done" or run.counts is None or run.finished_at is None:
        raise ValueError(f"la verificación {run.id} no ha concluido: no hay cifras para un dictamen")
    if roll.id != run.roll_version_id or roll.process_id != run.process_id:
        raise ValueError(
            f"el padrón v{roll.number} (registro {roll.id}) no es el que usó la verificación {run.id} "
            f"(registro {run.roll_version_id})"
        )
    if run.process_id != cal.process.id:
        raise ValueError(f"la verificación {run.id} es de otro proceso ({run.process_id})")
    try:
        cargo = cal.cargo(run.cargo_id)
    except KeyError:
        raise ValueError(f"el cargo «{run.cargo_id}» de la verificación {run.id} ya no está en el calendario") from None
    tz = cal.tz
    counts = run.counts
    raw = review.aspirantes if review is not None else counts.get("aspirantes") or []
    t = cal.territory
    order = {key: i for i, key in enumerate([*(m.inegi for m in t.municipios), *(d.id for d in t.districts)])}
    aspirantes = [_aspirante(a, order, review.tallies.get(a["aspirante_id"]) if review else None) for a in raw]
    reasons = _draft_reasons(run, cargo, aspirantes, review, tz, cal.review.assumed)
    draft = bool(reasons)  # one list of reasons decides the mark, the title and the wording of every verdict
    for i, (shown, a) in enumerate(zip(aspirantes, raw, strict=True), start=1):
        shown["verdict"] = _verdict(a, cargo, shown["dispersion"], draft)
        shown["resolutivo"] = es.ordinal_masculine(i).upper()  # PRIMERO, SEGUNDO…
    finished = run.finished_at.astimezone(UTC)
    if review is not None:  # the document is dated by the last thing it counts, never by the clock
        closed = review.audiencia.end if review.audiencia and review.at >= review.audiencia.end else None
        finished = max(x.astimezone(UTC) for x in (finished, review.last_decision_at, closed) if x is not None)
    p = cal.process
    title = ("Proyecto de dictamen" if draft else "Dictamen") + f" sobre el apoyo de la ciudadanía: {cargo.name}"
    content = {
        "draft": draft,
        "draft_reasons": reasons,
        "cargo": {
            "id": cargo.id,
            "name": cargo.name,
            "demarcacion": cargo.demarcacion.value,
            "demarcacion_of": DEMARCACION_OF[cargo.demarcacion],
            "percentage": es.percentage(cargo.threshold.percentage),
            "base": BASE[cargo.threshold.base],
            "base_of": BASE_OF[cargo.threshold.base],
            "dispersion_words": dispersion_words(cal, cargo),
        },
        "legal_basis": _legal_basis(p.legal_basis),
        "approving_acuerdo": p.approving_acuerdo,
        "threshold_cut_words": es.date_words(p.roll_cut_date),
        "rules": [{"label": STATUS_LABELS[s], "text": text} for s, text in RULES],
        "rules_version": run.rules_version,
        "thresholds_version": run.thresholds_version,
        "run": {
            "id": run.id,
            "kind": run.kind,
            "kind_label": RUN_KINDS.get(run.kind, run.kind),
            "complete": run.complete,
            "received_before_words": _moment(run.received_before, tz),
            "captures_up_to": run.captures_up_to,
            "finished_words": _moment(finished, tz),
            "inputs_sha256": run.inputs_sha256,
            "apoyos": es.number(int(counts.get("apoyos", sum(a["received"] for a in raw)))),
        },
        "roll": {
            "number": roll.number,
            "cut_words": es.date_words(roll.cut_date),
            "source_name": roll.source_name,
            "source_sha256": roll.source_sha256,
            "stored_sha256": roll.stored_sha256,
            "rows": es.number(roll.rows),
        },
        "aspirantes": aspirantes,
        "review": None
        if review is None
        else {
            "percentage": es.percentage(cal.review.sample_percentage),
            "threshold": es.percentage(cal.review.full_review_above),
            "last_decision_id": review.last_decision_id,
            "audiencia": None
            if review.audiencia is None
            else {
                "name": review.audiencia.phase.name,
                "start_words": _moment(review.audiencia.start, tz),
                "end_words": _moment(review.audiencia.end, tz),
            },
        },
    }
    return Supplement(
        title=title,
        content=content,
        created=finished,
        attachment_name=f"verificacion-{run.id}-{cargo.id}.json",
        attachment_description=f"Cifras de la verificación {run.id} de las que se generó este dictamen",
    )


def generate_dictamen(
    documents: DocumentService,
    run: VerificationRun,
    roll: RollVersion,
    now: datetime,
    *,
    publish: bool = False,
    review: ReviewFigures | None = None,
) -> DocumentVersion:
    """Render and store the dictamen of ``run`` (kind ``dictamen-<cargo>``) with the calendar in force: a new
    version only if what it shows changed (the same run twice makes none). ``now`` is only the stored
    ``generated_at``; the document's date comes from the run."""
    kind = dictamen_kind(run.cargo_id)
    if len(kind) > KIND_MAX_LENGTH:
        raise ValueError(f"el identificador del cargo «{run.cargo_id}» es demasiado largo para nombrar su dictamen")
    version, _ = documents.generate(
        run.process_id, kind, now, publish=publish, supplier=lambda cal: dictamen_content(cal, run, roll, review)
    )
    return version
