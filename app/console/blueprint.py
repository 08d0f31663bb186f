"""The console blueprint: who the caller is, CSRF on every form, HTML errors, template helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from app import labels
from app.clock import CHINA_TZ
from app.console.security import protect
from app.errors import AccountDisabled, DoorstepError, TokenExpired, Unauthenticated
from app.login.access import end_session, session_principal

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
csrf = CSRFProtect()
OPEN_ENDPOINTS = {"console.login", "console.static"}


@bp.before_request
def _authenticate() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()  # a form without this session's token is refused (400)
    if request.endpoint in OPEN_ENDPOINTS:
        return
    session_principal()  # sets g.principal; Unauthenticated and friends go to the login page


bp.after_request(protect)


@bp.errorhandler(CSRFError)
def _csrf(err: CSRFError):
    message = "表单已失效或来源不明，请刷新页面后重试 The form expired or did not come from this site"
    return render_template("console/error.html", status=400, message=message), 400


@bp.errorhandler(DoorstepError)
def _domain(err: DoorstepError):
    if isinstance(err, Unauthenticated | TokenExpired | AccountDisabled):
        end_session()
        if request.method == "GET" and request.endpoint != "console.home":
            flash(err.message, "error")
        target = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=target) if target else url_for("console.login"))
    return render_template("console/error.html", status=err.status, message=err.message), err.status


@bp.errorhandler(HTTPException)
def _http(err: HTTPException):
    return render_template("console/error.html", status=err.code, message=err.description), err.code


@bp.app_template_filter("cst")
def cst(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A time as people here read it: China Standard Time."""
    if value is None:
        return ""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(CHINA_TZ).strftime(fmt)


@bp.app_template_filter("pct")
def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@bp.app_template_global()
def label(table: str, code: str | None) -> str:
    """The Chinese label of a code, e.g. label('state', 'has_issues')."""
    return labels.label(labels.TABLES[table], code)


@bp.app_template_global()
def query(**changes) -> str:
    """This page's query string with some arguments changed (None drops one): filters stay on."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args |= {k: v for k, v in changes.items() if v not in (None, "")}
    return "?" + urlencode(args) if args else "?"


@bp.context_processor
def _caller() -> dict:
    return {"principal": g.get("principal")}
