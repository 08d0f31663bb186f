"""Assess a household from a visit's answers, as far as its form's role says the form contributes."""

from __future__ import annotations

import contextlib

from app.forms.assessment_rules import AssessmentUnavailable, assess
from app.forms.conditions import resolve
from app.forms.version import FormVersion
from app.households.models import Household
from app.visits.models import Visit

NOT_ASSESSED = {"indicators": [], "all_passed": None}


def assess_visit(form: FormVersion, visit: Visit, household: Household | None) -> dict:
    """The form's assessment (两不愁三保障, drinking water, income) for the visit's year and area, when
    the form contributes to the assessment, and the satisfaction answer, when it contributes to the
    satisfaction rate (a satisfaction survey has only the latter)."""
    role = form.role
    result = dict(NOT_ASSESSED)
    if "assessment" in role.contributes:
        area_code = household.village_code if household else (visit.area_path[-1] if visit.area_path else "")
        with contextlib.suppress(AssessmentUnavailable):
            result = assess(form, visit.answers, year=visit.started_at.year, area_code=area_code).to_dict()
    answer = resolve(role.satisfaction_field, visit.answers) if role.satisfaction_field else None
    return result | {"satisfaction": answer if isinstance(answer, str) else None}
