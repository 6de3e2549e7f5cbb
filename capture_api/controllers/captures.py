"""Captures posted by the gestores' apps."""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, Response, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import MultipartBody
from pydantic import ValidationError

from workflow.captures.model import IMAGE_PARTS, CaptureData, Receipt
from workflow.captures.service import GestorRef
from workflow.errors import Detail, DomainError, ErrorKind
from workflow.participants.records import Role
from workflow.participants.service import Principal

from ..auth import SECURITY, current_principal, requires
from ..errors import documented, pydantic_details
from ..forms import CaptureForm
from ..openapi import CaptureOperation
from ..services import Services


def _bytes(part: Any) -> bytes:
    """A part's content, whether the client sent it as a file or as a plain field."""
    if isinstance(part, UploadFile):
        return part.file.read()
    return part if isinstance(part, bytes) else str(part).encode()


MAX_DATA_BYTES = 16 * 1024  # a capture's data is a few hundred bytes


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DomainError(
                ErrorKind.invalid,
                f"la parte «data» repite la clave «{key}»; cada campo debe aparecer una sola vez",
                f"data.{key}",
            )
        seen[key] = value
    return seen


def parse_data(raw: bytes) -> Any:
    """The ``data`` part as JSON: UTF-8, at most MAX_DATA_BYTES, no repeated keys, not absurdly nested."""
    if len(raw) > MAX_DATA_BYTES:
        raise DomainError(
            ErrorKind.too_large,
            f"la parte «data» mide {len(raw):,} bytes; el máximo es {MAX_DATA_BYTES:,} bytes",
            "data",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DomainError(ErrorKind.invalid, "la parte «data» debe estar en UTF-8", "data") from None
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise DomainError(
            ErrorKind.invalid,
            f"la parte «data» no es JSON válido (línea {exc.lineno}, columna {exc.colno}); debe ser un objeto "
            'como {"capture_id": "…", "captured_at": "…", …}',
            "data",
        ) from None
    except RecursionError:
        raise DomainError(
            ErrorKind.malformed, "la parte «data» anida demasiados niveles; debe ser un objeto JSON plano", "data"
        ) from None


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
        opt={"body": "multipart"},  # errors.unreadable_body explains a body that cannot be read as such
        operation_class=CaptureOperation,
        dependencies={"principal": Provide(current_principal, sync_to_thread=False)},
        responses={
            200: ResponseSpec(data_container=Receipt, description="El mismo acuse de antes (reenvío)"),
            **documented(400, 401, 403, 409, 413, 422),
        },
    )
    async def post_capture(
        self,
        services: NamedDependency[Services],
        principal: NamedDependency[Principal],
        data: MultipartBody[CaptureForm],
    ) -> Response[Receipt]:
        missing = [part for part in ("data", *IMAGE_PARTS) if getattr(data, part) is None]
        if missing:
            raise DomainError(
                ErrorKind.invalid,
                "faltan partes de la solicitud: " + ", ".join(missing),
                details=[Detail(f"falta la parte «{part}»", part) for part in missing],
            )
        try:
            capture = CaptureData.model_validate(parse_data(_bytes(data.data)))
        except ValidationError as exc:
            raise DomainError(
                ErrorKind.invalid,
                "los datos de la captura no son válidos",
                details=pydantic_details(exc, CaptureData, "data."),
            ) from None
        images = {part: _bytes(getattr(data, part)) for part in IMAGE_PARTS}
        if principal.gestor_id is None or principal.aspirante_id is None:  # the guard admits gestores only
            raise DomainError(ErrorKind.unauthenticated, "el token no corresponde a un gestor registrado")
        # The guard read the gestor with its token (gestores are never deleted): no second read here.
        gestor = GestorRef(principal.gestor_id, principal.aspirante_id)
        # On the event loop, like the guard's token read: the checks are short, and the wait for the group's fsync
        # and commit holds no thread (a thread per waiting request made them fight the loop for the GIL).
        receipt, created = await services.captures.submit_async(gestor, capture, images, services.clock.now())
        return Response(receipt, status_code=201 if created else 200)
