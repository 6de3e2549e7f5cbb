"""Captures posted by the gestores' apps."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, Response, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from pydantic import ValidationError

from workflow.captures.model import IMAGE_PARTS, CaptureData, Receipt
from workflow.participants.records import Role
from workflow.participants.service import Principal

from ..auth import SECURITY, current_principal, requires
from ..errors import error, pydantic_errors
from ..services import Services


@dataclass
class CaptureForm:
    """multipart/form-data: ``data`` is the JSON of the capture; the four images are JPEG or PNG files."""

    data: str
    anverso: UploadFile
    reverso: UploadFile
    foto: UploadFile
    firma: UploadFile


class CaptureController(Controller):
    tags = ["Captación"]

    @post(
        "/captures",
        summary="Enviar un apoyo captado",
        description="Se acepta mientras el periodo de la persona aspirante está abierto, o dentro del plazo de gracia "
        "si se captó dentro del periodo. Reenviar el mismo capture_id con el mismo contenido devuelve el acuse "
        "original (200); con otro contenido, 409. El acuse (201) se envía cuando todo está guardado.",
        guards=[requires(Role.gestor)],
        security=SECURITY,
        dependencies={"principal": current_principal},  # type: ignore[dict-item]
        responses={200: Receipt},  # type: ignore[dict-item]
        sync_to_thread=True,
    )
    def post_capture(
        self,
        services: Services,
        principal: Principal,
        data: Annotated[CaptureForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[Receipt]:
        try:
            capture = CaptureData.model_validate(json.loads(data.data))
        except json.JSONDecodeError as exc:
            return error(
                422, "la parte «data» debe ser JSON", [{"field": "data", "message": f"JSON no válido: {exc.msg}"}]
            )
        except ValidationError as exc:
            return error(422, "los datos de la captura no son válidos", pydantic_errors(exc, CaptureData, "data."))
        images = {part: getattr(data, part).file.read() for part in IMAGE_PARTS}
        gestor = services.participants.gestor(principal.gestor_id)  # type: ignore[arg-type]
        assert gestor is not None
        receipt, created = services.captures.submit(gestor, capture, images, services.clock.now())
        return Response(receipt, status_code=201 if created else 200)
