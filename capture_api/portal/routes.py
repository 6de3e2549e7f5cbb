"""The portal's pages: public (processes, their calendar and documents) and the aspirante's own (signed in with
their token, kept in an encrypted, http-only cookie session — never in a URL).

Everything here is scoped to the portal's router: its CSRF check, its session cookie, its security headers and its
HTML error pages. The JSON API under ``/api/v1`` (bearer tokens, no cookies) is untouched by all of them."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Request, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import ExceptionHandlersMap

from workflow.clock import real_now
from workflow.documents import spanish as es
from workflow.errors import DomainError
from workflow.participants.records import Role

from ..controllers.documents import signatures_out
from ..errors import STATUS
from ..schemas import ProcessId
from ..services import Services
from . import admin, aspirante, desk, monitor, views
from .ahead import Ahead
from .web import SESSION_HOURS, Form, page, redirect

HERE = Path(__file__).parent


def template_config() -> TemplateConfig:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["miles"] = lambda n: "—" if n is None else es.number(n)
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(env))


# -- pages anyone may open ---------------------------------------------------------------------------------------


@get("/", name="portal:home", sync_to_thread=True)
def home(services: NamedDependency[Services]) -> Template:
    oples: dict[str, list[views.ProcessView]] = {}
    now = services.clock.now()
    for pid in services.calendars.process_ids():
        active = services.calendars.active(pid)
        view = views.process_view(active.calendar, active.version.number, now)
        oples.setdefault(view.ople, []).append(view)
    return page("home.html", oples=oples)


@get("/procesos/{process_id:str}", name="portal:process", sync_to_thread=True)
def process(services: NamedDependency[Services], process_id: ProcessId) -> Template:
    active = services.calendars.active(process_id)
    view = views.process_view(active.calendar, active.version.number, services.clock.now())
    return page("process.html", script=bool(view.open_windows), p=view)


@get("/procesos/{process_id:str}/documentos", name="portal:documents", sync_to_thread=True)
def documents(services: NamedDependency[Services], process_id: ProcessId) -> Template:
    active = services.calendars.active(process_id)
    view = views.process_view(active.calendar, active.version.number, services.clock.now())
    rows = views.document_rows(services.documents.versions(process_id, published=True), active.calendar.tz)
    return page("documents.html", p=view, documents=rows, signatures=signatures_out(services, process_id))


# -- the aspirante's own pages -----------------------------------------------------------------------------------


# Where each role lands after signing in; other roles' tokens open nothing in the portal yet.
HOMES = {Role.aspirante: "/aspirante", Role.revisor: "/mesa", Role.admin: "/admin"}


@get("/entrar", name="portal:sign-in", sync_to_thread=False)
def sign_in_form() -> Template:
    return page("sign_in.html", errors=[], token_error=None)


@post("/entrar", sync_to_thread=True, status_code=303)
def sign_in(
    request: Request,
    services: NamedDependency[Services],
    data: Form,
) -> Template | Redirect:
    token = (data.get("token") or "").strip()
    principal, problem = None, None
    if not token:
        problem = "Escriba su token de acceso."
    else:
        principal = services.participants.authenticate(token, services.clock.now())
        if principal is None:
            problem = "El token no es válido, fue revocado o ya venció. Revíselo y vuelva a escribirlo."
        elif principal.role not in HOMES:
            problem = (
                "Ese token no abre ninguna página del portal. Use el token que el OPLE le entregó como persona "
                "aspirante, integrante de la mesa de control o administradora."
            )
    if problem is not None or principal is None:
        return page("sign_in.html", status=422, errors=[(problem, "token")], token_error=problem)
    request.clear_session()
    request.set_session({"token": token, "since": real_now().isoformat()})
    return redirect(HOMES[principal.role])


@post("/salir", sync_to_thread=False, status_code=303)
def sign_out(request: Request) -> Redirect:
    request.clear_session()
    return redirect("/entrar")


# -- errors as pages ---------------------------------------------------------------------------------------------

ERROR_TITLES = {
    400: "La solicitud no es válida",
    403: "No puede hacer esto",
    404: "No encontramos esta página",
    405: "Método no permitido",
    409: "Conflicto con el estado actual",
    413: "El archivo es demasiado grande",
    422: "Los datos no son válidos",
    500: "Algo falló de nuestro lado",
}
NOT_FOUND = (
    "Si escribió la dirección, revise que esté bien escrita. Si siguió un enlace, puede que la página ya no exista"
)
UNEXPECTED = "El error quedó registrado para su corrección. Vuelva a intentarlo en unos minutos"
log = logging.getLogger("convoca.portal")


def error_page(request: Request, exc: Exception) -> Response:
    """A portal page for an error: a domain error's own message, a refused form's, or the status's in words. An
    unexpected error is logged and answered with a 500 page that shows nothing of it."""
    if isinstance(exc, DomainError):
        status, detail = STATUS[exc.kind], exc.message
    elif isinstance(exc, PermissionDeniedException | NotAuthorizedException) and "CSRF" in str(exc.detail):
        status, detail = 403, "El formulario venció o no vino de este sitio. Vuelva a la página e inténtelo de nuevo."
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        detail = NOT_FOUND if status == 404 else ERROR_TITLES.get(status, "Error en la solicitud")
    else:
        log.exception("error interno en %s %s", request.method, request.url.path)
        status, detail = 500, UNEXPECTED
    title = ERROR_TITLES.get(status, "Error en la solicitud")
    return page("error.html", status=status, title=title, detail=detail)


API_PREFIXES = ("/api/", "/schema", "/health")


def for_browsers(handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The application's error handlers, answering with a portal page instead of JSON when a browser asks for an
    address outside the API (no route matched it, or the method is not allowed). The API keeps its JSON problem
    details, and so does any client that does not ask for HTML."""

    def wrap(handler: Callable[[Request, Any], Response]) -> Callable[[Request, Any], Response]:
        def either(request: Request, exc: Any) -> Response:
            path = request.url.path
            wants_html = "text/html" in request.headers.get("accept", "")
            if wants_html and not path.startswith(API_PREFIXES):
                return error_page(request, exc)
            return handler(request, exc)

        return either

    return {kind: wrap(handler) for kind, handler in handlers.items()}


