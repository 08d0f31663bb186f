"""The console's cookie and response headers: what keeps its pages safe in a browser."""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",  # no inline scripts: console.js only
        "style-src 'self'",  # no inline styles either
        "img-src 'self' data:",  # photos come from /media on the same origin
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure when the browser talks HTTPS (SESSION_COOKIE_SECURE=auto),
    directly or through a proxy that says so in X-Forwarded-Proto; or always/never (true/false)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = str(app.config["DOORSTEP"].SESSION_COOKIE_SECURE).lower()
        if setting == "auto":
            return request.is_secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"
        return setting in ("1", "true", "yes")


def protect(response: Response) -> Response:
    """Security headers on every console response; pages hold personal data, so they are not cached."""
    if response.mimetype == "text/html":
        response.headers.update(HEADERS)
        response.headers["Cache-Control"] = "no-store"
    else:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
