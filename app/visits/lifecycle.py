"""The one owner of a visit's state changes.

Every change goes the same way: the state machine allows it, one conditional update of the visit (its
state must still be the one the caller saw, so of two concurrent moves exactly one wins) records the new
state with who, when and why, the household follows, and the audit log records the decision.
"""

from __future__ import annotations

from typing import Any

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.households.lifecycle import follow_visit
from app.visits.models import StateChange, Visit
from app.visits.states import require_transition


def move(
    visit: Visit,
    target: str,
    actor: Principal,
    *,
    action: str,
    fields: dict[str, Any] | None = None,
    note: str | None = None,
    actor_label: str | None = None,
    role: str | None = None,
    **details: Any,
) -> bool:
    """Move `visit` from the state it was read in to `target`, setting `fields` with it. Returns False
    when someone else moved it first (nothing written); on success `visit` holds what was written."""
    current = visit.state
    require_transition(current, target)
    stamp = now()
    values = (fields or {}) | {"state": target, "updated_at": stamp}
    changes = {f"set__{name}": value for name, value in values.items()}
    change = StateChange(
        at=stamp,
        state=target,
        actor_id=actor.user_id,
        actor=actor_label or actor.username,
        role=role or actor.role,
        note=note,
    )
    if target != current:
        changes["push__history"] = change
    if not Visit.objects(id=visit.id, state=current).update_one(**changes):
        return False
    for name, value in values.items():  # what was written, without reading it back
        setattr(visit, name, value)
    if target != current:
        visit.history.append(change)
    household_status = follow_visit(visit.household_id, str(visit.id), target, visit.assessment, stamp)
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
