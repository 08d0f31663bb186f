"""Sign-off up the review chain: each level's queue, its decisions, bulk approval and a visit's history.

A visit waits for one level at a time (`review_level`). The town verifier decides first, as before:
approve, reject, or send back for a revisit with slot comments. An approval by any level but the last
moves the visit to `in_review` for the next level; the last level's approval makes it `approved`. Any
level may reject or send back. A city re-check drawn on an approved visit (app.review.rechecks) either
confirms the approval or overturns it. Every sign-off is recorded on the visit (`signoffs`: level, who,
role, when, decision, why) and in its history; one sign-off per level, as one conditional update that
also requires the level it was read at, so of two concurrent sign-offs exactly one wins (409 for the
other). Rejections and revisit requests open an item on the rectification ledger.

Every function takes the caller's Principal and ids, and knows nothing of Flask: the API and the web
console call the same ones.
"""

from __future__ import annotations

import logging

from app.audit.models import AuditEvent
from app.auth.principal import Principal
from app.clock import now
from app.errors import AlreadyDecided, Conflict, DoorstepError, Forbidden, InvalidTransition, ValidationFailed
from app.rectification import service as rectification
from app.review import chains
from app.visits import lifecycle
from app.visits.models import Attachment, Visit
from app.visits.queries import get_visit
from app.visits.revisions import revision_chain
from app.visits.states import DECIDED, PENDING_REVIEW, REVIEWABLE, require_transition

log = logging.getLogger(__name__)

DECISION_STATES = {"approve": "approved", "reject": "rejected", "request_revisit": "revisit_requested"}
QUEUE_STATES = (*PENDING_REVIEW, "approved")  # approved: waiting for a city re-check
MAX_BULK = 200


def review_queue(
    principal: Principal, *, area: str | None = None, state: str | None = None, level: str | None = None
):
    """Visits waiting for the caller's level (default: the lowest level they sign at) in their areas,
    oldest submission first."""
    principal.require("visits.review")
    levels = chains.signing_levels(principal)
    level = level or (levels[0] if levels else None)
    if level is None or level not in levels:
        raise Forbidden("您不在该审核层级 You do not sign at this level", level=level, levels=levels)
    query = Visit.objects(principal.scope()).filter(
        review_level=level, state__in=[state] if state else list(QUEUE_STATES)
    )
    if level != "town":
        query = query.filter(area_path__in=chains.level_areas(principal, level))
    if area:
        query = query.in_area(area)
    return query.order_by("submitted_at", "id")


def _awaited_level(visit: Visit) -> str:
    """The level whose sign-off the visit waits for; 409 when it waits for none."""
    if visit.review_level:
        return visit.review_level
    if visit.state in REVIEWABLE:  # checked before chains existed and not migrated: the first level
        return chains.chain_of(visit).first
    if visit.state in DECIDED:
        raise AlreadyDecided(state=visit.state)
    raise InvalidTransition(
        f"走访状态 {visit.state} 不待审核 Visit in {visit.state} is not waiting for review",
        current=visit.state,
    )


def awaits(principal: Principal, visit: Visit) -> str | None:
    """The level the visit waits for if the caller signs there now, else None (to offer a decision)."""
    if not principal.can("visits.review") or visit.state not in QUEUE_STATES:
        return None
    try:
        level = _awaited_level(visit)
    except DoorstepError:
        return None
    return level if chains.may_sign(principal, level, visit.area_path) else None


def _require_turn(principal: Principal, visit: Visit, level: str) -> None:
    """The caller signs at `level`; a lower level that has already signed gets 409 already_decided."""
    if chains.may_sign(principal, level, visit.area_path):
        return
    signed = {s.get("level") for s in visit.signoffs}
    if any(chains.may_sign(principal, done, visit.area_path) for done in signed if done in chains.LEVELS):
        raise AlreadyDecided(state=visit.state, level=level)
    chains.require_signer(principal, level, visit.area_path)


