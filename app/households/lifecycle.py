"""The household's verification status and satisfaction answer: the one place they change, following
its visits.

A household follows its latest visit of a form that moves it (the form's settings say which: the
verification visit does, the satisfaction survey does not). A submitted visit of such a form becomes
the latest one; its checks and the reviewers' sign-offs then move the household only while that visit
is still the latest (an older visit's outcome no longer speaks for the household). Only forms that
contribute to the assessment replace the household's assessment. Forms that contribute to the
satisfaction rate record the household's latest satisfaction answer, whatever else they do. Each move
is a conditional update on what was read, retried when a concurrent move got there first.

The poverty status (脱贫户, 监测对象, ...) is another dimension, owned by app.households.poverty.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from mongoengine import Q

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
    # `verified` → `verified`: a city re-check confirmed the approval
    "visit_approved": {"checked": "verified", "has_issues": "verified", "verified": "verified"},
    # from `verified`: a city re-check overturned the approval
    "visit_rejected": {"checked": "rejected", "has_issues": "rejected", "verified": "rejected"},
    "revisit_requested": {
        "checked": "revisit_requested",
        "has_issues": "revisit_requested",
        "verified": "revisit_requested",
    },
}

# the visit state a household follows -> the household event it causes (in_review moves nothing: the
# household waits, checked or has_issues, until the last level signs)
VISIT_EVENTS = {
    "submitted": "visit_submitted",
    "checked": "visit_checked",
    "has_issues": "visit_has_issues",
    "approved": "visit_approved",
    "rejected": "visit_rejected",
    "revisit_requested": "revisit_requested",
}
# the verification status a visit in each state leaves its household in while it is the latest visit
STATUS_OF_VISIT = {
    "submitted": "visit_submitted",
    "checked": "checked",
    "has_issues": "has_issues",
    "approved": "verified",
    "rejected": "rejected",
    "revisit_requested": "revisit_requested",
}
# what a visit recorded before forms declared their roles did: everything
LEGACY_ROLE = {"contributes": ["assessment", "satisfaction"], "moves_household": True}
SATISFACTION_STATES = ("checked", "has_issues")
ATTEMPTS = 5
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VisitFacts:
    """What the household needs to know about one of its visits (no visit model here: visits import
    households, not the other way round)."""

    household_id: str
    visit_id: str
    state: str
    assessment: dict
    answered_at: datetime | None = None
    role: dict = field(default_factory=dict)
    area_path: list[str] = field(default_factory=list)

    @property
    def moves_household(self) -> bool:
        return (self.role or LEGACY_ROLE).get("moves_household", True)

    def contributes(self, what: str) -> bool:
        return what in (self.role or LEGACY_ROLE).get("contributes", [])


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


def follow_visit(visit: VisitFacts, at: datetime) -> str | None:
    """Move the household after its visit reached `visit.state`; returns the new verification status,
    or None when the visit does not move it (its form does not, or a newer visit speaks for it)."""
    if visit.contributes("satisfaction") and visit.state in SATISFACTION_STATES:
        record_satisfaction(visit)
    if not visit.moves_household:
        return None
    return _follow(visit, at)


def record_satisfaction(visit: VisitFacts) -> bool:
    """Keep the household's latest satisfaction answer (by when it was given); True when it changed."""
    answer = (visit.assessment or {}).get("satisfaction")
    if not answer:
        return False
    value = {"answer": answer, "visit_id": visit.visit_id, "at": visit.answered_at}
    newer = Q(satisfaction__at__lt=visit.answered_at) | Q(satisfaction__at=None)
    same = Q(satisfaction__visit_id=visit.visit_id)
    return bool(
        Household.objects(Q(id=visit.household_id) & (newer | same)).update_one(set__satisfaction=value)
    )


def _follow(visit: VisitFacts, at: datetime) -> str | None:
    event = VISIT_EVENTS.get(visit.state)
    if event is None:
        return None
    for _ in range(ATTEMPTS):
        household = Household.objects(id=visit.household_id).only("status", "latest_visit_id").first()
        if household is None:
            return None
        latest = event == "visit_submitted" or household.latest_visit_id == visit.visit_id
        if not latest:
            return None
        if household.status not in TRANSITIONS[event]:
            # the visit has already moved; a household out of step is logged, not a reason to fail it
            log.warning("household %s in %s cannot take %s", visit.household_id, household.status, event)
            return None
        status = TRANSITIONS[event][household.status]
        changes = {"set__status": status, "set__updated_at": at}
        assessed = visit.contributes("assessment")
        if event == "visit_submitted":
            changes["set__latest_visit_id"] = visit.visit_id
        elif event in ("visit_checked", "visit_has_issues") and assessed:
            changes["set__latest_assessment"] = visit.assessment
        elif event == "visit_approved":
            changes["set__verified_visit_id"] = visit.visit_id
            if assessed:
                changes["set__latest_assessment"] = visit.assessment
        seen = {"status": household.status, "latest_visit_id": household.latest_visit_id}
        if Household.objects(id=visit.household_id, **seen).update_one(**changes):
            return status
    log.warning("household %s kept changing; visit %s did not move it", visit.household_id, visit.visit_id)
    return None
