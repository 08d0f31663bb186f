"""Authentication in one place: every /api/v1 request except the token endpoint needs a bearer token."""

from __future__ import annotations

from flask import Flask, current_app, g, request

from app.auth.tokens import TokenSigner
from app.errors import AccountDisabled, Unauthenticated
from app.login.credentials import authenticate, user_for_token
from app.login.throttle import register_login_throttle
from app.users.models import User
from app.users.service import principal_for

PUBLIC_ENDPOINTS = {"login.TokenView", "health.healthz", "health.readyz", "docs_assets", "static"}


def signer() -> TokenSigner:
    cfg = current_app.config["DOORSTEP"]
    return TokenSigner(cfg.SECRET_KEY, cfg.TOKEN_TTL_SECONDS)


def client_ip() -> str | None:
    """The caller's address: the connection's, or the header a trusted proxy sets (CLIENT_IP_HEADER).
    A header is never trusted by default: a client could name any address, the victim's included."""
    header = current_app.config["DOORSTEP"].CLIENT_IP_HEADER
    return (request.headers.get(header) if header else None) or request.remote_addr


def check_credentials(username: str, password: str) -> User:
    """The one credential check for a request (token, HTTP Basic, console): throttled by caller address."""
    return authenticate(
        username, password, address=client_ip(), throttle=current_app.extensions["login_throttle"]
    )


def _authenticate() -> None:
    if not request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    user_id, version = signer().read(token.strip())
    user = user_for_token(user_id, version)
    if user is None:
        raise Unauthenticated("令牌已失效 Token revoked")
    if not user.active:
        raise AccountDisabled()
    g.principal = principal_for(user, client_ip(), request.headers.get("User-Agent"))


def register_authentication(app: Flask) -> None:
    register_login_throttle(app, client_ip)
    app.before_request(_authenticate)
