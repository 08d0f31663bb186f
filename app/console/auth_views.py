"""Log in, log out, and the landing page each role starts from."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from app.auth.current import current_principal
from app.console.blueprint import bp
from app.errors import AccountDisabled, AccountLocked, BadCredentials, DoorstepError
from app.login.access import log_in, log_out, session_principal, start_session

HOME = {"verifier": "console.queue", "cadre": "console.my_households"}


def _safe_next(target: str | None) -> str | None:
    """Only a console path of this site (not //evil.example or https://...) is followed after login."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        try:
            session_principal()
        except DoorstepError:
            return render_template("console/login.html", next=_safe_next(request.args.get("next")))
        return redirect(url_for("console.home"))
    form = request.form
    try:
        _, token = log_in(form.get("username", "").strip(), form.get("password", ""), channel="console")
    except (BadCredentials, AccountLocked, AccountDisabled) as err:
        page = render_template(
            "console/login.html",
            error=err.message,
            username=form.get("username", ""),
            next=_safe_next(form.get("next")),
        )
        return page, err.status
    start_session(token)
    return redirect(_safe_next(form.get("next")) or url_for("console.home"))


@bp.route("/logout", methods=["POST"])
def logout():
    log_out(current_principal())
    flash("已退出登录 Logged out", "info")
    return redirect(url_for("console.login"))


@bp.route("/")
def home():
    """Verifiers start at their queue, cadres at their households, supervisors and admins at the report."""
    return redirect(url_for(HOME.get(current_principal().role, "console.report")))
