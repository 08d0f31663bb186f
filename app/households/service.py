"""Households: register, change and find them within the caller's areas."""

from __future__ import annotations

from bson import ObjectId
from mongoengine import NotUniqueError, Q

from app.areas.models import Area
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import Conflict, Forbidden, ValidationFailed
from app.households.models import Household, Member
from app.users.models import User
from app.users.service import find_user


def visible_households(
    principal: Principal,
    *,
    area: str | None = None,
    status: str | None = None,
    q: str | None = None,
    helper_id: str | None = None,
    poverty_status: str | None = None,
):
    principal.require("households.read")
    query = Household.objects(principal.scope())
    if area:
        query = query.in_area(area)
    if status:
        query = query.filter(status=status)
    if poverty_status:
        query = query.filter(poverty_status=poverty_status)
    if helper_id:
        query = query.filter(helper_id=helper_id)
    if q:
        text = q.strip()
        query = query.filter(Q(number=text) | Q(id_number=text.upper()) | Q(head_name__startswith=text))
    return query.order_by("number")


def households_by_id(principal: Principal, household_ids: list[str]) -> dict[str, Household]:
    """The visible households among these ids, in one query (e.g. for a page of visits)."""
    principal.require("households.read")
    ids = sorted({i for i in household_ids if ObjectId.is_valid(i)})
    # by id alone (the _id index), then the scope in Python: a page is a few dozen households
    query = Household.objects(id__in=ids).exclude("members", "latest_assessment")
    return {str(h.id): h for h in query if principal.covers(h.area_path)}


def get_household(principal: Principal, household_id: str) -> Household:
    principal.require("households.read")
    household = Household.objects(id=household_id).first() if ObjectId.is_valid(household_id) else None
    return principal.check_visible(household)


def resolve_village(principal: Principal, village_code: str) -> Area:
    area = Area.objects(code=village_code).first()
    if area is None or area.level not in ("village", "hamlet"):
        raise ValidationFailed(errors={"village_code": [f"村 {village_code} 不存在 Unknown village"]})
    if not principal.covers(area.path):
        raise Forbidden(f"村 {village_code} 不在您的管辖范围 Village outside your areas")
    return area


def resolve_helper(principal: Principal, helper: str | None) -> User | None:
    """A helper is a cadre, given by user id or username, inside the caller's areas."""
    if not helper:
        return None
    user = find_user(helper)
    if user is None or user.role != "cadre" or not principal.covers(user.area_paths):
        raise ValidationFailed(errors={"helper": [f"帮扶责任人 {helper} 不存在 Unknown cadre"]})
    return user


def _insert(principal: Principal, area: Area, data: dict, **fields) -> Household | None:
    """Insert a household in `area` from `data` and audit it; None when its number is taken."""
    stamp = now()
    household = Household(
        **{k: v for k, v in data.items() if k not in ("members", *fields)},
        **fields,
        members=[Member(**m) for m in data.get("members", [])],
        area_path=area.path,
        created_at=stamp,
        updated_at=stamp,
    )
    try:
        household.save(force_insert=True)
    except NotUniqueError:
        return None
    audit.record(
        principal,
        "household.create",
        "household",
        str(household.id),
        household.area_path,
        number=household.number,
        poverty_status=household.poverty_status,
    )
    return household


def create_household(principal: Principal, data: dict) -> Household:
    principal.require("households.write")
    area = resolve_village(principal, data["village_code"])
    helper = resolve_helper(principal, data.pop("helper", None) or data.pop("helper_id", None))
    household = _insert(
        principal,
        area,
        data,
        helper_id=str(helper.id) if helper else None,
        helper_name=(helper.display_name or helper.username) if helper else None,
    )
    if household is None:
        raise Conflict(f"户编号 {data['number']} 已存在 Household number exists", field="number")
    return household


def create_candidate(principal: Principal, data: dict) -> Household:
    """A household found under 四个必到 that is not on the register: poverty status `candidate`, with a
    generated number (C + village code + sequence) unless one is given. For app.adjustment."""
    principal.require("identification.file")
    area = resolve_village(principal, data["village_code"])
    if data.get("id_number") and Household.objects(id_number=data["id_number"]).count():
        raise Conflict("该身份证号的户已登记 A household with this ID number exists", field="id_number")
    for attempt in range(1, 6):
        number = (
            data.get("number")
            or f"C{area.code}{Household.objects(village_code=area.code).count() + attempt:03d}"
        )
        household = _insert(
            principal, area, data, number=number, poverty_status="candidate", poverty_changed_at=now()
        )
        if household is not None:
            return household
        if data.get("number"):
            break
    raise Conflict(f"户编号 {number} 已存在或无法生成 Household number taken", field="number")


def update_household(principal: Principal, household_id: str, changes: dict) -> Household:
    principal.require("households.write")
    household = get_household(principal, household_id)
    if "village_code" in changes:
        household.area_path = resolve_village(principal, changes["village_code"]).path
    if "helper" in changes or "helper_id" in changes:
        helper = resolve_helper(principal, changes.pop("helper", None) or changes.pop("helper_id", None))
        household.helper_id = str(helper.id) if helper else None
        household.helper_name = (helper.display_name or helper.username) if helper else None
    if "members" in changes:
        household.members = [Member(**m) for m in changes.pop("members")]
    for name, value in changes.items():
        setattr(household, name, value)
    household.updated_at = now()
    household.version += 1
    household.save()
    audit.record(
        principal,
        "household.update",
        "household",
        str(household.id),
        household.area_path,
        fields=sorted(changes),
    )
    return household
