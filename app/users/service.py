"""Users: create and change within the caller's areas and manageable roles."""

from __future__ import annotations

from bson import ObjectId
from mongoengine import NotUniqueError, Q

from app.area_codes import ancestors
from app.areas.models import Area
from app.audit import service as audit
from app.auth.permissions import MANAGEABLE_ROLES
from app.auth.principal import Principal
from app.clock import now
from app.errors import Conflict, Forbidden, ValidationFailed
from app.users import passwords
from app.users.grants import active_area_codes
from app.users.models import User


def principal_for(user: User, ip: str | None = None, user_agent: str | None = None) -> Principal:
    """The caller as domain code sees it: their areas plus any area granted to them for now."""
    return Principal(
        user_id=str(user.id),
        username=user.username,
        role=user.role,
        area_codes=active_area_codes(user, now()),
        ip=ip,
        user_agent=user_agent,
        display_name=user.display_name or "",
    )


def _check_areas(principal: Principal, codes: list[str]) -> list[str]:
    if not codes:
        raise ValidationFailed(errors={"area_codes": ["至少一个区划 At least one area code"]})
    found = set(Area.objects(code__in=codes).distinct("code"))
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationFailed(errors={"area_codes": [f"区划不存在 Unknown area: {', '.join(missing)}"]})
    outside = [c for c in codes if not principal.covers(ancestors(c))]
    if outside:
        raise Forbidden(f"区划不在您的管辖范围 Areas outside your scope: {', '.join(outside)}")
    paths = sorted({a for c in codes for a in ancestors(c)})
    return paths


def check_manageable(principal: Principal, role: str) -> None:
    """Forbidden unless the caller may create or change users of `role`."""
    if role not in MANAGEABLE_ROLES.get(principal.role, ()):
        raise Forbidden(f"不能管理 {role} 角色 You may not manage {role} users", role=role)


def create_user(
    principal: Principal,
    *,
    username: str,
    password: str,
    role: str,
    area_codes: list[str],
    display_name: str = "",
    phone: str | None = None,
) -> User:
    principal.require("users.write")
    check_manageable(principal, role)
    if len(password) < passwords.MIN_LENGTH:
        raise ValidationFailed(errors={"password": [f"至少 {passwords.MIN_LENGTH} 位 At least 8 characters"]})
    paths = _check_areas(principal, area_codes)
    stamp = now()
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        role=role,
        area_codes=area_codes,
        area_paths=paths,
        password_hash=passwords.hash_password(password),
        created_at=stamp,
        updated_at=stamp,
    )
    try:
        user.save()
    except NotUniqueError as err:
        raise Conflict(f"用户名 {username} 已存在 Username taken", field="username") from err
    audit.record(
        principal,
        "user.create",
        "user",
        str(user.id),
        paths,
        username=username,
        role=role,
        area_codes=area_codes,
    )
    return user


def visible_users(principal: Principal, role: str | None = None, area: str | None = None):
    principal.require("users.read")
    query = User.objects(principal.scope("area_paths"))
    if role:
        query = query.filter(role=role)
    if area:
        query = query.filter(area_paths=area)
    return query.order_by("username")


def get_user(principal: Principal, user_id: str) -> User:
    principal.require("users.read")
    user = User.objects(id=user_id).first() if ObjectId.is_valid(user_id) else None
    return principal.check_visible(user)


def update_user(principal: Principal, user_id: str, changes: dict) -> User:
    principal.require("users.write")
    user = get_user(principal, user_id)
    check_manageable(principal, user.role)
    if "role" in changes:
        check_manageable(principal, changes["role"])
        user.role = changes["role"]
    if "area_codes" in changes:
        user.area_paths = _check_areas(principal, changes["area_codes"])
        user.area_codes = changes["area_codes"]
    for name in ("display_name", "phone"):
        if name in changes:
            setattr(user, name, changes[name])
    if "active" in changes:
        user.active = changes["active"]
        if not user.active:
            user.token_version += 1
    if "password" in changes:
        user.password_hash = passwords.hash_password(changes["password"])
        user.token_version += 1
    user.updated_at = now()
    user.save()
    shown = {k: v for k, v in changes.items() if k != "password"} | (
        {"password": "changed"} if "password" in changes else {}
    )
    audit.record(principal, "user.update", "user", str(user.id), user.area_paths, changes=shown)
    return user


def find_user(ref: str) -> User | None:
    """A user named by id or username (forms and imports accept either)."""
    return User.objects(Q(id=ref) if ObjectId.is_valid(ref) else Q(username=ref)).first()
