"""What every portal page shares: its security headers, how a page and a redirect are answered, and who the
session's token speaks for."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from workflow.clock import real_now
from workflow.participants.records import Role
from workflow.participants.service import Principal

from ..services import Services

SESSION_HOURS = 8

# A form's fields, as the portal's pages post them (the CSRF token among them).
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

# No inline script or style anywhere in the portal: everything comes from /static. SVG presentation attributes
# (fill, stroke) are not styles and need no exception. Only the pages that need a script (the review desk's
# keyboard) allow the portal's own.
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}


def page(name: str, status: int = 200, *, script: bool = False, **context: Any) -> Template:
    headers = (
        {**SECURITY_HEADERS, "Content-Security-Policy": CSP + "; script-src 'self'"} if script else SECURITY_HEADERS
    )
    return Template(template_name=name, context=context, status_code=status, headers=headers)


def redirect(path: str) -> Redirect:
    return Redirect(path=path, status_code=303, headers=SECURITY_HEADERS)


def signed_in(request: Request, services: Services, role: Role) -> Principal | None:
    """The principal of the session's token, while the token is valid, of ``role``, and the session young enough."""
    token, since = request.session.get("token"), request.session.get("since")
    if not isinstance(token, str) or not isinstance(since, str):
        return None
    try:
        started = datetime.fromisoformat(since)
    except ValueError:
        return None
    if not timedelta(0) <= real_now() - started <= timedelta(hours=SESSION_HOURS):
        return None
    principal = services.participants.authenticate(token, services.clock.now())
    return principal if principal is not None and principal.role is role else None


def to_sign_in(request: Request) -> Redirect:
    request.clear_session()
    return redirect("/entrar")
