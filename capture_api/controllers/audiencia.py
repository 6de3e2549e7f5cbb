"""The garantía de audiencia, for the aspirante: every rejected apoyo with its reason and images, and one objection
per apoyo while the phase is open."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import MultipartBody
from pydantic import Field, ValidationError

from verification.audiencia import audiencia_window
from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Role
from workflow.participants.service import Principal
from workflow.text import CleanParagraphs

from ..auth import SECURITY, current_principal, requires
from ..errors import documented, pydantic_details
from ..openapi import ObjectionOperation
from ..schemas import ObjectionOut, RejectedOut, RowId
from ..services import Services
from .captures import _bytes
from .participants import aspirante_or_404
from .review import (
    IMAGE_RESPONSE,
    PRIVATE,
    ImagePart,
    ImageView,
    decision_out,
    image_links,
    objection_out,
    reviewer_names,
)


class ObjectionIn(CleanParagraphs):
    argumento: str = Field(
        min_length=10,
        max_length=4000,
        description="Por qué el apoyo debe computarse: lo que la persona aspirante quiere que la mesa de control "
        "revise.",
    )


@dataclass
class ObjectionForm:
    """multipart/form-data: ``argumento`` (texto) y, si se quiere, ``imagen`` (JPEG o PNG)."""

    argumento: Any = None
    imagen: Any = None


class AudienciaController(Controller):
    tags = ["Garantía de audiencia"]
    security = SECURITY
    dependencies = {"principal": Provide(current_principal, sync_to_thread=False)}

    @get(
        "/aspirantes/{aspirante_id:int}/rechazos",
        summary="Apoyos rechazados de la persona aspirante, con su motivo",
        guards=[requires(Role.admin, Role.aspirante, own_aspirante=True)],
        responses=documented(400, 401, 403, 404),
        sync_to_thread=True,
    )
    def rejected(self, services: NamedDependency[Services], aspirante_id: RowId) -> Response[list[RejectedOut]]:
        aspirante = aspirante_or_404(services, aspirante_id)
        cal = services.calendars.active(aspirante.process_id).calendar
        window = audiencia_window(cal, aspirante)
        now = services.clock.now()
        is_open = window is not None and window.state(now) == "abierta"
        names = reviewer_names(services)
        base = f"/api/v1/aspirantes/{aspirante_id}/rechazos"
        out = []
        for r in services.audiencia.rejected(aspirante_id):
            assert r.capture.id is not None
            resolution = decision_out(r.resolution, names) if r.resolution is not None else None
            out.append(
                RejectedOut(
                    apoyo_id=r.capture.id,
                    folio=r.capture.folio,
                    captured_at=r.capture.captured_at,
                    received_at=r.capture.received_at,
                    status=r.status,
                    reason=r.reason,
                    decided_at=r.decision.decided_at if r.decision is not None else None,
                    images=image_links(f"{base}/{r.capture.id}/imagenes", r.objection),
                    objection=objection_out(r.objection, r.capture.folio, resolution) if r.objection else None,
                    can_object=is_open and r.objection is None,
                )
            )
        return Response(out, headers=PRIVATE)

    @get(
        "/aspirantes/{aspirante_id:int}/rechazos/{apoyo_id:int}/imagenes/{part:str}",
        summary="Imagen de un apoyo rechazado",
        guards=[requires(Role.admin, Role.aspirante, own_aspirante=True)],
        responses={**IMAGE_RESPONSE, **documented(400, 401, 403, 404, 503)},
        sync_to_thread=True,
    )
    def image(
        self,
        services: NamedDependency[Services],
        aspirante_id: RowId,
        apoyo_id: RowId,
        part: ImagePart,
        vista: ImageView = "revision",
    ) -> Response[bytes]:
        aspirante_or_404(services, aspirante_id)
        if not services.audiencia.is_rejected(aspirante_id, apoyo_id):
            raise DomainError(
                ErrorKind.not_found, f"el apoyo {apoyo_id} no está entre los rechazados de esta persona aspirante"
            )
        data, media_type = services.desk.image(apoyo_id, part, vista)
        return Response(data, media_type=media_type, headers=PRIVATE)

    @post(
        "/aspirantes/{aspirante_id:int}/rechazos/{apoyo_id:int}/objecion",
        summary="Objetar el rechazo de un apoyo",
        description="Solo durante la garantía de audiencia, una vez por apoyo: un argumento y, si se quiere, una "
        "imagen nueva (p. ej. de la credencial original). La mesa de control la resuelve como fundada o infundada.",
        guards=[requires(Role.aspirante, own_aspirante=True)],
        opt={"body": "multipart"},
        operation_class=ObjectionOperation,
        responses=documented(400, 401, 403, 404, 409, 413, 422),
        sync_to_thread=True,
    )
    def object(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        aspirante_id: RowId,
        apoyo_id: RowId,
        data: MultipartBody[ObjectionForm],
    ) -> ObjectionOut:
        aspirante_or_404(services, aspirante_id)
        if data.argumento is None:
            raise DomainError(ErrorKind.invalid, "falta la parte «argumento»", "argumento")
        try:
            raw = _bytes(data.argumento).decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError(ErrorKind.invalid, "el argumento debe estar en UTF-8", "argumento") from None
        try:
            body = ObjectionIn(argumento=raw)
        except ValidationError as exc:
            raise DomainError(
                ErrorKind.invalid, "la objeción no es válida", details=pydantic_details(exc, ObjectionIn)
            ) from None
        image = _bytes(data.imagen) if data.imagen is not None else None
        objection, folio = services.audiencia.file(
            aspirante_id, apoyo_id, body.argumento, image or None, principal.token_id, services.clock.now()
        )
        return objection_out(objection, folio, None)
