"""Captures posted by the gestores' apps."""

from __future__ import annotations

import json
from dataclasses import dataclass

from litestar import Controller, Response, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import MultipartBody
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

    # Declared optional so that a missing part gets a 422 naming it, not a generic body error; all are required.
    data: str | None = None
    anverso: UploadFile | None = None
    reverso: UploadFile | None = None
    foto: UploadFile | None = None
    firma: UploadFile | None = None


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
        dependencies={"principal": Provide(current_principal, sync_to_thread=False)},
        responses={200: Receipt},  # type: ignore[dict-item]
        sync_to_thread=True,
    )
    def post_capture(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        data: MultipartBody[CaptureForm],
    ) -> Response[Receipt]:
        missing = [part for part in ("data", *IMAGE_PARTS) if getattr(data, part) is None]
        if missing:
            return error(
                422,
                "faltan partes de la solicitud: " + ", ".join(missing),
                [{"field": part, "message": f"falta la parte «{part}»"} for part in missing],
            )
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
