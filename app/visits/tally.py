"""What a visit adds to the report counters of its areas: waiting for review, approved, sent back."""

from __future__ import annotations

from app.tallies.kinds import Kind, Tally
from app.visits.states import PENDING_REVIEW, SENT_BACK


def visit_tally(doc: dict) -> Tally:
    state = doc.get("state")
    return {
        "pending_review": int(state in PENDING_REVIEW),
        "approved": int(state == "approved"),
        "sent_back": int(state in SENT_BACK),
    }


VISITS = Kind("visit", "visits", visit_tally, ("state",))
