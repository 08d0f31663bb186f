"""Assess a household from a visit's answers using the rules its form version declares."""

from __future__ import annotations

from app.forms.assessment_rules import AssessmentUnavailable, assess
from app.forms.conditions import resolve
from app.households.models import Household
from app.visits.models import Visit

# Where the household's satisfaction (满意度) is answered, for the reports' satisfaction rate.
SATISFACTION_FIELD = "talk.satisfaction"


def assess_visit(form, visit: Visit, household: Household | None) -> dict:
    """The form's assessment (两不愁三保障, drinking water, income) for the visit's year and area."""
    area_code = household.village_code if household else (visit.area_path[-1] if visit.area_path else "")
    try:
        result = assess(form, visit.answers, year=visit.started_at.year, area_code=area_code).to_dict()
    except AssessmentUnavailable:
        result = {"indicators": [], "all_passed": None}
    satisfaction = resolve(SATISFACTION_FIELD, visit.answers)
    return result | {"satisfaction": satisfaction if isinstance(satisfaction, str) else None}
