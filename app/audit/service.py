"""Write and read the audit log. Every decision the product takes or records goes through `record`."""

from __future__ import annotations

from datetime import datetime

from app.area_codes import county_code
from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.clock import now


def record(
    actor: Principal,
    action: str,
    object_type: str,
    object_id: str | None,
    area_path: list[str] | None = None,
    **details,
) -> AuditEvent:
    event = AuditEvent(
        at=now(),
        actor_id=actor.user_id,
        actor=actor.username,
        role=actor.role,
        action=action,
        object_type=object_type,
        object_id=object_id,
        area_path=list(area_path or []),
        county_code=county_code(area_path or []),
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:200] or None,
        details=details,
    )
    event.save()
    return event


def search(
    principal: Principal,
    *,
    area: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    action: str | None = None,
    object_id: str | None = None,
):
    principal.require("audit.read")
    query = AuditEvent.objects(principal.scope())
    if area:
        query = query.filter(area_path=area)
    if actor:
        query = query.filter(actor=actor)
    if since:
        query = query.filter(at__gte=since)
    if action:
        query = query.filter(action=action)
    if object_id:
        query = query.filter(object_id=object_id)
    return query.order_by("-at")
