"""The visit state machine, in one place.

receiving → submitted → checked | has_issues → in_review (one level signed, the next one waits)
→ approved (the last required level signed) | rejected | revisit_requested (by any level).
A city re-check may confirm an approval (approved → approved) or overturn it (→ rejected |
revisit_requested). Which level a visit waits for is its `review_level` (app/review/chains.py).
Until a level has signed it, a visit may be replaced by an edited version of itself (an ODK Collect
edit, which names it as `deprecatedID`): it becomes `superseded`, a final state, and the edit carries on.
"""

from __future__ import annotations

from app.errors import AlreadyDecided, InvalidTransition

STATES = (
    "receiving",
    "submitted",
    "checked",
    "has_issues",
    "in_review",
    "approved",
    "rejected",
    "revisit_requested",
    "superseded",
)
DECIDED = ("approved", "rejected", "revisit_requested")
FINAL = (*DECIDED, "superseded")
SIGNED = ("in_review", *DECIDED)  # some level has signed: the visit is never rewritten
REVIEWABLE = ("checked", "has_issues")  # waiting for the first level of the chain
PENDING_REVIEW = (*REVIEWABLE, "in_review")  # waiting for some level's sign-off
CHECKED_OR_LATER = (*PENDING_REVIEW, *DECIDED)  # the automatic checks are done
SENT_BACK = ("rejected", "revisit_requested")

ALLOWED: dict[str, tuple[str, ...]] = {
    "receiving": ("submitted", "superseded"),
    "submitted": ("checked", "has_issues", "superseded"),
    # re-running the checks (e.g. after an operator re-runs a job) may change the verdict
    "checked": ("checked", "has_issues", "in_review", *DECIDED, "superseded"),
    "has_issues": ("checked", "has_issues", "in_review", *DECIDED, "superseded"),
    "in_review": ("in_review", *DECIDED),  # in_review → in_review: a middle level signed
    "approved": ("approved", *SENT_BACK),  # only a re-check level acts on an approved visit
    "rejected": (),
    "revisit_requested": (),
    "superseded": (),
}


def require_transition(current: str, target: str) -> None:
    """Raise AlreadyDecided or InvalidTransition (both 409) unless the machine allows current → target."""
    if target in ALLOWED.get(current, ()):
        return
    if current in DECIDED:
        raise AlreadyDecided(state=current)
    raise InvalidTransition(
        f"走访状态 {current} 不能变为 {target} Visit in {current} cannot become {target}",
        current=current,
        target=target,
    )
