"""Authentication in one place: every /api/v1 request except the token endpoint needs a bearer token;
every /openrosa request HTTP Basic credentials or an app token in its path (/openrosa/key/<token>/…);
the web console's session cookie carries the same signed token as a bearer header. All of them resolve
to the same Principal, with the same roles, areas, expiry, revocation and login throttle."""

from __future__ import annotations

from flask import Flask, current_app, g, request, session

from app.area_codes import ancestors
from app.audit import service as audit
from app.auth.principal import Principal
from app.auth.tokens import TokenSigner
from app.errors import AccountDisabled, AccountLocked, BadCredentials, Unauthenticated
from app.login.app_tokens import user_for_app_token
from app.login.basic import CredentialCache, basic_credentials, basic_principal
from app.login.credentials import authenticate
from app.login.known_users import KnownUsers
from app.login.throttle import register_login_throttle
from app.users.models import User
from app.users.service import principal_for

OPENROSA_PREFIX = "/openrosa/"
CREDENTIAL_CACHE_SECONDS = 15 * 60  # safe to be long: every hit is re-validated (basic.py)

PUBLIC_ENDPOINTS = {"login.TokenView", "health.healthz", "health.readyz", "docs_assets", "static"}
SESSION_TOKEN = "token"  # the key of the bearer token inside the console's session cookie


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


def _principal(user: User) -> Principal:
    return principal_for(user, client_ip(), request.headers.get("User-Agent"))


def principal_from_token(token: str) -> Principal:
    """The caller a token names: expired, revoked (token version bumped) or disabled users are refused."""
    user_id, version = signer().read(token.strip())
    user = current_app.extensions["known_users"].get(user_id)
    if user is None or user.token_version != version:
        raise Unauthenticated("令牌已失效 Token revoked")
    if not user.active:
        raise AccountDisabled()
    return _principal(user)


def log_in(username: str, password: str, channel: str) -> tuple[User, str]:
    """Check credentials (throttled), record the outcome in the audit log, and issue a token.

    `channel` says where the login came from ("api" or "console"); both go through here.
    """
    try:
        user = check_credentials(username, password)
    except (BadCredentials, AccountLocked, AccountDisabled) as err:
        known = User.objects(username=username).first()
        if known is not None:  # unknown names are not written: the log would hold whatever was typed
            audit.record(
                _principal(known), "login.failed", "user", str(known.id), known.area_paths,
                channel=channel, reason=err.reason,
            )  # fmt: skip
        raise
    audit.record(_principal(user), "login", "user", str(user.id), user.area_paths, channel=channel)
    return user, signer().issue(str(user.id), user.token_version)


def start_session(token: str) -> None:
    """Keep the token in the (signed, HttpOnly) session cookie: the console's requests carry it."""
    session.clear()
    session[SESSION_TOKEN] = token
    session.permanent = True


def end_session() -> None:
    session.clear()


def log_out(principal: Principal) -> None:
    """End the console session and record it (the token itself expires on its own)."""
    paths = sorted({code for area in principal.area_codes for code in ancestors(area)})
    audit.record(principal, "logout", "user", principal.user_id, paths, channel="console")
    end_session()


def session_principal() -> Principal:
    """The console caller, from the token in the session cookie; Unauthenticated without one."""
    token = session.get(SESSION_TOKEN)
    if not token:
        raise Unauthenticated()
    principal = principal_from_token(token)
    g.principal = principal
    return principal


def _authenticate() -> None:
    if request.path.startswith(OPENROSA_PREFIX):
        g.principal = _phone_principal()
        return
    if not request.path.startswith("/api/") or request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated()
    g.principal = principal_from_token(token)


def _phone_principal() -> Principal:
    """OpenRosa phones: an app token in the URL path, else HTTP Basic (401 with a challenge if absent)."""
    token = (request.view_args or {}).get("app_token")
    if token:
        user = user_for_app_token(token)
        if user is None:
            raise Unauthenticated("应用令牌无效或已撤销 App token invalid or revoked")
        if not user.active:
            raise AccountDisabled()
        return _principal(user)
    credentials = basic_credentials(request.headers.get("Authorization"))
    if credentials is None:
        raise Unauthenticated()
    return basic_principal(
        *credentials,
        cache=current_app.extensions["credential_cache"],
        users=current_app.extensions["known_users"],
        throttle=current_app.extensions["login_throttle"],
        ip=client_ip(),
        user_agent=request.headers.get("User-Agent"),
    )


def register_authentication(app: Flask) -> None:
    register_login_throttle(app, client_ip)
    app.extensions["credential_cache"] = CredentialCache(
        app.config["DOORSTEP"].SECRET_KEY, ttl_seconds=CREDENTIAL_CACHE_SECONDS
    )
    app.extensions["known_users"] = KnownUsers(app.config["DOORSTEP"].USER_CACHE_SECONDS)
    app.before_request(_authenticate)
