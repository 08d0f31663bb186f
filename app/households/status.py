"""The household verification state machine: the only place household status may change."""

from __future__ import annotations

from app.errors import InvalidTransition

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
