"""Find visits within the caller's areas."""

from __future__ import annotations

from datetime import datetime

from bson import ObjectId

from app.auth.principal import Principal
from app.visits.models import Visit


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


def get_visit(principal: Principal, visit_id: str) -> Visit:
    """The visit if the caller may see it; another area's visit is reported as missing (404)."""
    principal.require("visits.read")
    visit = Visit.objects(id=visit_id).first() if ObjectId.is_valid(visit_id) else None
    return principal.check_visible(visit)
