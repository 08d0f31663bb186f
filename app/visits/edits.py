"""Edited visits: ODK Collect sends an edited instance under a new instanceID naming the one it replaces
(`deprecatedID`). The edit is a new visit linked to the old one (`origin.supersedes`); the old visit,
if no review level has signed it yet, becomes `superseded` (final) and leaves the review queue. A signed
visit is never rewritten: the sign-offs stand and the cadre files a new visit instead.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.errors import AlreadyDecided, Conflict, Forbidden
from app.visits import lifecycle
from app.visits.models import Visit
from app.visits.states import SIGNED


def editable_original(principal: Principal, instance_id: str, edit_instance_id: str) -> Visit | None:
    """The visit an edit replaces, checked: same cadre, not decided, not replaced by another edit.

    None when that instance never reached the server (an instance edited on the phone before sending).
    """
    original = Visit.objects(instance_id=instance_id).first()
    if original is None:
        return None
    principal.check_visible(original)
    if original.cadre_id != principal.user_id:
        raise Forbidden("只能修改自己提交的走访 Only the visiting cadre may edit a visit")
    if original.state in SIGNED:
        raise AlreadyDecided(
            "该走访已审核，不能再修改；请重新填写一次走访 Visit already decided: fill in a new visit instead",
            state=original.state,
            visit_id=str(original.id),
        )
    replaced_by = original.superseded_by
    if replaced_by and replaced_by != _visit_id_of(edit_instance_id):
        raise Conflict(
            "该走访已被另一个修改版本替代 Visit already replaced by another edit",
            visit_id=str(original.id),
            superseded_by=replaced_by,
        )
    return original


def _visit_id_of(instance_id: str) -> str | None:
    visit = Visit.objects(instance_id=instance_id).only("id").first()
    return str(visit.id) if visit else None


def supersede(principal: Principal, original: Visit, edit: Visit) -> bool:
    """Mark `original` superseded by `edit` (idempotent). Returns True when the state changed now."""
    if original.superseded_by == str(edit.id):
        return False
    moved = lifecycle.move(
        original,
        "superseded",
        principal,
        action="visit.supersede",
        fields={"superseded_by": str(edit.id)},
        note=f"edited as visit {edit.id}",
        superseded_by=str(edit.id),
    )
    if not moved:  # decided (or replaced) between the check and now: the decision stands
        current = Visit.objects(id=original.id).only("state").first()
        raise AlreadyDecided(state=current.state if current else None, visit_id=str(original.id))
    return True
