"""The web console at /console/: server-rendered pages for verifiers, supervisors and cadres.

Same services, roles and area scoping as the JSON API: every view resolves the caller through
`app.login.access` (the session cookie carries the same signed token as a bearer header), calls the
service the API calls, and renders. Safe by default: session cookie HttpOnly + SameSite=Lax (+ Secure
behind HTTPS), CSRF tokens on every form, a Content-Security-Policy with no inline script or style,
Jinja autoescaping, photos only through short-lived signed /media links.
"""

from __future__ import annotations

from flask import Flask

from app.console import auth_views, cadre_views, ledger_views, report_views, review_views  # noqa: F401 - routes
from app.console.blueprint import bp, csrf
from app.console.security import ConsoleSessionInterface


def register_console(app: Flask) -> None:
    cfg = app.config["DOORSTEP"]
    app.config.update(
        SESSION_COOKIE_NAME="doorstep_console",
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=cfg.TOKEN_TTL_SECONDS,
        WTF_CSRF_CHECK_DEFAULT=False,  # only the console's forms: the API authenticates by bearer header
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which expires with its token
    )
    app.session_interface = ConsoleSessionInterface()
    csrf.init_app(app)
    app.register_blueprint(bp)
