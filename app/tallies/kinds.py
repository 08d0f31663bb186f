"""What one stored document adds to the counters of its areas: its tally, computed from the document alone.

Pure functions of raw MongoDB documents (no Flask, no models), so that the counters, the reconcile command
and the tests all use the same definitions. The report (app/reports/verification.py) turns these raw counts
into its figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SATISFIED = ("satisfied", "basically_satisfied")
ANSWERS = (*SATISFIED, "dissatisfied")
REVIEWABLE = ("checked", "has_issues")
SENT_BACK = ("rejected", "revisit_requested")

Tally = dict[str, int]


def household_tally(doc: dict) -> Tally:
    """户数, 已走访, 帮扶责任人, and what the household's latest assessment says."""
    assessment = doc.get("latest_assessment") or {}
    tally = {
        "households": 1,
        "visited": int(bool(doc.get("latest_visit_id"))),
        "with_helper": int(bool(doc.get("helper_id"))),
        "below_income_threshold": int(assessment.get("income_passed") is False),
        "satisfied": int(assessment.get("satisfaction") in SATISFIED),
        "satisfaction_responses": int(assessment.get("satisfaction") in ANSWERS),
        "assessed": int(bool(assessment.get("indicators"))),
    }
    for indicator in assessment.get("indicators") or []:
        tally[f"assessed__{indicator['code']}"] = 1
        tally[f"passed__{indicator['code']}"] = int(indicator.get("passed") is True)
    return tally


def visit_tally(doc: dict) -> Tally:
    """Visits waiting for review, approved, sent back."""
    state = doc.get("state")
    return {
        "pending_review": int(state in REVIEWABLE),
        "approved": int(state == "approved"),
        "sent_back": int(state in SENT_BACK),
    }


def item_tally(doc: dict) -> Tally:
    """Rectification-ledger items open and closed."""
    status = doc.get("status")
    return {"problems_open": int(status == "open"), "problems_closed": int(status == "closed")}


@dataclass(frozen=True)
class Kind:
    """A collection whose documents are counted: its name and how one document is tallied."""

    name: str
    collection: str
    tally: Callable[[dict], Tally]
    fields: tuple[str, ...]  # what `tally` reads (besides area_path)


HOUSEHOLDS = Kind(
    "household", "households", household_tally, ("latest_assessment", "latest_visit_id", "helper_id")
)
VISITS = Kind("visit", "visits", visit_tally, ("state",))
ITEMS = Kind("item", "rectifications", item_tally, ("status",))
KINDS = (HOUSEHOLDS, VISITS, ITEMS)


def nonzero(tally: Tally) -> Tally:
    return {k: v for k, v in tally.items() if v}


def difference(new: Tally, old: Tally) -> Tally:
    """new - old, without the keys that did not change."""
    return {
        k: new.get(k, 0) - old.get(k, 0) for k in new.keys() | old.keys() if new.get(k, 0) != old.get(k, 0)
    }
