"""The one owner of a visit's state changes.

Every change goes the same way: the state machine allows it, one conditional update of the visit (its
state, and whatever else the caller read it in, e.g. the review level, must still be what the caller
saw, so of two concurrent moves exactly one wins) records the new state with who, when and why, the
household follows (its verification status, its satisfaction answer and, once a visit is approved,
its poverty status), a mutual-check team's assignment follows, and the audit log records the decision.
"""

from __future__ import annotations

from typing import Any

from app.audit import service as audit
from app.auth.principal import Principal
from app.campaigns import progress
from app.clock import now
from app.households import poverty
from app.households.lifecycle import VisitFacts, follow_visit
from app.visits.models import StateChange, Visit
from app.visits.states import require_transition


def facts(visit: Visit) -> VisitFacts:
    """What the household lifecycles need to know about a visit."""
    return VisitFacts(
        household_id=visit.household_id,
        visit_id=str(visit.id),
        state=visit.state,
        assessment=visit.assessment or {},
        answered_at=visit.ended_at,
        role=visit.form_role or {},
        area_path=list(visit.area_path),
    )


def move(
    visit: Visit,
    target: str,
    actor: Principal,
    *,
    action: str,
    fields: dict[str, Any] | None = None,
    append: dict[str, Any] | None = None,
    expect: dict[str, Any] | None = None,
    note: str | None = None,
    level: str | None = None,
    actor_label: str | None = None,
    role: str | None = None,
    **details: Any,
) -> bool:
    """Move `visit` from the state it was read in to `target`, setting `fields` and appending `append`
    (list fields) with it, provided `expect` still holds. Returns False when someone else moved it
    first (nothing written); on success `visit` holds what was written. A sign-off (`level`) is
    recorded in the history even when the state stays the same (a middle level, a re-check)."""
    current = visit.state
    require_transition(current, target)
    stamp = now()
    values = (fields or {}) | {"state": target, "updated_at": stamp}
    changes = {f"set__{name}": value for name, value in values.items()}
    changes |= {f"push__{name}": value for name, value in (append or {}).items()}
    change = StateChange(
        at=stamp,
        state=target,
        actor_id=actor.user_id,
        actor=actor_label or actor.username,
        role=role or actor.role,
        note=note,
        level=level,
    )
    recorded = target != current or level is not None
    if recorded:
        changes["push__history"] = change
    if not Visit.objects(id=visit.id, state=current, **(expect or {})).update_one(**changes):
        return False
    for name, value in values.items():  # what was written, without reading it back
        setattr(visit, name, value)
    for name, value in (append or {}).items():
        getattr(visit, name).append(value)
    if recorded:
        visit.history.append(change)
    household_status = follow_visit(facts(visit), stamp)
    if target == "approved" and current != "approved":
        poverty.follow_verified_visit(facts(visit), actor)
    if visit.team is not None:  # a mutual-check team's visit moves the team's assignment too
        progress.follow_visit(visit.campaign_id, visit.household_id, str(visit.id), target, stamp)
    audit.record(
        actor,
        action,
        "visit",
        str(visit.id),
        visit.area_path,
        from_state=current,
        state=target,
        household_id=visit.household_id,
        household_status=household_status,
        **details,
    )
    return True
