"""The mesa de control: reviewers take apoyos one at a time, see their images and data, and record decisions.
Administrators create reviewers and export the per-apoyo trail."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from verification.desk import KIND_LABELS, ApoyoView, DecisionIn, Reviewing, vocabulary
from verification.reasons import label
from verification.records import Objection, ReviewDecision
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Role
from workflow.participants.service import NewReviewer, Principal

from ..auth import SECURITY, current_principal, requires
from ..errors import documented
from ..schemas import (
    Choice,
    DecisionOut,
    ImageLinks,
    ObjectionOut,
    ProcessId,
    RegistralOut,
    ReviewApoyoOut,
    ReviewerCreated,
    ReviewFlag,
    RowId,
    Supporter,
)
from ..services import Services
from .participants import TOKEN_TTL

ImagePart = Annotated[
    str,
    PathParameter(
        pattern=r"^(anverso|reverso|foto|firma|objecion)$",
        description="anverso, reverso, foto o firma; «objecion»: la imagen que trajo la objeción.",
    ),
]
ImageView = Annotated[
    str,
    QueryParameter(
        pattern=r"^(revision|completa)$",
        description="«revision» (por omisión): reducida para revisar; «completa»: la imagen original.",
    ),
]
IMAGE_RESPONSE = {
    200: ResponseSpec(data_container=bytes, media_type="image/jpeg", description="La imagen", generate_examples=False)
}
PRIVATE = {"Cache-Control": "private, no-store"}


def decision_out(d: ReviewDecision, names: dict[int, str], replaced_by: dict[int, int] | None = None) -> DecisionOut:
    assert d.id is not None
    return DecisionOut(
        id=d.id,
        apoyo_id=d.capture_id,
        decision=d.decision,
        label=label(d.decision),
        note=d.note,
        reviewer_id=d.reviewer_id,
        reviewer=names.get(d.reviewer_id, ""),
        decided_at=d.decided_at,
        replaces=d.replaces_id,
        replaced_by=(replaced_by or {}).get(d.id),
        objection_id=d.objection_id,
    )


def objection_out(o: Objection, folio: str, resolution: DecisionOut | None) -> ObjectionOut:
    assert o.id is not None
    return ObjectionOut(
        id=o.id,
        apoyo_id=o.capture_id,
        folio=folio,
        filed_at=o.filed_at,
        rejection=o.rejection,
        argument=o.argument,
        has_image=o.image_sha256 is not None,
        resolution=resolution,
    )


def image_links(base: str, objection: Objection | None) -> ImageLinks:
    has = objection is not None and objection.image_sha256 is not None
    return ImageLinks(
        anverso=f"{base}/anverso",
        reverso=f"{base}/reverso",
        foto=f"{base}/foto",
        firma=f"{base}/firma",
        objecion=f"{base}/objecion" if has else None,
    )


def reviewer_names(services: Services) -> dict[int, str]:
    return {r.id: r.name for r in services.participants.reviewers() if r.id is not None}


def apoyo_out(services: Services, view: ApoyoView) -> ReviewApoyoOut:
    c, item, names = view.capture, view.item, reviewer_names(services)
    assert c.id is not None
    replaced_by = {d.replaces_id: d.id for d in view.decisions if d.replaces_id is not None and d.id is not None}
    decisions = [decision_out(d, names, replaced_by) for d in view.decisions]
    resolution = next(
        (x for x, d in zip(decisions, view.decisions, strict=True) if d.objection_id and x.replaced_by is None), None
    )
    r = view.result
    return ReviewApoyoOut(
        apoyo_id=c.id,
        folio=c.folio,
        process_id=c.process_id,
        aspirante_id=c.aspirante_id,
        cargo=item.cargo_id,
        kind=item.kind,
        kind_label=KIND_LABELS[item.kind],
        leased_until=item.lease_expires_at,
        captured_at=c.captured_at,
        received_at=c.received_at,
        late=c.late,
        seccion=c.seccion,
        capture_mode=c.capture_mode,
        supporter=Supporter(**view.personal.model_dump()),
        registral=None
        if r is None
        else RegistralOut(
            status=r.status,
            label=label(r.status),
            reason=r.reason,
            municipio=r.municipio,
            seccion=r.seccion,
            run_id=r.run_id,
        ),
        flags=[ReviewFlag(**f) for f in item.flags],
        objection=objection_out(view.objection, c.folio, resolution) if view.objection is not None else None,
        decisions=decisions,
        choices=[Choice(value=v, label=label(v)) for v in vocabulary(item.kind)],
        images=image_links(f"/api/v1/review/{c.id}/images", view.objection),
        queue_pending=services.desk.pending(c.process_id),
    )


def reviewing(principal: Principal) -> Reviewing:
    if principal.reviewer_id is None:  # the guard admits only reviewers here
        raise DomainError(ErrorKind.forbidden, "esta operación es para una persona revisora")
    return Reviewing(principal.reviewer_id, principal.token_id)


class ReviewController(Controller):
    tags = ["Mesa de control"]
    security = SECURITY
    dependencies = {"principal": Provide(current_principal, sync_to_thread=False)}

    @post(
        "/reviewers",
        summary="Registrar a una persona revisora de la mesa de control",
        guards=[requires(Role.admin)],
        responses=documented(400, 401, 403, 422),
        sync_to_thread=True,
    )
    def create_reviewer(self, services: NamedDependency[Services], data: JSONBody[NewReviewer]) -> ReviewerCreated:
        reviewer, token = services.participants.create_reviewer(data.name, services.clock.now(), ttl=TOKEN_TTL)
        assert reviewer.id is not None
        return ReviewerCreated(
            id=reviewer.id, name=reviewer.name, token=token.token, token_expires_at=token.record.expires_at
        )

    @get(
        "/processes/{process_id:str}/review/report",
        summary="Traza de cada apoyo (CSV): compulsa, mesa de control, objeciones y resultado",
        description="Una fila por evento: el resultado registral, el envío a la mesa de control, cada decisión y "
        "corrección (autor, fecha, motivo, nota), la objeción y su resolución, y el resultado final. Sin datos "
        "personales: cada apoyo se identifica por su folio. UTF-8 con BOM, para hojas de cálculo.",
        guards=[requires(Role.admin)],
        responses={
            200: ResponseSpec(data_container=str, media_type="text/csv", description="CSV", generate_examples=False),
            **documented(400, 401, 403, 404),
        },
        sync_to_thread=True,
    )
    def report(
        self,
        services: NamedDependency[Services],
        process_id: ProcessId,
        cargo: Annotated[str | None, QueryParameter(max_length=80, description="Solo este cargo.")] = None,
    ) -> Response[str]:
        text = services.trail.csv(process_id, cargo)
        disposition = f'attachment; filename="traza-{process_id}{"-" + cargo if cargo else ""}.csv"'
        return Response(
            text, media_type="text/csv; charset=utf-8", headers={**PRIVATE, "Content-Disposition": disposition}
        )

    @get(
        "/review/next",
        summary="Tomar el siguiente apoyo por revisar",
        description="Asigna un apoyo a quien lo pide durante unos minutos, de modo que dos personas nunca revisan "
        "el mismo a la vez. Quien ya tiene asignados tantos como se permite recibe de nuevo el más antiguo. 204: no "
        "queda nada por revisar.",
        guards=[requires(Role.revisor)],
        responses={
            204: ResponseSpec(data_container=None, description="No quedan apoyos por revisar"),
            **documented(400, 401, 403, 404),
        },
        sync_to_thread=True,
    )
    def next_apoyo(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        process_id: Annotated[
            str, QueryParameter(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80, description="Proceso.")
        ],
    ) -> Response[ReviewApoyoOut | None]:
        item = services.desk.next(reviewing(principal), process_id, services.clock.now())
        if item is None:
            return Response(None, status_code=204)
        return Response(apoyo_out(services, services.desk.view(item)), headers=PRIVATE)

    @get(
        "/review/{apoyo_id:int}",
        summary="Consultar un apoyo de la mesa de control (sin asignarlo)",
        guards=[requires(Role.revisor, Role.admin)],
        responses=documented(400, 401, 403, 404),
        sync_to_thread=True,
    )
    def show(self, services: NamedDependency[Services], apoyo_id: RowId) -> Response[ReviewApoyoOut]:
        view = services.desk.view(services.desk.item_for(apoyo_id))
        return Response(apoyo_out(services, view), headers=PRIVATE)

    @post(
        "/review/{apoyo_id:int}",
        summary="Registrar la decisión sobre un apoyo",
        description="«aceptado» o un motivo de rechazo; para una objeción, «fundada» o «infundada» con nota. Una "
        "corrección es una decisión nueva que nombra la que corrige («replaces») y lleva nota; nada se borra.",
        guards=[requires(Role.revisor)],
        responses=documented(400, 401, 403, 404, 409, 422),
        sync_to_thread=True,
    )
    def decide(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        apoyo_id: RowId,
        data: JSONBody[DecisionIn],
    ) -> DecisionOut:
        decision = services.desk.decide(reviewing(principal), apoyo_id, data, services.clock.now())
        return decision_out(decision, reviewer_names(services))

    @get(
        "/review/{apoyo_id:int}/images/{part:str}",
        summary="Imagen de un apoyo para la mesa de control",
        guards=[requires(Role.revisor, Role.admin)],
        responses={**IMAGE_RESPONSE, **documented(400, 401, 403, 404, 503)},
        sync_to_thread=True,
    )
    def image(
        self,
        services: NamedDependency[Services],
        apoyo_id: RowId,
        part: ImagePart,
        vista: ImageView = "revision",
    ) -> Response[bytes]:
        services.desk.item_for(apoyo_id)  # only apoyos that went to the desk
        data, media_type = services.desk.image(apoyo_id, part, vista)
        return Response(data, media_type=media_type, headers=PRIVATE)
