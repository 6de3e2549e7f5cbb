"""Bearer tokens and role guards. Every route declares who may call it; the default is nobody."""

from __future__ import annotations

from collections.abc import Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers import BaseRouteHandler

from workflow.participants.records import Role
from workflow.participants.service import Principal

from .services import Services

SECURITY = [{"BearerToken": []}]


def _principal(connection: ASGIConnection) -> Principal:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(
            "falta el token: envíe el encabezado «Authorization: Bearer TOKEN»",
            headers={"WWW-Authenticate": "Bearer"},
        )
    services: Services = connection.app.state.services
    principal = services.participants.authenticate(token.strip(), services.clock.now())
    if principal is None:
        raise NotAuthorizedException(
            "el token no es válido, fue revocado o ya venció",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


def requires(*roles: Role) -> Callable[[ASGIConnection, BaseRouteHandler], None]:
    """A guard: the caller must present a valid token of one of ``roles``."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = _principal(connection)
        if principal.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise PermissionDeniedException(f"esta operación es para el rol {allowed}, no para {principal.role.value}")
        connection.state.principal = principal

    return guard


def current_principal(connection: ASGIConnection) -> Principal:
    return connection.state.principal


def require_own_aspirante(principal: Principal, aspirante_id: int) -> None:
    """An aspirante sees only their own data (an administrator sees all)."""
    if principal.role is Role.aspirante and principal.aspirante_id != aspirante_id:
        raise PermissionDeniedException("solo puede consultar o modificar sus propios datos")