def _outcome(visit: Visit, level: str, decision: str) -> tuple[str, str | None]:
    """(target state, next level) for `decision` at `level`."""
    if decision != "approve" or visit.state == "approved":  # a rejection, a send-back, or a re-check
        return DECISION_STATES[decision], None
    following = chains.chain_of(visit).after(level)
    return ("in_review", following) if following else ("approved", None)


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
    """Sign the visit off at the level it waits for (the caller must sign at that level); returns it."""
    principal.require("visits.review")
    visit = get_visit(principal, visit_id)
    level = _awaited_level(visit)  # 409 already_decided once the last level has decided
    _require_turn(principal, visit, level)
    target, following = _outcome(visit, level, decision)
    require_transition(visit.state, target)
    comment = (comment or "").strip()
    slot_comments = {k: v.strip() for k, v in (slot_comments or {}).items() if v and v.strip()}
    _check_input(visit, decision, comment, slot_comments)

    stamp = now()
    signoff = {
        "level": level,
        "decision": decision,
        "comment": comment or None,
        "slot_comments": slot_comments,
        "reviewer": principal.username,
        "reviewer_name": principal.display_name or principal.username,
        "reviewer_id": principal.user_id,
        "role": principal.role,
        "at": stamp,
    }
    fields = {"review": signoff, "review_level": following}
    if not visit.review_chain:  # checked before chains existed: keep the chain it is now signed along
        fields["review_chain"] = chains.chain_of(visit).snapshot()
    if target in DECIDED:
        fields["decided_at"] = stamp
    if visit.state == "approved":  # a city re-check's verdict
        verdict = "confirmed" if target == "approved" else "overturned"
        fields["recheck"] = (visit.recheck or {}) | {"status": verdict, "decided_at": stamp}
    moved = lifecycle.move(
        visit,
        target,
        principal,
        action="visit.review",
        fields=fields,
        append={"signoffs": signoff},
        expect={"review_level": visit.review_level},
        note=comment[:500] or None,
        level=level,
        decision=decision,
        comment=comment or None,
        slot_comments=slot_comments,
    )
    if not moved:
        current = Visit.objects(id=visit.id).only("state", "review_level").first()
        if current.state in DECIDED or current.review_level != visit.review_level:
            raise AlreadyDecided(state=current.state, level=level)  # someone signed this level first
        raise Conflict(
            "走访在审核期间发生变化，请刷新后重新审核 Visit changed while you reviewed it",
            state=current.state,
        )
    rectification.open_from_review(visit, principal)
    return visit


def bulk_approve(principal: Principal, visit_ids: list[str], comment: str | None = None) -> list[dict]:
    """Approve each visit at the caller's level through `decide`; one failure does not stop the others."""
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


def _changes(visit: Visit) -> list[dict]:
    return [
        {
            "at": h.at,
            "state": h.state,
            "actor": h.actor,
            "actor_id": h.actor_id,
            "role": h.role,
            "note": h.note,
            "level": h.level,
        }
        for h in visit.history
    ]


def visit_history(principal: Principal, visit_id: str) -> dict:
    """Every state change and sign-off with actor, role and time, the chain of corrections it belongs
    to; reviewers and auditors also see the audit trail."""
    visit = get_visit(principal, visit_id)
    result = {
        "visit_id": str(visit.id),
        "household_id": visit.household_id,
        "state": visit.state,
        "review_level": visit.review_level,
        "changes": _changes(visit),
        "review": visit.review or None,
        "signoffs": visit.signoffs,
        "revises": visit.revises,
        "revised_by": visit.revised_by,
        "revisions": [
            {"visit_id": str(v.id), "state": v.state, "created_at": v.created_at, "changes": _changes(v)}
            for v in revision_chain(visit)
            if principal.covers(v.area_path)
        ],
        "audit": None,
    }
    if principal.can("visits.review") or principal.can("audit.read"):
        events = AuditEvent.objects(object_type="visit", object_id=str(visit.id)).order_by("at")
        result["audit"] = [
            {"at": e.at, "action": e.action, "actor": e.actor, "role": e.role, "details": e.details}
            for e in events
        ]
    return result
