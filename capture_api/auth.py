"""Bearer tokens and role guards. Every route declares who may call it; the default is nobody."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler
from litestar.openapi.spec import SecurityRequirement

from workflow.errors import DomainError, ErrorKind
from workflow.participants.records import Role
from workflow.participants.service import Principal

from .services import Services

SECURITY: list[SecurityRequirement] = [{"BearerToken": []}]


def _principal(connection: ASGIConnection) -> Principal:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise DomainError(
            ErrorKind.unauthenticated, "falta el token: envíe el encabezado «Authorization: Bearer TOKEN»"
        )
    services: Services = connection.app.state.services
    principal = services.participants.authenticate(token.strip(), services.clock.now())
    if principal is None:
        raise DomainError(ErrorKind.unauthenticated, "el token no es válido, fue revocado o ya venció")
    return principal


def requires(
    *roles: Role, own_aspirante: bool = False
) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard: the caller must present a valid token of one of ``roles``. With ``own_aspirante``, an aspirante may
    only reach the ``aspirante_id`` of the path that is theirs. Guards run before the body is read."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        # On the event loop: the token's read is one indexed row, cheaper than a hop to a worker thread and back.
        principal = _principal(connection)
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise DomainError(
                ErrorKind.forbidden, f"esta operación es para el rol {allowed}, no para {principal.role.value}"
            )
        own = principal.aspirante_id == connection.path_params.get("aspirante_id")
        if own_aspirante and principal.role is Role.aspirante and not own:
            raise DomainError(ErrorKind.forbidden, "solo puede consultar o modificar sus propios datos")
        connection.state.principal = principal

    return guard


def current_principal(request: Request) -> Principal:
    """The principal the route's guard authenticated."""
    return request.state.principal
