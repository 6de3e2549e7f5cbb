"""The people's portal: Spanish pages server-rendered from the same application as the JSON API."""

from .routes import for_browsers, portal_router, template_config

__all__ = ["for_browsers", "portal_router", "template_config"]
