"""Media links as the current request needs them."""

from __future__ import annotations

from flask import current_app

from app.media.links import MediaLinks
from app.public_url import public_base_url


def request_links(*, absolute: bool) -> MediaLinks:
    """Links for this request: absolute for API clients (PUBLIC_URL or the request's host),
    path-only for the console's pages, which load them from the same origin."""
    cfg = current_app.config["DOORSTEP"]
    base = public_base_url() if absolute else ""
    return MediaLinks(cfg.SECRET_KEY, cfg.PRESIGN_TTL_SECONDS, base=base)
