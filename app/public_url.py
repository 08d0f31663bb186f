"""How phones and browsers reach this app: PUBLIC_URL when a proxy hides the address, else the request's
host. Every absolute link the app hands out (photos, downloads, the Collect server URL) starts here."""

from __future__ import annotations

from flask import current_app, request


def public_base_url() -> str:
    """The base of absolute links, ending in "/"."""
    return (current_app.config["DOORSTEP"].PUBLIC_URL or request.host_url).rstrip("/") + "/"
