"""The rectification ledger: open items from checks and reviews, add them by hand, follow up, close.

`open_from_checks` and `open_from_review` are idempotent: each problem has a deduplication key, so a
re-run job or a retried request finds the item it opened before instead of opening another. Verifiers,
supervisors and admins follow every item up; the responsible cadre (整改责任人) follows up their own items
(the measure and its evidence) but cannot move the deadline, hand the item on or close it. An item is
closed (销号) with evidence, by whoever opened it or someone of their level or above.
"""

from __future__ import annotations

import uuid
from datetime import date

from bson import ObjectId
from mongoengine import Q

from app.audit import service as audit
from app.auth.permissions import ROLES
from app.auth.principal import SYSTEM, Principal
from app.campaigns import progress
from app.campaigns.schedule import CampaignTag, campaign_tag
from app.clock import now
from app.errors import Forbidden, InvalidTransition, ValidationFailed
from app.households import service as households
from app.households.models import Household
from app.pagination import Concatenated
from app.rectification import deadlines
from app.rectification.models import RectificationItem
from app.users.models import User
from app.users.service import find_user
from app.visits.models import Visit

# Fields an update may write (the conditional update below sets exactly these).
_WRITABLE = (
    "responsible_id",
    "responsible",
    "measure",
    "deadline",
    "status",
    "close_note",
    "closed_at",
    "closed_by",
    "closed_by_id",
    "updated_at",
)
DECISION_LABELS = {"reject": "审核未通过 Rejected", "request_revisit": "要求重新走访 Revisit requested"}
# What the responsible cadre may change on their own items.
RESPONSIBLE_MAY_CHANGE = frozenset({"measure"})
SYSTEM_OPENER_ROLE = "verifier"  # items the checks open are closed at the town verifier's level


def visible_items(
    principal: Principal,
    *,
    area: str | None = None,
    status: str | None = None,
    source: str | None = None,
    household_id: str | None = None,
    visit_id: str | None = None,
    campaign_id: str | None = None,
    phase: str | None = None,
    responsible_id: str | None = None,
    overdue: bool | None = None,
):
    """Items in the caller's areas, newest first. Everyone who can read households can read the ledger;
    `responsible_id="me"` lists the caller's own items (a cadre's to-do list)."""
    principal.require("households.read")
    if responsible_id == "me":
        responsible_id = principal.user_id
    query = RectificationItem.objects(principal.scope())
    if area:
        query = query.in_area(area)
    filters = {
        "status": status,
        "source": source,
        "household_id": household_id,
        "visit_id": visit_id,
        "campaign_id": campaign_id,
        "phase": phase,
        "responsible_id": responsible_id,
    }
    query = query.filter(**{name: value for name, value in filters.items() if value})
    if overdue is True:
        query = query.filter(status="open", deadline__lt=deadlines.today())
    elif overdue is False:
        query = query.filter(Q(status="closed") | Q(deadline=None) | Q(deadline__gte=deadlines.today()))
    return query.order_by("-created_at")


def overdue_first(
    principal: Principal, *, today: date, area: str | None = None, status: str | None = None, **filters
):
    """The ledger as supervisors follow it up: open items past their deadline (most overdue first), then
    the rest, newest first. Two queries, so each can be paged on its own index."""
    items = visible_items(principal, area=area, status=status, **filters)
    overdue = items.filter(status="open", deadline__lt=today).order_by("deadline", "created_at")
    rest = items.filter(Q(status="closed") | Q(deadline=None) | Q(deadline__gte=today))
    return overdue, rest


def ledger(principal: Principal, **filters) -> Concatenated:
    """The ledger overdue first (see `overdue_first`), as one sequence a page or an export can walk."""
    overdue, rest = overdue_first(principal, today=deadlines.today(), **filters)
    return Concatenated(overdue, rest)


def get_item(principal: Principal, item_id: str) -> RectificationItem:
    principal.require("households.read")
    item = RectificationItem.objects(id=item_id).first() if ObjectId.is_valid(item_id) else None
    return principal.check_visible(item)


def _default_responsible(household: Household | None, visit: Visit | None) -> tuple[str | None, str | None]:
    """The household's helper (帮扶责任人) answers for its problems; failing that, the visiting cadre."""
    if household is not None and household.helper_id:
        return household.helper_id, household.helper_name
    if visit is not None:
        return visit.cadre_id, visit.cadre
    return None, None


def _open_once(item: RectificationItem) -> bool:
    """Insert `item` unless an item with its key exists. True when this call inserted it."""
    item.validate()
    result = RectificationItem._get_collection().update_one(
        {"key": item.key}, {"$setOnInsert": item.to_mongo().to_dict()}, upsert=True
    )
    return result.upserted_id is not None


