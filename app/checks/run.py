"""Run every automatic check on a visit and decide its next state. Pure domain: no Flask, no queue."""

from __future__ import annotations

from app.checks.evidence import (
    ERROR,
    Check,
    blocking_failures,
    capture_device,
    capture_place,
    capture_time,
    duplicates_within,
    evidence_complete,
)
from app.checks.plausibility import location_accuracy, overlapping_visits, travel_speed, visit_duration
from app.checks.policy import CheckPolicy
from app.checks.reuse import reuse_checks
from app.errors import ValidationFailed
from app.forms.answers import validate_answers
from app.households.models import Household
from app.visits.models import Attachment, Visit
from app.visits.revisions import revision_chain


def answers_valid(form, visit: Visit) -> list[Check]:
    try:
        validate_answers(form, visit.answers)
    except ValidationFailed as err:
        return [
            Check(
                "answers_valid",
                False,
                ERROR,
                "表单答案未通过校验 Answers do not validate",
                data={"errors": err.details.get("errors")},
            )
        ]
    return [Check("answers_valid", True, "info", f"表单答案有效 ({visit.form_id} v{visit.form_version})")]


def run_checks(
    form, visit: Visit, household: Household, attachments: dict[str, Attachment], policy: CheckPolicy
) -> list[Check]:
    policy = policy.for_form(visit.form_id)
    photos = sorted((a for a in attachments.values() if a.kind == "photo"), key=lambda a: a.slot)
    signatures = sorted((a for a in attachments.values() if a.kind == "signature"), key=lambda a: a.slot)
    home = (household.lat, household.lon) if household.lat is not None and household.lon is not None else None
    visit_id = str(visit.id)
    corrections = tuple(str(v.id) for v in revision_chain(visit)) if visit.revises or visit.revised_by else ()
    return [
        *answers_valid(form, visit),
        *evidence_complete(visit, attachments),
        *capture_time(visit, photos, policy),
        *capture_place(visit, photos, home, policy),
        *capture_device(photos, policy),
        *visit_duration(visit, policy),
        *location_accuracy(visit, policy),
        *overlapping_visits(visit),
        *travel_speed(visit, policy),
        *duplicates_within(photos, "photo_duplicate_in_visit", policy, "照片"),
        # the household's own earlier photos may show the same rooms: only other households are searched
        *reuse_checks(visit_id, photos, code="photo_reuse", exclude_household=True),
        *duplicates_within(signatures, "signature_distinct", policy, "签名"),
        # one person's genuine signatures differ stroke by stroke; only a copy of one image is flagged
        *reuse_checks(
            visit_id, signatures, code="signature_reuse", exclude_household=False, exclude_visits=corrections
        ),
    ]


def verdict(checks: list[Check]) -> str:
    return "has_issues" if blocking_failures(checks) else "checked"
