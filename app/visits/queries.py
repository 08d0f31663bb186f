"""Find visits within the caller's areas."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from app.auth.principal import Principal
from app.visits.models import Visit
from app.visits.states import SENT_BACK


def visible_visits(
    principal: Principal,
    *,
    household_id: str | None = None,
    area: str | None = None,
    state: str | None = None,
    since: datetime | None = None,
    cadre_id: str | None = None,
):
    principal.require("visits.read")
    query = Visit.objects(principal.scope())
    if household_id:
        query = query.filter(household_id=household_id)
    if area:
        query = query.in_area(area)
    if state:
        query = query.filter(state=state)
    if since:
        query = query.filter(updated_at__gte=since)
    if cadre_id:
        query = query.filter(cadre_id=cadre_id)
    return query.order_by("-created_at")


def latest_states(principal: Principal, visit_ids: list[str]) -> dict[str, Visit]:
    """The visits with these ids (a page of households' latest visits) in one query: state and review."""
    principal.require("visits.read")
    ids = [i for i in visit_ids if i and ObjectId.is_valid(i)]
    query = Visit.objects(id__in=ids).only("state", "review", "submitted_at", "area_path")
    return {str(v.id): v for v in query if principal.covers(v.area_path)}  # by _id, then the scope


def sent_back(principal: Principal, *, area: str | None = None):
    """Visits a verifier rejected or sent back for a revisit, most recently decided first (cadres)."""
    principal.require("visits.read")
    query = Visit.objects(principal.scope()).filter(state__in=list(SENT_BACK))
    if area:
        query = query.in_area(area)
    return query.order_by("-decided_at")


def get_visit(principal: Principal, visit_id: str) -> Visit:
    """The visit if the caller may see it; another area's visit is reported as missing (404)."""
    principal.require("visits.read")
    visit = Visit.objects(id=visit_id).first() if ObjectId.is_valid(visit_id) else None
    return principal.check_visible(visit)
