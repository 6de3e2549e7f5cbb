"""The people's portal: Spanish pages server-rendered from the same application as the JSON API."""

from .routes import portal_router, template_config

__all__ = ["portal_router", "template_config"]