def _new_item(
    key: str, visit: Visit, source: str, code: str, problem: str, opener: Principal
) -> RectificationItem:
    """An item found on `visit`: in the visit's campaign and phase, due by the default deadline."""
    household = Household.objects(id=visit.household_id).first()
    responsible_id, responsible = _default_responsible(household, visit)
    stamp = now()
    return RectificationItem(
        key=key,
        area_path=visit.area_path,
        household_id=visit.household_id,
        household_number=visit.household_number,
        visit_id=str(visit.id),
        campaign_id=visit.campaign_id,
        phase=visit.phase,
        source=source,
        code=code,
        problem=problem[:2000],
        responsible_id=responsible_id,
        responsible=responsible,
        deadline=deadlines.default_deadline(visit.campaign_id, deadlines.today()),
        status="open",
        created_by=opener.username,
        created_by_id=opener.user_id,
        created_by_role=SYSTEM_OPENER_ROLE if opener is SYSTEM else opener.role,
        created_at=stamp,
        updated_at=stamp,
    )


def _opened(item: RectificationItem, visit: Visit, opener: Principal, **details) -> RectificationItem:
    """After inserting an item found on `visit`: a mutual-check team's assignment counts it, and the log."""
    if visit.team is not None:
        progress.note_problem(visit.campaign_id, visit.household_id)
    audit.record(
        opener, "rectification.open", "rectification", str(item.id), item.area_path,
        visit_id=str(visit.id), campaign_id=visit.campaign_id, phase=visit.phase, **details,
    )  # fmt: skip
    return item


def open_from_checks(visit_id: str) -> list[RectificationItem]:
    """Open one item per failed blocking check code of the visit; returns the items this call opened.

    Idempotent: running it again (a re-run check job) opens nothing more. Meant for the check job.
    """
    visit = Visit.objects(id=visit_id).first()
    if visit is None:
        raise LookupError(f"visit {visit_id} not found")
    failed: dict[str, list[dict]] = {}
    for check in visit.checks or []:
        if not check.get("passed") and check.get("severity") == "error":
            failed.setdefault(check["code"], []).append(check)
    opened = []
    for code, checks in failed.items():
        details = "; ".join(
            (f"[{c['slot']}] " if c.get("slot") else "") + (c.get("detail") or "") for c in checks
        )
        item = _new_item(
            f"check:{visit_id}:{code}", visit, "check", code, f"自动核查未通过 {code}: {details}", SYSTEM
        )
        if not _open_once(item):
            continue  # opened by an earlier run
        item = RectificationItem.objects.get(key=item.key)
        opened.append(_opened(item, visit, SYSTEM, source="check", code=code))
    return opened


def open_from_review(visit: Visit, principal: Principal) -> RectificationItem | None:
    """The item a verifier's rejection or revisit request puts on the ledger (None for approvals)."""
    review = visit.review or {}
    decision = review.get("decision")
    if decision not in DECISION_LABELS:
        return None
    lines = [f"{DECISION_LABELS[decision]}: {review.get('comment') or ''}".strip()]
    lines += [f"[{slot}] {text}" for slot, text in sorted((review.get("slot_comments") or {}).items())]
    item = _new_item(f"review:{visit.id}", visit, "review", decision, "\n".join(lines), principal)
    inserted = _open_once(item)
    item = RectificationItem.objects(key=item.key).first()
    if inserted:
        _opened(item, visit, principal, source="review", code=decision)
    return item


def resolve_responsible(principal: Principal, who: str) -> User:
    """A user named by id or username, inside the caller's areas."""
    user = find_user(who)
    if user is None or not principal.covers(user.area_paths):
        raise ValidationFailed(errors={"responsible": [f"用户 {who} 不存在 Unknown user"]})
    return user


def _apply_responsible(principal: Principal, item: RectificationItem, data: dict) -> None:
    if data.get("responsible"):
        user = resolve_responsible(principal, data["responsible"])
        item.responsible_id, item.responsible = str(user.id), user.display_name or user.username
    elif data.get("responsible_name"):
        item.responsible_id, item.responsible = None, data["responsible_name"]


def _visit_of(visit_id: str, household_id: str) -> bool:
    return ObjectId.is_valid(visit_id) and Visit.objects(id=visit_id, household_id=household_id).count() > 0


