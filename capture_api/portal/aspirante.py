"""The aspirante's own pages, behind the cookie session: their progress and pace, their gestores, and in the garantía
de audiencia the apoyos rejected with their reasons, images and an objection form (through the ``Audiencia``
service, the same rules as the API's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import col, select

from verification.audiencia import Rejected, audiencia_window
from verification.reasons import label
from workflow.calendar.localtime import format_local
from workflow.calendar.quotas import demarcaciones
from workflow.captures.records import Capture
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Aspirante, Gestor, Role
from workflow.participants.service import Principal

from ..controllers.audiencia import ObjectionIn
from ..controllers.review import PRIVATE
from ..schemas import RowId
from ..services import Services
from . import pace, views
from .desk import PARTS
from .web import SECURITY_HEADERS, Upload, page, redirect, signed_in, to_sign_in

MAX_IMAGE = 4 * 1024 * 1024


def signed_in_aspirante(request: Request, services: Services) -> tuple[Principal, Aspirante] | None:
    principal = signed_in(request, services, Role.aspirante)
    aspirante = services.participants.aspirante(principal.aspirante_id or 0) if principal else None
    return (principal, aspirante) if principal is not None and aspirante is not None else None


def gestores(services: Services, aspirante_id: int) -> list[tuple[int, str, int]]:
    """Id, name and captures received of each gestor registered for the aspirante."""
    with services.db.read_session() as s:
        rows = s.exec(
            select(Gestor.id, Gestor.name, func.count(col(Capture.id)))
            .outerjoin(Capture, col(Capture.gestor_id) == col(Gestor.id))
            .where(Gestor.aspirante_id == aspirante_id)
            .group_by(col(Gestor.id), col(Gestor.name))
            .order_by(col(Gestor.id))
        )
        return [(int(i or 0), name, int(n)) for i, name, n in rows]


def received_since(services: Services, aspirante_id: int, since: datetime) -> int:
    with services.db.read_session() as s:
        return s.exec(
            select(func.count())
            .select_from(Capture)
            .where(Capture.aspirante_id == aspirante_id, col(Capture.received_at) >= since)
        ).one()


@dataclass(frozen=True)
class AudienciaView:
    state: str  # pendiente, abierta, cerrada or sin_fase
    sentence: str
    rejected: list[Rejected]


def audiencia_view(
    services: Services, aspirante: Aspirante, now: datetime, apoyo_id: int | None = None
) -> AudienciaView:
    """The audiencia's state in words and the rejected apoyos (all of them, or only ``apoyo_id``)."""
    cal = services.calendars.active(aspirante.process_id).calendar
    window = audiencia_window(cal, aspirante)
    if window is None:
        return AudienciaView("sin_fase", "El calendario no prevé garantía de audiencia para su cargo.", [])
    state = window.state(now)
    opens, closes = format_local(window.start, cal.tz), format_local(window.end, cal.tz, is_end=True)
    sentence = {
        "pendiente": f"La garantía de audiencia abre el {opens} y cierra el {closes}, hora local. Entonces verá "
        "aquí los apoyos rechazados y podrá objetar cada uno.",
        "abierta": f"La garantía de audiencia está abierta hasta el {closes}, hora local. Puede objetar una vez "
        "cada apoyo rechazado.",
        "cerrada": f"La garantía de audiencia cerró el {closes}, hora local; ya no se reciben objeciones.",
    }[state]
    assert aspirante.id is not None
    rejected = services.audiencia.rejected(aspirante.id, apoyo_id) if state != "pendiente" else []
    return AudienciaView(state, sentence, rejected)


def objection_state(r: Rejected) -> str:
    if r.objection is None:
        return "Sin objeción"
    if r.resolution is None:
        return "Objeción presentada; la mesa de control la resolverá"
    return label(r.resolution.decision)


