"""What a household, and each change of its poverty status, adds to the report counters of its areas.

Pure functions of raw documents (app/tallies counts them; the report reads the sums).
"""

from __future__ import annotations

from app.households.models import EXITED, TERMINAL
from app.tallies.kinds import Kind, Tally

RECORD = ("record_matches", "member_count_matches")  # 二核对: the record and the family size match
SATISFIED = ("satisfied", "basically_satisfied")
ANSWERS = (*SATISFIED, "dissatisfied")


def household_tally(doc: dict) -> Tally:
    """户数, 已走访, 帮扶责任人, the latest assessment and satisfaction answer, and the poverty status.
    Households removed (清退) or dissolved (自然减员) are off the books: only their status is counted."""
    status = doc.get("poverty_status") or "poor"
    assessment = doc.get("latest_assessment") or {}
    tally = {f"poverty__{status}": 1}
    verified = doc.get("verified_record") or {}
    if verified.get("assessed"):
        answered = all(isinstance(verified.get(k), bool) for k in RECORD)
        tally |= {
            "verified": 1,
            "record_answered": int(answered),
            "record_confirmed": int(answered and all(verified[k] for k in RECORD)),
        }
    if status in EXITED and doc.get("verified_visit_id"):
        tally |= {"exit_verified": 1, "exit_standard_met": int(assessment.get("all_passed") is True)}
    if status in TERMINAL:
        return tally
    answer = (doc.get("satisfaction") or {}).get("answer")
    tally |= {
        "households": 1,
        "visited": int(bool(doc.get("latest_visit_id"))),
        "with_helper": int(bool(doc.get("helper_id"))),
        "below_income_threshold": int(assessment.get("income_passed") is False),
        "satisfied": int(answer in SATISFIED),
        "satisfaction_responses": int(answer in ANSWERS),
        "assessed": int(bool(assessment.get("indicators"))),
    }
    for indicator in assessment.get("indicators") or []:
        tally[f"assessed__{indicator['code']}"] = 1
        tally[f"passed__{indicator['code']}"] = int(indicator.get("passed") is True)
    return tally


def poverty_event_tally(doc: dict) -> Tally:
    """One change of poverty status (or one 即时帮扶), counted in the year it was recorded."""
    return {f"event__{doc['event']}__{doc['year']}": 1}


HOUSEHOLDS = Kind(
    "household",
    "households",
    household_tally,
    (
        "latest_assessment",
        "latest_visit_id",
        "helper_id",
        "satisfaction",
        "poverty_status",
        "verified_visit_id",
        "verified_record",
    ),
)
POVERTY_EVENTS = Kind(
    "poverty_event", "poverty_events", poverty_event_tally, ("event", "year"), changed_at="at"
)
