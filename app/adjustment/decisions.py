"""Explicit decisions on a household's poverty status, and 即时帮扶 for monitored households.

Who decides: supervisors (县/市扶贫办) and admins; who records assistance: the cadres, verifiers and
supervisors who deliver it. Every decision names why and on what evidence. 脱贫 (lift_out) needs an
approved verification visit whose assessment passed (入户验收); any visit cited must be the household's.
The identification events (nominate, identify, decline) are taken only by app.adjustment.identification.
"""

from __future__ import annotations

from bson import ObjectId

from app.auth.principal import Principal
from app.errors import ValidationFailed
from app.households import poverty
from app.households.models import PovertyEvent
from app.households.service import get_household
from app.visits.models import Visit


def decide(
    principal: Principal,
    household_id: str,
    event: str,
    reason: str,
    *,
    to: str | None = None,
    evidence: dict | None = None,
) -> PovertyEvent:
    """Take `event` for the household (e.g. lift_out to lifted_supported); returns the recorded change."""
    principal.require("poverty.decide")
    household = get_household(principal, household_id)
    spec = poverty.EVENTS.get(event)
    if spec is not None and spec.procedure:
        raise ValidationFailed(errors={"event": [f"{spec.label}须经识别程序 Taken through identification"]})
    evidence = dict(evidence or {})
    _check_evidence(str(household.id), event, evidence)
    return poverty.change(household, event, principal, reason=reason, evidence=evidence, to=to)


def record_assistance(
    principal: Principal, household_id: str, measures: str, evidence: dict | None = None
) -> PovertyEvent:
    """Record 即时帮扶 given to a monitored household."""
    principal.require("poverty.assist")
    household = get_household(principal, household_id)
    return poverty.assist(household, principal, measures=measures, evidence=evidence)


def poverty_events(principal: Principal, household_id: str):
    """The household's poverty-status changes and assistance, oldest first."""
    household = get_household(principal, household_id)
    return PovertyEvent.objects(household_id=str(household.id)).order_by("at")


def _check_evidence(household_id: str, event: str, evidence: dict) -> None:
    visit_id = evidence.get("visit_id")
    visit = (
        Visit.objects(id=visit_id, household_id=household_id).first()
        if ObjectId.is_valid(visit_id or "")
        else None
    )
    if visit_id and visit is None:
        raise ValidationFailed(errors={"evidence.visit_id": ["不是该户的走访 Not a visit of this household"]})
    if event == "lift_out" and (
        visit is None or visit.state != "approved" or (visit.assessment or {}).get("all_passed") is not True
    ):
        raise ValidationFailed(
            errors={
                "evidence.visit_id": [
                    "脱贫须依据审核通过且全部达标的入户验收 Cite an approved visit that passed"
                ]
            }
        )
