"""Correcting a sent-back visit: the cadre files a revisit that names the visit it corrects.

The new visit carries `revises`; the sent-back one gets `revised_by` in one conditional update, so a
sent-back visit is corrected by exactly one revisit. The chain of both (and of any later corrections)
is what a visit's history shows.
"""

from __future__ import annotations

from app.auth.principal import Principal
from app.errors import AlreadyRevised, InvalidTransition, ValidationFailed
from app.visits.models import Visit
from app.visits.queries import get_visit

REVISABLE = ("revisit_requested",)
MAX_CHAIN = 50


def revisable(principal: Principal, visit_id: str, household_id: str, form_id: str) -> Visit:
    """The sent-back visit a new visit of `household_id` on `form_id` may correct, or why not."""
    old = get_visit(principal, visit_id)
    if old.household_id != household_id or old.form_id != form_id:
        raise ValidationFailed(
            errors={"revises": ["须为同一户、同一表单的走访 Must be a visit of the same household and form"]}
        )
    if old.state not in REVISABLE:
        raise InvalidTransition(
            "只有被退回要求复访的走访可以复访纠正 Only a visit sent back for a revisit can be corrected",
            current=old.state,
        )
    if old.revised_by:
        raise AlreadyRevised(revised_by=old.revised_by)
    return old


def link(old: Visit, new_visit_id: str) -> bool:
    """Mark `old` as corrected by the new visit; False when another revisit got there first."""
    linked = Visit.objects(id=old.id, state__in=REVISABLE, revised_by=None).update_one(
        set__revised_by=new_visit_id
    )
    if linked:
        old.revised_by = new_visit_id
    return bool(linked)


def revision_chain(visit: Visit) -> list[Visit]:
    """The visits linked by corrections, oldest first, this one included."""
    chain = [visit]
    while chain[0].revises and len(chain) < MAX_CHAIN:
        earlier = Visit.objects(id=chain[0].revises).first()
        if earlier is None:
            break
        chain.insert(0, earlier)
    while chain[-1].revised_by and len(chain) < MAX_CHAIN:
        later = Visit.objects(id=chain[-1].revised_by).first()
        if later is None:
            break
        chain.append(later)
    return chain
