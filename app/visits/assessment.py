"""Assess a household from a visit's answers using the rules its form version declares."""

from __future__ import annotations

from app.forms.assessment import assess
from app.households.models import Household
from app.visits.models import Visit


def assess_visit(form, visit: Visit, household: Household | None) -> dict:
    """The form's assessment (两不愁三保障, drinking water, income) for the visit's year and area."""
    area_code = household.village_code if household else (visit.area_path[-1] if visit.area_path else "")
    result = assess(form, visit.answers, year=visit.started_at.year, area_code=area_code)
    return result.to_dict() if hasattr(result, "to_dict") else dict(result)
