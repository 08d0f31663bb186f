"""Per-user app tokens for phones (ODK Collect, KoboCollect), carried in the server URL as ODK Central
does (`/openrosa/key/<token>`): no password typed on the phone, revocable one by one.

Only a sha256 of each token is stored; the token itself is shown once, when it is made. Admins, and
supervisors for users in their areas and roles they manage, create, list and revoke them. A token
stops working when revoked or when its user is disabled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bson import ObjectId

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import NotFound
from app.login.models import AppToken
from app.users.models import User
from app.users.service import check_manageable, get_user

TOKEN_BYTES = 32
LAST_USED_EVERY = timedelta(minutes=10)  # how stale `last_used_at` may get, to spare a write per request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def managed_user(principal: Principal, user_id: str) -> User:
    """The user, if the caller may manage it (admin, or a supervisor for its areas and role)."""
    principal.require("users.write")
    user = get_user(principal, user_id)
    check_manageable(principal, user.role)
    return user


def create_app_token(principal: Principal, user_id: str, label: str = "") -> tuple[AppToken, str]:
    """A new token for the user; returns (record, the token itself, shown this once)."""
    user = managed_user(principal, user_id)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    record = AppToken(
        user_id=str(user.id),
        token_hash=_digest(token),
        label=label or "",
        area_paths=user.area_paths,
        created_by=principal.username,
        created_at=now(),
    )
    record.save()
    audit.record(
        principal, "app_token.create", "user", str(user.id), user.area_paths, token_id=str(record.id)
    )
    return record, token


def app_tokens_of(principal: Principal, user_id: str) -> list[AppToken]:
    """The user's tokens, newest first (revoked ones included, marked)."""
    user = managed_user(principal, user_id)
    return list(AppToken.objects(user_id=str(user.id)).order_by("-created_at"))


def revoke_app_token(principal: Principal, user_id: str, token_id: str) -> AppToken:
    """Revoke one token at once; revoking again changes nothing."""
    user = managed_user(principal, user_id)
    record = (
        AppToken.objects(id=token_id, user_id=str(user.id)).first() if ObjectId.is_valid(token_id) else None
    )
    if record is None:
        raise NotFound()
    if record.revoked_at is None:
        record.revoked_at = now()
        AppToken.objects(id=record.id, revoked_at=None).update_one(set__revoked_at=record.revoked_at)
        audit.record(principal, "app_token.revoke", "user", str(user.id), user.area_paths, token_id=token_id)
    return record


def user_for_app_token(token: str) -> User | None:
    """The user a live token belongs to, or None for an unknown or revoked token."""
    record = AppToken.objects(token_hash=_digest(token), revoked_at=None).first()
    if record is None:
        return None
    stamp = now()
    if record.last_used_at is None or record.last_used_at < stamp - LAST_USED_EVERY:
        AppToken.objects(id=record.id).update_one(set__last_used_at=stamp)
    return User.objects(id=record.user_id).first()
