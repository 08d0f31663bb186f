"""The household's verification status: the one place it changes, following its visits.

A household follows its latest visit. A submitted visit becomes the latest one; its checks and the
verifier's decision then move the household only while that visit is still the latest (an older visit's
outcome no longer speaks for the household). Each move is a conditional update on the status that was
read, retried when a concurrent move got there first.
"""

from __future__ import annotations

import logging
from datetime import datetime

from app.errors import InvalidTransition
from app.households.models import Household

# event -> {from_status: to_status}
TRANSITIONS: dict[str, dict[str, str]] = {
    "visit_submitted": {
        s: "visit_submitted"
        for s in (
            "registered",
            "visit_submitted",
            "checked",
            "has_issues",
            "revisit_requested",
            "rejected",
            "verified",
        )
    },
    "visit_checked": {"visit_submitted": "checked", "checked": "checked", "has_issues": "checked"},
    "visit_has_issues": {
        "visit_submitted": "has_issues",
        "checked": "has_issues",
        "has_issues": "has_issues",
    },
    "visit_approved": {"checked": "verified", "has_issues": "verified"},
    "visit_rejected": {"checked": "rejected", "has_issues": "rejected"},
    "revisit_requested": {"checked": "revisit_requested", "has_issues": "revisit_requested"},
}

# the visit state a household follows -> the household event it causes
VISIT_EVENTS = {
    "submitted": "visit_submitted",
    "checked": "visit_checked",
    "has_issues": "visit_has_issues",
    "approved": "visit_approved",
    "rejected": "visit_rejected",
    "revisit_requested": "revisit_requested",
}
ATTEMPTS = 5
log = logging.getLogger(__name__)


def next_status(current: str, event: str) -> str:
    """The status after `event`, or InvalidTransition when the event is not allowed from `current`."""
    try:
        return TRANSITIONS[event][current]
    except KeyError:
        raise InvalidTransition(
            f"住户状态 {current} 不能发生 {event} Household in {current} cannot take {event}",
            current=current,
            event=event,
        ) from None


def follow_visit(
    household_id: str, visit_id: str, visit_state: str, assessment: dict, at: datetime
) -> str | None:
    """Move the household after its visit reached `visit_state`; returns the new status, or None when the
    visit no longer speaks for the household (a newer visit was submitted) or the state moves nothing."""
    event = VISIT_EVENTS.get(visit_state)
    if event is None:
        return None
    for _ in range(ATTEMPTS):
        household = Household.objects(id=household_id).only("status", "latest_visit_id").first()
        if household is None:
            return None
        latest = event == "visit_submitted" or household.latest_visit_id == visit_id
        if not latest:
            return None
        if household.status not in TRANSITIONS[event]:
            # the visit has already moved; a household out of step is logged, not a reason to fail it
            log.warning("household %s in %s cannot take %s", household_id, household.status, event)
            return None
        status = TRANSITIONS[event][household.status]
        changes = {"set__status": status, "set__updated_at": at}
        if event == "visit_submitted":
            changes["set__latest_visit_id"] = visit_id
        elif event in ("visit_checked", "visit_has_issues"):
            changes["set__latest_assessment"] = assessment
        elif event == "visit_approved":
            changes |= {"set__verified_visit_id": visit_id, "set__latest_assessment": assessment}
        seen = {"status": household.status, "latest_visit_id": household.latest_visit_id}
        if Household.objects(id=household_id, **seen).update_one(**changes):
            return status
    log.warning("household %s kept changing; visit %s did not move it", household_id, visit_id)
    return None
