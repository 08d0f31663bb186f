"""Verifiers decide on checked visits: approve, reject or ask for a revisit. One decision per visit.

A decision is a single conditional update of the visit (its state must still be the one the verifier
saw), so of two concurrent decisions exactly one wins; the loser gets 409. The household then moves
through its own state machine, the audit log records the decision, and a rejection or revisit
request opens an item on the rectification ledger.
"""

from __future__ import annotations

import logging

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.clock import now
from app.errors import Conflict, DoorstepError, ValidationFailed
from app.rectification import service as rectification
from app.visits import lifecycle
from app.visits.models import Attachment, Visit
from app.visits.queries import get_visit
from app.visits.states import REVIEWABLE, require_transition

log = logging.getLogger(__name__)

DECISION_STATES = {"approve": "approved", "reject": "rejected", "request_revisit": "revisit_requested"}
MAX_BULK = 200


def review_queue(principal: Principal, *, area: str | None = None, state: str | None = None):
    """Visits waiting for a decision in the caller's areas, oldest submission first."""
    principal.require("visits.review")
    query = Visit.objects(principal.scope()).filter(state__in=[state] if state else list(REVIEWABLE))
    if area:
        query = query.in_area(area)
    return query.order_by("submitted_at", "id")


def _check_input(visit: Visit, decision: str, comment: str, slot_comments: dict[str, str]) -> None:
    errors: dict[str, list[str]] = {}
    if decision != "approve" and not comment:
        errors["comment"] = ["退回或要求复访须说明理由 A reason is required to send a visit back"]
    if decision == "approve" and visit.state == "has_issues" and not comment:
        errors["comment"] = [
            "自动核查有问题的走访，通过时须说明理由（审核人负责） "
            "Approving a visit whose checks failed needs a comment: the verifier takes responsibility"
        ]
    slots = set(visit.expected_slots) | set(Attachment.objects(visit_id=str(visit.id)).distinct("slot"))
    unknown = sorted(set(slot_comments) - slots)
    if unknown:
        errors["slot_comments"] = [f"走访没有这些附件位置 Not slots of this visit: {', '.join(unknown)}"]
    if errors:
        raise ValidationFailed(errors=errors)


def decide(
    principal: Principal,
    visit_id: str,
    decision: str,
    comment: str | None = None,
    slot_comments: dict[str, str] | None = None,
) -> Visit:
    """Record a verifier's decision on a visit and move its household; returns the decided visit."""
    principal.require("visits.review")
    visit = get_visit(principal, visit_id)
    target = DECISION_STATES[decision]
    require_transition(visit.state, target)  # 409 already_decided once someone has decided
    comment = (comment or "").strip()
    slot_comments = {k: v.strip() for k, v in (slot_comments or {}).items() if v and v.strip()}
    _check_input(visit, decision, comment, slot_comments)

    stamp = now()
    review = {
        "decision": decision,
        "comment": comment or None,
        "slot_comments": slot_comments,
        "reviewer": principal.username,
        "reviewer_name": principal.display_name or principal.username,
        "reviewer_id": principal.user_id,
        "at": stamp,
    }
    moved = lifecycle.move(
        visit,
        target,
        principal,
        action="visit.review",
        fields={"review": review, "decided_at": stamp},
        note=comment[:500] or None,
        decision=decision,
        comment=comment or None,
        slot_comments=slot_comments,
    )
    if not moved:
        current = Visit.objects(id=visit.id).only("state").first().state
        require_transition(current, target)  # someone decided first: 409 already_decided
        raise Conflict(
            "走访在审核期间发生变化，请刷新后重新审核 Visit changed while you reviewed it", state=current
        )
    rectification.open_from_review(visit, principal)
    return visit


def bulk_approve(principal: Principal, visit_ids: list[str], comment: str | None = None) -> list[dict]:
    """Approve each visit through `decide`; one failure does not stop the others."""
    principal.require("visits.review")
    results = []
    for visit_id in dict.fromkeys(visit_ids):
        try:
            visit = decide(principal, visit_id, "approve", comment)
        except DoorstepError as err:
            error = {"code": err.status, "reason": err.reason, "message": err.message}
            results.append({"visit_id": visit_id, "ok": False, "error": error})
        else:
            results.append({"visit_id": visit_id, "ok": True, "state": visit.state})
    return results


def visit_history(principal: Principal, visit_id: str) -> dict:
    """Every state change with actor, role and time; reviewers and auditors also see the audit trail."""
    visit = get_visit(principal, visit_id)
    result = {
        "visit_id": str(visit.id),
        "household_id": visit.household_id,
        "state": visit.state,
        "changes": [
            {
                "at": h.at,
                "state": h.state,
                "actor": h.actor,
                "actor_id": h.actor_id,
                "role": h.role,
                "note": h.note,
            }
            for h in visit.history
        ],
        "review": visit.review or None,
        "audit": None,
    }
    if principal.can("visits.review") or principal.can("audit.read"):
        events = AuditEvent.objects(object_type="visit", object_id=str(visit.id)).order_by("at")
        result["audit"] = [
            {"at": e.at, "action": e.action, "actor": e.actor, "role": e.role, "details": e.details}
            for e in events
        ]
    return result
