"""Identifying a candidate household (贫困户识别): 申请 → 村评议 → 公示 → 乡镇审核 → 县审定.

A household visited under 四个必到 (低保户, 特困/五保户, low-income and disabled households) that is not on
the register is filed as a candidate, with its application as the first step; the village cadre then
records the village review and the public notice, the town verifier checks it against an approved
verification visit of the household, and a county supervisor decides. Each step is signed (who, role,
when, note, evidence) and taken once, in order, by a conditional update; a failed step declines the
application. The county's pass makes the household `poor` (on the register); a decline `ordinary`.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from bson import ObjectId

from app.adjustment.models import Identification, IdentificationStep
from app.auth.principal import Principal
from app.clock import now
from app.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from app.households import poverty
from app.households import service as households
from app.households.models import Household
from app.review.chains import may_sign
from app.visits.models import Visit
from app.visits.queries import get_visit


class Step(NamedTuple):
    key: str
    label: str
    roles: tuple[str, ...]


STEPS = (
    Step("apply", "申请", ("cadre", "verifier", "supervisor")),
    Step("village_review", "村评议", ("cadre",)),
    Step("public_notice", "公示", ("cadre",)),
    Step("town_check", "乡镇审核", ("verifier",)),
    Step("county_decision", "县审定", ("supervisor",)),
)
STEP_KEYS = tuple(s.key for s in STEPS)
NOMINABLE = ("ordinary", "marginal", "sudden_hardship")
TOWN_APPROVED = ("in_review", "approved")  # visits the town level approved (higher levels may follow)
MIN_NOTICE_DAYS = 7  # 公示 lasts at least seven days


def visible_identifications(principal: Principal, *, area: str | None = None, status: str | None = None):
    principal.require("households.read")
    query = Identification.objects(principal.scope())
    if area:
        query = query.in_area(area)
    if status:
        query = query.filter(status=status)
    return query.order_by("-created_at")


def get_identification(principal: Principal, identification_id: str) -> Identification:
    principal.require("households.read")
    found = (
        Identification.objects(id=identification_id).first() if ObjectId.is_valid(identification_id) else None
    )
    return principal.check_visible(found)


def file_application(principal: Principal, data: dict) -> Identification:
    """Start an identification: a new candidate household (`household`), or an ordinary or monitored
    one already known (`household_id`); the application is its first, signed step."""
    principal.require("identification.file")
    source = data.get("source_visit_id")
    if source:
        visit = get_visit(principal, source)
        source = str(visit.id)
    reason = f"申请识别（四个必到：{'、'.join(data['needs'])}）"
    if data.get("household_id"):
        household = households.get_household(principal, data["household_id"])
        if household.poverty_status not in NOMINABLE:
            raise InvalidTransition(
                "只有一般农户或监测对象可申请识别 Only ordinary or monitored households apply",
                current=household.poverty_status,
            )
        if Identification.objects(household_id=str(household.id), status="in_progress").count():
            raise Conflict("该户已有进行中的识别 An identification is in progress")
        poverty.change(household, "nominate", principal, reason=reason, evidence={"source_visit_id": source})
        household.update(set__needs=data["needs"])
    elif data.get("household"):
        household = households.create_candidate(principal, data["household"] | {"needs": data["needs"]})
        poverty.record_entry(household, principal, reason=reason, evidence={"source_visit_id": source})
    else:
        raise ValidationFailed(errors={"household": ["须给出 household 或 household_id Give one of them"]})
    stamp = now()
    identification = Identification(
        household_id=str(household.id),
        household_number=household.number,
        head_name=household.head_name,
        area_path=household.area_path,
        needs=data["needs"],
        source_visit_id=source,
        steps=[_signed("apply", "pass", data.get("note"), data.get("evidence") or {}, principal, stamp)],
        created_by=principal.username,
        created_at=stamp,
        updated_at=stamp,
    )
    identification.save()
    return identification


def take_step(
    principal: Principal,
    identification_id: str,
    step: str,
    decision: str,
    note: str | None = None,
    evidence: dict | None = None,
) -> Identification:
    """Sign the next step of an identification; the county's decision settles the household's status."""
    identification = get_identification(principal, identification_id)
    if identification.status != "in_progress":
        raise InvalidTransition("识别已结束 Identification finished", status=identification.status)
    taken = len(identification.steps)
    if taken >= len(STEPS) or STEP_KEYS[taken] != step:
        expected = STEP_KEYS[taken] if taken < len(STEPS) else None
        raise InvalidTransition(f"下一步应为 {expected} The next step is {expected}", expected=expected)
    spec = STEPS[taken]
    _require_signer(principal, spec, identification.area_path)
    evidence = evidence or {}
    note = (note or "").strip() or None
    _check_step(identification, spec, decision, note, evidence)
    stamp = now()
    signed = _signed(step, decision, note, evidence, principal, stamp)
    status = "declined" if decision == "fail" else "identified" if step == STEP_KEYS[-1] else "in_progress"
    moved = Identification.objects(id=identification.id, status="in_progress", steps__size=taken).update_one(
        push__steps=signed, set__status=status, set__updated_at=stamp
    )
    if not moved:
        raise Conflict("识别在此期间已有进展，请刷新 The identification moved on meanwhile")
    identification.steps.append(signed)
    identification.status, identification.updated_at = status, stamp
    if status != "in_progress":
        household = Household.objects.get(id=identification.household_id)
        event = "identify" if status == "identified" else "decline"
        poverty.change(
            household,
            event,
            principal,
            reason=f"{spec.label}：{note or ('通过' if decision == 'pass' else '未通过')}",
            evidence={"identification_id": str(identification.id)} | evidence,
        )
    return identification


def _require_signer(principal: Principal, spec: Step, area_path: list[str]) -> None:
    allowed = principal.role in spec.roles and principal.covers(area_path)
    if spec.key == "county_decision":
        allowed = may_sign(principal, "county", area_path)
    if not allowed:
        raise Forbidden(f"{spec.label}不由您签署 You do not sign {spec.key}", step=spec.key)


def _check_step(identification: Identification, spec: Step, decision: str, note, evidence: dict) -> None:
    errors: dict[str, list[str]] = {}
    if decision == "fail" and not note:
        errors["note"] = ["未通过须说明理由 A reason is required"]
    if spec.key == "public_notice":
        errors |= _notice_problems(evidence)
    if spec.key == "town_check" and decision == "pass":
        visit_id = evidence.get("visit_id")
        town_approved = (
            ObjectId.is_valid(visit_id or "")
            and Visit.objects(
                id=visit_id, household_id=identification.household_id, state__in=TOWN_APPROVED
            ).count()
        )
        if not town_approved:
            errors["evidence.visit_id"] = [
                "乡镇审核须依据该户经镇级审核通过的入户核查 Cite a visit the town approved"
            ]
    if errors:
        raise ValidationFailed(errors=errors)


def _notice_problems(evidence: dict) -> dict[str, list[str]]:
    try:
        start, end = date.fromisoformat(evidence["from"]), date.fromisoformat(evidence["to"])
    except (KeyError, TypeError, ValueError):
        return {"evidence": ["公示须给出起止日期 Give the notice period: from, to (YYYY-MM-DD)"]}
    if (end - start).days < MIN_NOTICE_DAYS:
        return {
            "evidence": [f"公示不少于 {MIN_NOTICE_DAYS} 天 The notice lasts at least {MIN_NOTICE_DAYS} days"]
        }
    return {}


def _signed(step: str, decision: str, note, evidence: dict, principal: Principal, at) -> IdentificationStep:
    return IdentificationStep(
        step=step,
        decision=decision,
        note=note,
        evidence=evidence,
        actor_id=principal.user_id,
        actor=principal.username,
        actor_name=principal.display_name or principal.username,
        role=principal.role,
        at=at,
    )