class Shared(DefineMiddleware):
    """A middleware definition registered as it is: Litestar deep-copies a router when it registers it, and the
    session backend's cipher cannot be copied (nor needs to be)."""

    __slots__ = ()

    def __deepcopy__(self, memo: dict) -> Shared:
        return self


def portal_router(secret: bytes) -> Router:
    """The portal's pages and static files. ``secret`` (32 bytes, the same in every worker) keys the session's
    encryption and the CSRF tokens' signatures."""
    csrf = CSRFConfig(
        secret=hashlib.sha256(b"convoca/portal/csrf" + secret).hexdigest(),
        cookie_name="convoca_csrf",
        cookie_secure=True,
        cookie_httponly=True,
        cookie_samesite="strict",
    )
    session = CookieBackendConfig(
        secret=hashlib.sha256(b"convoca/portal/session" + secret).digest(),
        key="convoca_sesion",
        max_age=SESSION_HOURS * 3600,
        secure=True,
        httponly=True,
        samesite="strict",
    )
    handlers: list[Callable[..., Any]] = [
        home, process, documents, sign_in_form, sign_in, sign_out, *aspirante.HANDLERS, *desk.HANDLERS, *admin.HANDLERS,
        *monitor.HANDLERS
    ]  # fmt: skip
    anticipadas = Ahead()
    return Router(
        path="/",
        dependencies={"anticipadas": Provide(lambda: anticipadas, sync_to_thread=False)},
        route_handlers=[
            *handlers,
            create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False),
        ],
        middleware=[
            Shared(session.middleware.middleware, **session.middleware.kwargs),
            DefineMiddleware(CSRFMiddleware, config=csrf),
        ],
        exception_handlers={DomainError: error_page, HTTPException: error_page, Exception: error_page},
        include_in_schema=False,
    )
