"""The visit state machine, in one place.

receiving → submitted → checked | has_issues → approved | rejected | revisit_requested
Until it is decided, a visit may be replaced by an edited version of itself (an ODK Collect edit, which
names it as `deprecatedID`): it becomes `superseded`, a final state, and the edit carries on.
"""

from __future__ import annotations

from app.errors import AlreadyDecided, InvalidTransition

STATES = (
    "receiving",
    "submitted",
    "checked",
    "has_issues",
    "approved",
    "rejected",
    "revisit_requested",
    "superseded",
)
DECIDED = ("approved", "rejected", "revisit_requested")
FINAL = (*DECIDED, "superseded")
REVIEWABLE = ("checked", "has_issues")

ALLOWED: dict[str, tuple[str, ...]] = {
    "receiving": ("submitted", "superseded"),
    "submitted": ("checked", "has_issues", "superseded"),
    # re-running the checks (e.g. after an operator re-runs a job) may change the verdict
    "checked": ("checked", "has_issues", *DECIDED, "superseded"),
    "has_issues": ("checked", "has_issues", *DECIDED, "superseded"),
    "approved": (),
    "rejected": (),
    "revisit_requested": (),
    "superseded": (),
}


def require_transition(current: str, target: str) -> None:
    if target in ALLOWED.get(current, ()):
        return
    if current in DECIDED:
        raise AlreadyDecided(state=current)
    raise InvalidTransition(
        f"走访状态 {current} 不能变为 {target} Visit in {current} cannot become {target}",
        current=current,
        target=target,
    )
