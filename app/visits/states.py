"""The visit state machine, in one place.

receiving → submitted → checked | has_issues → in_review (one level signed, the next one waits)
→ approved (the last required level signed) | rejected | revisit_requested (by any level).
A city re-check may confirm an approval (approved → approved) or overturn it (→ rejected |
revisit_requested). Which level a visit waits for is its `review_level` (app/review/chains.py).
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
)
DECIDED = ("approved", "rejected", "revisit_requested")
REVIEWABLE = ("checked", "has_issues")  # waiting for the first level of the chain
PENDING_REVIEW = (*REVIEWABLE, "in_review")  # waiting for some level's sign-off
CHECKED_OR_LATER = (*PENDING_REVIEW, *DECIDED)  # the automatic checks are done
SENT_BACK = ("rejected", "revisit_requested")

ALLOWED: dict[str, tuple[str, ...]] = {
    "receiving": ("submitted",),
    "submitted": ("checked", "has_issues"),
    # re-running the checks (e.g. after an operator re-runs a job) may change the verdict
    "checked": ("checked", "has_issues", "in_review", *DECIDED),
    "has_issues": ("checked", "has_issues", "in_review", *DECIDED),
    "in_review": ("in_review", *DECIDED),  # in_review → in_review: a middle level signed
    "approved": ("approved", *SENT_BACK),  # only a re-check level acts on an approved visit
    "rejected": (),
    "revisit_requested": (),
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
