"""Every blueprint and where it is mounted: the API's table of contents."""

from app.health.api import blp as health_blp

API = "/api/v1"

BLUEPRINTS = [
    (health_blp, ""),
]
