"""Run every automatic check on a visit and decide its next state. Pure domain: no Flask, no queue."""

from __future__ import annotations

from app.checks.evidence import (
    ERROR,
    Check,
    CheckPolicy,
    blocking_failures,
    capture_place,
    capture_time,
    duplicates_within,
    evidence_complete,
    reuse_elsewhere,
)
from app.errors import ValidationFailed
from app.forms.answers import validate_answers
from app.households.models import Household
from app.visits.models import Attachment, Visit


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
    photos = sorted((a for a in attachments.values() if a.kind == "photo"), key=lambda a: a.slot)
    signatures = sorted((a for a in attachments.values() if a.kind == "signature"), key=lambda a: a.slot)
    home = (household.lat, household.lon) if household.lat is not None and household.lon is not None else None
    return [
        *answers_valid(form, visit),
        *evidence_complete(visit, attachments),
        *capture_time(visit, photos, policy),
        *capture_place(visit, photos, home, policy),
        *duplicates_within(photos, "photo_duplicate_in_visit", policy, "照片"),
        *reuse_elsewhere(visit, photos, policy, code="photo_reuse", kind="photo", near_severity=ERROR),
        *duplicates_within(signatures, "signature_distinct", policy, "签名"),
        # A real signer's strokes look alike from one visit to the next, so a near match elsewhere is
        # only a warning; the identical file is a copy.
        *reuse_elsewhere(
            visit, signatures, policy, code="signature_reuse", kind="signature", near_severity="warning"
        ),
    ]


def verdict(checks: list[Check]) -> str:
    return "has_issues" if blocking_failures(checks) else "checked"