@get("/aspirante", name="portal:aspirante", sync_to_thread=True)
def aspirante_page(
    request: Request,
    services: NamedDependency[Services],
    objecion: Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z0-9-]{1,40}$")] = None,
) -> Template | Redirect:
    who = signed_in_aspirante(request, services)
    if who is None:
        return to_sign_in(request)
    _, aspirante = who
    assert aspirante.id is not None
    cal = services.calendars.active(aspirante.process_id).calendar
    now = services.clock.now()
    progress = services.progress.of(aspirante, now)
    cargo = next((c for c in cal.cargos if c.id == aspirante.cargo_id), None)
    demarcacion = next(
        (u.name for u in (demarcaciones(cal, cargo) if cargo else []) if u.id == aspirante.demarcacion_id),
        aspirante.demarcacion_id,
    )
    v = progress.verification
    opens, closes = progress.window_opens_utc, progress.window_closes_utc
    forecast = pace.forecast(
        required=progress.required,
        so_far=pace.counted(progress.received, v.verified if v else None, v.valid if v else None),
        recent=received_since(services, aspirante.id, pace.since(opens, now)) if opens else 0,
        opens=opens,
        closes=closes,
        now=now,
        tz=cal.tz,
    )
    return page(
        "aspirante.html",
        aspirante=aspirante,
        cargo=cargo.name if cargo else aspirante.cargo_id,
        demarcacion=demarcacion,
        process_name=cal.process.name,
        process_id=aspirante.process_id,
        v=views.progress_view(progress, cal.tz),
        forecast=forecast,
        gestores=gestores(services, aspirante.id),
        audiencia=audiencia_view(services, aspirante, now),
        objection_state=objection_state,
        filed=objecion,
    )


def rejected_page(
    services: Services,
    aspirante: Aspirante,
    apoyo_id: int,
    errors: list[tuple[str, str]] | None = None,
    argument: str = "",
) -> Template:
    assert aspirante.id is not None
    view = audiencia_view(services, aspirante, services.clock.now(), apoyo_id)
    found = next(iter(view.rejected), None)
    if found is None:
        raise DomainError(ErrorKind.not_found, f"el apoyo {apoyo_id} no está entre sus apoyos rechazados")
    return page(
        "aspirante_rechazo.html",
        status=422 if errors else 200,
        r=found,
        audiencia=view,
        can_object=view.state == "abierta" and found.objection is None,
        objection_state=objection_state(found),
        resolution=None if found.resolution is None else label(found.resolution.decision),
        parts=PARTS,
        errors=errors or [],
        field_errors={f: m for m, f in errors or []},
        argument=argument,
    )


@get("/aspirante/rechazos/{apoyo_id:int}", sync_to_thread=True)
def rejected_apoyo(request: Request, services: NamedDependency[Services], apoyo_id: RowId) -> Template | Redirect:
    who = signed_in_aspirante(request, services)
    if who is None:
        return to_sign_in(request)
    return rejected_page(services, who[1], apoyo_id)


@post("/aspirante/rechazos/{apoyo_id:int}", sync_to_thread=True, status_code=303)
def file_objection(
    request: Request, services: NamedDependency[Services], apoyo_id: RowId, data: Upload
) -> Template | Redirect:
    who = signed_in_aspirante(request, services)
    if who is None:
        return to_sign_in(request)
    principal, aspirante = who
    assert aspirante.id is not None
    raw = str(data.get("argumento") or "")
    upload = data.get("imagen")
    image = upload.file.read(MAX_IMAGE + 1) if isinstance(upload, UploadFile) else b""
    errors = []
    try:
        argument = ObjectionIn(argumento=raw).argumento
    except ValidationError:
        argument = ""
        errors.append(("Escriba por qué el apoyo debe computarse (de 10 a 4 000 caracteres).", "argumento"))
    if len(image) > MAX_IMAGE:
        errors.append(("La imagen pesa más de 4 MB; elija una más ligera.", "imagen"))
    if not errors:
        try:
            _, folio = services.audiencia.file(
                aspirante.id, apoyo_id, argument, image or None, principal.token_id, services.clock.now()
            )
        except DomainError as e:
            errors.append((e.message[:1].upper() + e.message[1:], "imagen" if "imagen" in e.message else "argumento"))
        else:
            return redirect(f"/aspirante?objecion={folio}#audiencia")
    return rejected_page(services, aspirante, apoyo_id, errors, raw)


@get("/aspirante/rechazos/{apoyo_id:int}/imagenes/{part:str}", sync_to_thread=True)
def rejected_image(
    request: Request,
    services: NamedDependency[Services],
    apoyo_id: RowId,
    part: Annotated[str, PathParameter(pattern=r"^(anverso|reverso|foto|firma|objecion)$")],
) -> Response[bytes]:
    """Only to the signed-in aspirante whose apoyo it is, only a rejected one, never cached."""
    who = signed_in_aspirante(request, services)
    if who is None or who[1].id is None:
        return Response(b"", status_code=401, headers={**SECURITY_HEADERS, **PRIVATE})
    if not services.audiencia.is_rejected(who[1].id, apoyo_id):
        return Response(b"", status_code=404, headers={**SECURITY_HEADERS, **PRIVATE})
    data, media_type = services.desk.image(apoyo_id, part, "revision")
    return Response(data, media_type=media_type, headers={**SECURITY_HEADERS, **PRIVATE})


HANDLERS = [aspirante_page, rejected_apoyo, file_objection, rejected_image]