def create_item(principal: Principal, data: dict) -> RectificationItem:
    """A problem someone found by hand (e.g. in a mutual check, 互查); due by default at the end of the
    campaign's rectification phase, else after the configured months."""
    principal.require("rectification.write")
    household = households.get_household(principal, data["household_id"])
    visit_id = data.get("visit_id")
    if visit_id and not _visit_of(visit_id, str(household.id)):
        raise ValidationFailed(errors={"visit_id": ["不是该户的走访 Not a visit of this household"]})
    visit = Visit.objects(id=visit_id).only("campaign_id", "phase", "team").first() if visit_id else None
    stamp = now()
    tag = (
        CampaignTag(visit.campaign_id, visit.phase, visit.team)
        if visit is not None and visit.campaign_id
        else campaign_tag(household.area_path, str(household.id), principal.user_id, stamp)
    )
    item = RectificationItem(
        key=f"manual:{uuid.uuid4().hex}",
        area_path=household.area_path,
        household_id=str(household.id),
        household_number=household.number,
        visit_id=visit_id,
        campaign_id=tag.campaign_id if tag else None,
        phase=tag.phase if tag else None,
        source="manual",
        problem=data["problem"],
        measure=data.get("measure"),
        deadline=data.get("deadline")
        or deadlines.default_deadline(tag.campaign_id if tag else None, deadlines.today()),
        status="open",
        created_by=principal.username,
        created_by_id=principal.user_id,
        created_by_role=principal.role,
        created_at=stamp,
        updated_at=stamp,
    )
    item.responsible_id, item.responsible = _default_responsible(household, None)
    _apply_responsible(principal, item, data)
    item.save()
    if tag is not None and tag.team is not None:
        progress.note_problem(tag.campaign_id, str(household.id))
    audit.record(
        principal, "rectification.open", "rectification", str(item.id), item.area_path,
        source="manual", campaign_id=item.campaign_id, phase=item.phase,
    )  # fmt: skip
    return item


def is_responsible(principal: Principal, item: RectificationItem) -> bool:
    return bool(item.responsible_id) and item.responsible_id == principal.user_id


def may_close(principal: Principal, item: RectificationItem) -> bool:
    """Whoever opened the item closes it, or someone of the opener's level or above (谁签字谁负责)."""
    if not principal.can("rectification.write"):
        return False
    if item.created_by_id and item.created_by_id == principal.user_id:
        return True
    opener = item.created_by_role if item.created_by_role in ROLES else SYSTEM_OPENER_ROLE
    return ROLES.index(principal.role) >= ROLES.index(opener)


def open_item_for_follow_up(
    principal: Principal, item_id: str, changing: set[str] = frozenset()
) -> RectificationItem:
    """The open item, if the caller may follow it up: the ledger's keepers, or its responsible cadre for
    the measure and evidence only. 409 once closed."""
    item = get_item(principal, item_id)
    if not principal.can("rectification.write"):
        if not is_responsible(principal, item):
            raise Forbidden("只有整改责任人可以更新 Only the person responsible may update this item")
        if changing - RESPONSIBLE_MAY_CHANGE:
            raise Forbidden(
                "整改责任人只能填写整改措施和佐证 The person responsible sets only the measure and evidence",
                fields=sorted(changing - RESPONSIBLE_MAY_CHANGE),
            )
    if item.status == "closed":
        raise InvalidTransition("整改事项已销号 Item already closed", status=item.status)
    return item


def update_item(principal: Principal, item_id: str, changes: dict) -> RectificationItem:
    """Set measure, deadline or responsible person; `status: closed` with a note closes it (销号)."""
    item = open_item_for_follow_up(principal, item_id, set(changes) - {"close_note"})
    closing = changes.get("status") == "closed"
    if closing:
        if not may_close(principal, item):
            raise Forbidden(
                "只有开具人或同级以上人员可以销号 Only the opener or someone of their level may close it",
                opened_by=item.created_by,
            )
        if not (changes.get("close_note") or "").strip():
            raise ValidationFailed(errors={"close_note": ["销号须填写说明 A note is required to close"]})
        if not item.evidence:
            raise ValidationFailed(
                errors={"evidence": ["销号须有整改佐证（复查走访或材料照片）Evidence is required to close"]}
            )
    _apply_responsible(principal, item, changes)
    for name in ("measure", "deadline"):
        if name in changes:
            setattr(item, name, changes[name])
    stamp = now()
    if closing:
        item.status, item.close_note = "closed", changes["close_note"].strip()
        item.closed_at, item.closed_by, item.closed_by_id = stamp, principal.username, principal.user_id
    item.updated_at = stamp
    # A conditional write: two people closing the same item at once cannot both succeed.
    updated = RectificationItem.objects(id=item.id, status="open").update_one(
        **{f"set__{name}": getattr(item, name) for name in _WRITABLE}
    )
    if not updated:
        raise InvalidTransition("整改事项已销号 Item already closed", status="closed")
    audit.record(
        principal,
        "rectification.close" if closing else "rectification.update",
        "rectification",
        str(item.id),
        item.area_path,
        fields=sorted(k for k in changes if k != "close_note"),
    )
    return item
