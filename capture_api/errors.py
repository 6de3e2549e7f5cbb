"""Every error becomes a JSON body with a Spanish detail; a 500 is always a bug and says so without internals."""

from __future__ import annotations

import logging
from dataclasses import asdict

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, ValidationError

from capture_api.schemas import ErrorBody
from workflow.calendar.messages import spanish
from workflow.errors import Detail, DomainError, ErrorKind

log = logging.getLogger("convoca.api")

STATUS_DETAIL = {
    400: "solicitud mal formada",
    401: "se requiere autenticación",
    403: "operación no permitida",
    404: "no existe el recurso solicitado",
    405: "método no permitido en esta ruta",
    409: "conflicto con el estado actual",
    413: "la solicitud es demasiado grande",
    415: "tipo de contenido no admitido",
    422: "los datos no son válidos",
    429: "demasiadas solicitudes",
    503: "servicio no disponible por ahora",
}


# The one place where a domain error becomes an HTTP status.
STATUS = {
    ErrorKind.malformed: 400,
    ErrorKind.invalid: 422,
    ErrorKind.not_found: 404,
    ErrorKind.conflict: 409,
    ErrorKind.too_large: 413,
    ErrorKind.unauthenticated: 401,
    ErrorKind.forbidden: 403,
    ErrorKind.unavailable: 503,
}


def not_found(detail: str) -> DomainError:
    return DomainError(ErrorKind.not_found, detail)


def documented(*codes: int, **specials: type) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the error responses a route may give (all share ``ErrorBody`` unless told otherwise)."""
    out = {
        code: ResponseSpec(data_container=ErrorBody, description=STATUS_DETAIL[code], generate_examples=False)
        for code in codes
    }
    for code, container in specials.items():
        status = int(code.removeprefix("s"))
        out[status] = ResponseSpec(data_container=container, description=STATUS_DETAIL[status], generate_examples=False)
    return out


def error(status: int, detail: str, errors: list[dict] | None = None, headers: dict | None = None) -> Response:
    return Response(
        {"status_code": status, "detail": detail, "errors": errors or []}, status_code=status, headers=headers
    )


def _listed(details: list[Detail]) -> list[dict]:
    return [{k: v for k, v in asdict(d).items() if v is not None} for d in details]


def pydantic_details(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> list[Detail]:
    """Each error with the field it concerns (``prefix`` names the part it came in) and a Spanish message."""
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or None)
        out.append(Detail(spanish(err, model), field))
    return out


# How pydantic's and Litestar's own (English) messages begin.
ENGLISH = (
    "Input ",
    "Field ",
    "Value ",
    "String ",
    "Extra ",
    "List ",
    "Dictionary ",
    "Unable ",
    "Object ",
    "Invalid ",
    "Assertion ",
    "Date",
    "Datetime",
    "Decimal",
    "URL",
    "UUID",
    "Tuple",
    "Set ",
    "Timezone",
    "Expected",
    "Missing",
    "Validation ",
    "JSON",
)


def on_validation(request: Request, exc: ValidationException) -> Response:
    # Litestar's own checks of path, query, headers and body: name the parameter, in Spanish. A body that does not
    # validate is 422 (unprocessable content); a malformed path, query or header is 400.
    problems, body = [], False
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if not isinstance(item, dict):
            continue
        source = getattr(item.get("source"), "value", item.get("source"))
        body = body or source in ("body", None)  # Litestar names no source for a JSON body's fields
        where = {"path": "en la ruta", "query": "en la consulta", "header": "en los encabezados"}.get(str(source), "")
        message = str(item.get("message", ""))
        if not message or message.startswith(ENGLISH):  # pydantic's own wording; ours is already Spanish
            message = f"valor no válido o ausente {where}".strip()
        problems.append({"field": item.get("key"), "message": message})
    return error(422 if body else 400, "la solicitud no es válida", problems)


MULTIPART_HINT = "el cuerpo debe ser multipart/form-data con las partes data (JSON), anverso, reverso, foto y firma"


def unreadable_body(request: Request) -> Detail | None:
    """Why Litestar could not read the body of a route that takes multipart (``opt={"body": "multipart"}``)."""
    handler = request.scope.get("route_handler")
    if handler is None or handler.opt.get("body") != "multipart":
        return None
    content_type = request.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        got = f"«{media.strip()}»" if media.strip() else "ninguno"
        return Detail(f"{MULTIPART_HINT} (Content-Type recibido: {got})", "Content-Type")
    if "boundary=" not in params.lower():
        return Detail(
            f"al encabezado Content-Type le falta «boundary=…», que separa las partes; {MULTIPART_HINT}", "Content-Type"
        )
    return Detail(
        "el cuerpo multipart está incompleto o mal formado: cada parte debe empezar con --BOUNDARY y el cuerpo "
        f"terminar con --BOUNDARY--; {MULTIPART_HINT}",
        "body",
    )


def on_http(request: Request, exc: HTTPException) -> Response:
    detail = unreadable_body(request) if exc.status_code == 400 else None
    if detail is not None:
        return error(400, detail.message, _listed([detail]), headers=exc.headers)
    return error(exc.status_code, STATUS_DETAIL.get(exc.status_code, "error en la solicitud"), headers=exc.headers)


def on_domain(request: Request, exc: DomainError) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if exc.kind is ErrorKind.unauthenticated else None
    return error(STATUS[exc.kind], exc.message, _listed(exc.details), headers)


def on_pydantic(request: Request, exc: ValidationError) -> Response:
    return error(422, "los datos no son válidos", _listed(pydantic_details(exc, BaseModel)))


def on_undecodable(request: Request, exc: UnicodeDecodeError) -> Response:
    # Raised while parsing a request whose text (a form field name, a header) is not UTF-8.
    return error(400, "la solicitud contiene texto que no está en UTF-8")


def on_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("error interno en %s %s", request.method, request.url.path)
    return error(HTTP_500_INTERNAL_SERVER_ERROR, "error interno del servidor; quedó registrado para su corrección")


HANDLERS: ExceptionHandlersMap = {
    ValidationException: on_validation,
    HTTPException: on_http,
    DomainError: on_domain,
    ValidationError: on_pydantic,
    UnicodeDecodeError: on_undecodable,
    Exception: on_unexpected,
}
