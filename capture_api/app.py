"""The Litestar application."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from litestar import Litestar, Router, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from .controllers.audiencia import AudienciaController
from .controllers.captures import CaptureController
from .controllers.documents import DocumentController
from .controllers.participants import ParticipantController
from .controllers.processes import ProcessController
from .controllers.review import ReviewController
from .controllers.verification import VerificationController
from .errors import HANDLERS
from .portal import for_browsers, portal_router, template_config
from .services import Services

# Four images of up to 4 MiB each, plus the JSON part.
MAX_BODY = 18 * 1024 * 1024


@get("/health", summary="Estado del servicio", include_in_schema=False, sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    services: Services,
    *,
    on_startup: Sequence[Callable[[], None]] = (),
    on_shutdown: Sequence[Callable[[], None]] = (),
    debug: bool = False,
) -> Litestar:
    api = Router(
        path="/api/v1",
        route_handlers=[
            ProcessController,
            DocumentController,
            ParticipantController,
            CaptureController,
            VerificationController,
            ReviewController,
            AudienciaController,
        ],
    )
    app = Litestar(
        route_handlers=[api, health, portal_router(services.portal_secret())],
        dependencies={"services": Provide(lambda: services, sync_to_thread=False)},
        exception_handlers=for_browsers(HANDLERS),
        openapi_config=OpenAPIConfig(
            title="convoca",
            version="1",
            description="Candidaturas independientes: calendario, documentos, aspirantes, gestores y captación del "
            "apoyo de la ciudadanía.",
            path="/schema",
            components=Components(security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}),
        ),
        template_config=template_config(),
        request_max_body_size=MAX_BODY,
        logging_config=None,  # logging is configured by the command that runs the app
        on_startup=list(on_startup),
        on_shutdown=list(on_shutdown),
        debug=debug,
    )
    app.state.services = services
    return app
