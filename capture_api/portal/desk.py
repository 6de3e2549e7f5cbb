"""The mesa de control's page: one apoyo at a time, its images and flags, a decision by keyboard.

A reviewer signs in at /entrar with their token (the same cookie session as an aspirante). Every page here shows a
supporter's personal data: only to a reviewer, never cached (``Cache-Control: no-store``, like every portal page)."""

from __future__ import annotations

from typing import Annotated

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError

from verification.desk import KIND_LABELS, DecisionIn, Reviewing, vocabulary
from verification.reasons import label
from verification.records import ReviewItem
from workflow.errors import DomainError
from workflow.participants.records import Role

from ..controllers.review import PRIVATE
from ..schemas import ProcessId, RowId
from ..services import Services
from .ahead import Ahead
from .web import SECURITY_HEADERS, Form, page, redirect, signed_in, to_sign_in

# The key that picks each decision on the desk's page (shown beside it).
KEYS = ["a", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "q", "w", "e", "r", "t"]
OBJECTION_KEYS = {"fundada": "f", "infundada": "i"}
PARTS = [("anverso", "Anverso de la credencial"), ("reverso", "Reverso de la credencial"),
         ("foto", "Fotografía viva"), ("firma", "Firma")]  # fmt: skip


def reviewer(request: Request, services: Services) -> Reviewing | None:
    principal = signed_in(request, services, Role.revisor)
    if principal is None or principal.reviewer_id is None:
        return None
    return Reviewing(principal.reviewer_id, principal.token_id)


@get("/mesa", name="portal:desk", sync_to_thread=True)
def desk_home(request: Request, services: NamedDependency[Services]) -> Template | Redirect:
    if reviewer(request, services) is None:
        return to_sign_in(request)
    processes = []
    for pid in services.calendars.process_ids():
        processes.append((pid, services.calendars.active(pid).calendar.process.name, services.desk.pending(pid)))
    return page("desk_home.html", processes=processes)


def desk_page(
    services: Services,
    process_id: str,
    item: ReviewItem | None,
    errors: list[tuple[str, str]] | None = None,
    chosen: str = "",
    note: str = "",
    ahead: ReviewItem | None = None,
) -> Template:
    """The page of one apoyo (``item``), or the page that says nothing is left."""
    name = services.calendars.active(process_id).calendar.process.name
    if item is None:
        return page("desk_empty.html", process_name=name, process_id=process_id)
    view = services.desk.view(item)
    c = view.capture
    choices = []
    keys = iter(KEYS)
    for value in vocabulary(item.kind):
        key = OBJECTION_KEYS.get(value) or next(keys)
        choices.append((value, label(value), key))
    return page(
        "desk.html",
        status=422 if errors else 200,
        script=True,
        process_id=process_id,
        process_name=name,
        apoyo=c,
        kind_label=KIND_LABELS[item.kind],
        personal=view.personal,
        registral=None if view.result is None else label(view.result.status),
        registral_reason=None if view.result is None else view.result.reason,
        flags=item.flags,
        objection=view.objection,
        decisions=[(label(d.decision), d.note, d.decided_at) for d in view.decisions],
        choices=choices,
        parts=PARTS,
        pending=services.desk.pending(process_id),
        errors=errors or [],
        chosen=chosen,
        note=note,
        ahead=ahead,
    )


@get("/mesa/{process_id:str}", name="portal:desk-next", sync_to_thread=True)
def desk_next(
    request: Request,
    services: NamedDependency[Services],
    anticipadas: NamedDependency[Ahead],
    process_id: ProcessId,
    siguiente: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> Template | Redirect:
    """The apoyo to decide now (``siguiente``: the one leased ahead on the previous page, while it is still this
    reviewer's) and one more leased ahead, whose images the server prepares while this one is decided."""
    who = reviewer(request, services)
    if who is None:
        return to_sign_in(request)
    now = services.clock.now()
    current = services.desk.keep(who, siguiente, now) if siguiente else None
    if current is None or current.process_id != process_id:
        current = services.desk.next(who, process_id, now)
    ahead = services.desk.next(who, process_id, now) if current is not None else None
    if current is None or (ahead is not None and ahead.id == current.id):  # nothing else free
        ahead = None
    if ahead is not None and ahead.lease_expires_at is not None:
        parts = [part for part, _ in PARTS]
        load = services.desk.image
        anticipadas.prepare(ahead.capture_id, parts, ahead.lease_expires_at, lambda c, p: load(c, p, "revision"))
    return desk_page(services, process_id, current, ahead=ahead)


@post("/mesa/{process_id:str}/{apoyo_id:int}", sync_to_thread=True, status_code=303)
def desk_decide(
    request: Request,
    services: NamedDependency[Services],
    process_id: ProcessId,
    apoyo_id: RowId,
    data: Form,
) -> Template | Redirect:
    who = reviewer(request, services)
    if who is None:
        return to_sign_in(request)
    decision, note = (data.get("decision") or "").strip(), (data.get("nota") or "").strip()
    ahead = (data.get("siguiente") or "").strip()
    item = services.desk.item_for(apoyo_id)  # the same apoyo again when the decision is refused

    def again(errors: list[tuple[str, str]], chosen: str = "") -> Template:
        held = services.desk.keep(who, int(ahead), services.clock.now()) if ahead.isdigit() else None
        return desk_page(services, process_id, item, errors, chosen, note, ahead=held)

    if not decision:
        return again([("Elija una decisión.", "decision-1")])
    try:
        services.desk.decide(who, apoyo_id, DecisionIn(decision=decision, note=note or None), services.clock.now())
    except (DomainError, ValidationError) as e:
        message = (
            e.message if isinstance(e, DomainError) else "la nota es demasiado larga (2 000 caracteres como máximo)"
        )
        field = "nota" if "nota" in message else "decision-1"
        return again([(message[:1].upper() + message[1:], field)], decision)
    return redirect(f"/mesa/{process_id}" + (f"?siguiente={ahead}" if ahead.isdigit() else ""))


@get("/mesa/imagenes/{apoyo_id:int}/{part:str}", sync_to_thread=True)
def desk_image(
    request: Request,
    services: NamedDependency[Services],
    anticipadas: NamedDependency[Ahead],
    apoyo_id: RowId,
    part: Annotated[str, PathParameter(pattern=r"^(anverso|reverso|foto|firma|objecion)$")],
    vista: Annotated[str, QueryParameter(pattern=r"^(revision|completa)$")] = "revision",
) -> Response[bytes]:
    if reviewer(request, services) is None:
        return Response(b"", status_code=401, headers=SECURITY_HEADERS)
    services.desk.item_for(apoyo_id)  # only apoyos that went to the desk
    headers = {**SECURITY_HEADERS, **PRIVATE}
    prepared = anticipadas.take(apoyo_id, part, services.clock.now()) if vista == "revision" else None
    if prepared is not None:
        headers["Server-Timing"] = 'anticipada;desc="preparada mientras se decidía el apoyo anterior"'
    data, media_type = prepared or services.desk.image(apoyo_id, part, vista)
    return Response(data, media_type=media_type, headers=headers)


HANDLERS = [desk_home, desk_next, desk_decide, desk_image]
