"""The household's poverty status (贫困状态): the documents' lifecycle as one state machine, and the one
place it changes.

    candidate ──identify──▶ poor ──lift_out──▶ lifted_supported ──end_support──▶ lifted_unsupported
        │ decline                ▲  ▲                 │ monitor / relapse            │
        ▼                        │  └────lift_out── relapsed ◀──relapse── unstable ◀─┘ monitor
    ordinary ──monitor──▶ marginal | sudden_hardship ──clear_risk──▶ ordinary
    ordinary | marginal | sudden_hardship ──nominate──▶ candidate
    any registered status ──remove──▶ removed (清退);  any living status ──dissolve──▶ dissolved (自然减员)

Transitions come from explicit decisions (who, why, evidence: app.adjustment), from the identification
procedure (申请 → 村评议 → 公示 → 乡镇审核 → 县审定), and from approved verification visits: an approved
visit whose assessment fails puts a lifted household under monitoring (脱贫不稳定户). Each change is a
conditional update on the status that was read, an append-only `PovertyEvent` and an audit entry.
即时帮扶 (immediate assistance) for a monitored household is recorded as an event that keeps the status.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import CHINA_TZ, now
from app.errors import Conflict, InvalidTransition, ValidationFailed
from app.households.lifecycle import VisitFacts
from app.households.models import POVERTY_STATUSES, Household, PovertyEvent

LIFTED = ("lifted_supported", "lifted_unsupported")
MONITORED = ("unstable", "marginal", "sudden_hardship")
REGISTERED = ("poor", *LIFTED, "unstable", "relapsed")  # on the register (建档立卡)
TERMINAL = ("removed", "dissolved")
LIVING = tuple(s for s in POVERTY_STATUSES if s not in TERMINAL)


@dataclass(frozen=True)
class Event:
    key: str
    label: str
    moves: dict[str, tuple[str, ...]]  # from status -> the statuses it may lead to (first: default)
    procedure: bool = False  # only the identification procedure takes it


EVENTS: dict[str, Event] = {
    e.key: e
    for e in (
        Event(
            "nominate",
            "申请识别",
            {s: ("candidate",) for s in ("ordinary", "marginal", "sudden_hardship")},
            True,
        ),
        Event("identify", "识别纳入（县审定）", {"candidate": ("poor",)}, True),
        Event("decline", "识别未通过", {"candidate": ("ordinary",)}, True),
        Event("lift_out", "脱贫", {s: LIFTED for s in ("poor", "relapsed")}),
        Event("end_support", "不再享受政策", {"lifted_supported": ("lifted_unsupported",)}),
        Event(
            "monitor",
            "纳入监测",
            {**{s: ("unstable",) for s in LIFTED}, "ordinary": ("marginal", "sudden_hardship")},
        ),
        Event(
            "clear_risk",
            "风险消除",
            {"unstable": LIFTED, "marginal": ("ordinary",), "sudden_hardship": ("ordinary",)},
        ),
        Event("relapse", "返贫", {s: ("relapsed",) for s in (*LIFTED, "unstable")}),
        Event("remove", "清退", {s: ("removed",) for s in REGISTERED}),
        Event("dissolve", "自然减员", {s: ("dissolved",) for s in LIVING}),
    )
}
ASSIST = "assist"  # 即时帮扶: recorded for a monitored household, status unchanged
REGISTER = "register"  # the status a household entered the system with
ATTEMPTS = 3


def target_of(event: str, current: str, to: str | None = None) -> str:
    """The status `event` leads to from `current` (`to` chooses where there is a choice)."""
    spec = EVENTS.get(event)
    if spec is None:
        raise ValidationFailed(errors={"event": [f"未知事项 Unknown event {event}"]})
    targets = spec.moves.get(current)
    if not targets:
        raise InvalidTransition(
            f"{POVERTY_STATUSES.get(current, current)}不能{spec.label} Household in {current} cannot {event}",
            current=current,
            event=event,
        )
    if to is None:
        return targets[0]
    if to not in targets:
        raise ValidationFailed(errors={"to": [f"{event} 从 {current} 只能到 {', '.join(targets)}"]})
    return to


def change(
    household: Household,
    event: str,
    actor: Principal,
    *,
    reason: str,
    evidence: dict | None = None,
    to: str | None = None,
) -> PovertyEvent:
    """Take `event` from the status the household was read in; Conflict when it changed meanwhile."""
    current = household.poverty_status
    target = target_of(event, current, to)
    stamp = now()
    moved = Household.objects(id=household.id, poverty_status=current).update_one(
        set__poverty_status=target, set__poverty_changed_at=stamp, set__updated_at=stamp
    )
    if not moved:
        raise Conflict("住户贫困状态已被他人修改，请刷新 Poverty status changed meanwhile", status=current)
    household.poverty_status, household.poverty_changed_at = target, stamp
    return _record(household, event, current, target, actor, reason, evidence or {}, stamp)


def record_entry(
    household: Household, actor: Principal, *, reason: str, evidence: dict | None = None
) -> PovertyEvent:
    """Record the status a household entered the system with (a candidate found under 四个必到)."""
    stamp = household.poverty_changed_at or now()
    return _record(household, REGISTER, None, household.poverty_status, actor, reason, evidence or {}, stamp)


def assist(
    household: Household, actor: Principal, *, measures: str, evidence: dict | None = None
) -> PovertyEvent:
    """Record 即时帮扶 given to a monitored household (its status stays)."""
    if household.poverty_status not in MONITORED:
        raise InvalidTransition(
            "只有监测对象可登记即时帮扶 Immediate assistance is for monitored households",
            current=household.poverty_status,
        )
    status = household.poverty_status
    return _record(household, ASSIST, status, status, actor, measures, evidence or {}, now())


def follow_verified_visit(visit: VisitFacts, actor: Principal) -> PovertyEvent | None:
    """An approved assessment visit that fails 两不愁三保障 or income puts a lifted household under
    monitoring (脱贫不稳定户); the last signer answers for it. Anything else moves nothing."""
    if not (visit.moves_household and visit.contributes("assessment")):
        return None
    if visit.assessment.get("all_passed") is not False:
        return None
    for _ in range(ATTEMPTS):
        household = Household.objects(id=visit.household_id).first()
        if household is None or household.poverty_status not in LIFTED:
            return None
        failed = [
            i.get("label_zh") or i.get("code")
            for i in visit.assessment.get("indicators", [])
            if not i.get("passed")
        ]
        try:
            return change(
                household,
                "monitor",
                actor,
                reason="核查未达标，纳入监测 Approved visit failed: " + "、".join(failed),
                evidence={"visit_id": visit.visit_id, "failed": failed},
            )
        except Conflict:
            continue
    return None


def _record(
    household: Household,
    event: str,
    from_status: str | None,
    to_status: str,
    actor: Principal,
    reason: str,
    evidence: dict,
    stamp,
) -> PovertyEvent:
    record = PovertyEvent(
        household_id=str(household.id),
        household_number=household.number,
        area_path=household.area_path,
        event=event,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        evidence=evidence,
        actor_id=actor.user_id,
        actor=actor.username,
        role=actor.role,
        at=stamp,
        year=stamp.astimezone(CHINA_TZ).year,  # the year as people in China count it
    )
    record.save()
    audit.record(
        actor,
        f"household.poverty.{event}",
        "household",
        str(household.id),
        household.area_path,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        evidence=evidence,
    )
    return record
