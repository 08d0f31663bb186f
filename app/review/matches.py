"""The other photo or signature a failed reuse or duplicate check points at, for showing side by side.

Check results name their match in `data`; two shapes are read: today's (`other_visit_id`,
`other_slot`, `other_household_id`) and the plain one (`visit_id`, `slot`, `household_id`). A match
without a visit id is a twin inside the same visit (the same photo in two slots). The matched file
is shown even when the other household lies outside the verifier's areas: it is the evidence of this
visit's check. Who that household is (number, head of household, a link) is shown only inside them.
"""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId

from app.auth.principal import Principal
from app.households.models import Household
from app.visits.models import Attachment, Visit


@dataclass(frozen=True)
class Match:
    code: str  # the check that found it
    slot: str  # this visit's slot
    other_visit_id: str
    other_slot: str
    same_visit: bool
    distance: int | None  # Hamming distance of the perceptual hashes; 0 for identical files
    attachment: Attachment | None  # the matched file, if it is still stored
    household_id: str | None
    household_number: str | None  # only when the caller may see the household
    head_name: str | None
    visible: bool  # the caller may open the other visit


def _target(visit: Visit, check: dict) -> tuple[str, str, str | None] | None:
    data = check.get("data") or {}
    other_slot = data.get("other_slot") or data.get("slot")
    if not other_slot or check.get("passed"):
        return None
    other_visit = data.get("other_visit_id") or data.get("visit_id") or str(visit.id)
    household = data.get("other_household_id") or data.get("household_id")
    if other_visit == str(visit.id):
        household = visit.household_id
    return str(other_visit), str(other_slot), household


def matches_for(principal: Principal, visit: Visit) -> dict[str, list[Match]]:
    """Failed checks of `visit` that name another file, by this visit's slot, with that file loaded."""
    found = []
    for check in visit.checks or []:
        target = _target(visit, check)
        if target is not None and check.get("slot"):
            found.append((check, *target))
    if not found:
        return {}
    visit_ids = {other for _, other, _, _ in found if ObjectId.is_valid(other)}
    files = {(a.visit_id, a.slot): a for a in Attachment.objects(visit_id__in=sorted(visit_ids)) if a.slot}
    others = {str(v.id): v for v in Visit.objects(id__in=sorted(visit_ids)).only("area_path", "household_id")}
    household_ids = {h for _, _, _, h in found if h and ObjectId.is_valid(h)}
    households = {str(h.id): h for h in Household.objects(id__in=sorted(household_ids))}
    result: dict[str, list[Match]] = {}
    for check, other_visit, other_slot, household_id in found:
        other = others.get(other_visit)
        visible = other is not None and principal.covers(other.area_path)
        household = households.get(household_id or (other.household_id if other else ""))
        result.setdefault(check["slot"], []).append(
            Match(
                code=check["code"],
                slot=check["slot"],
                other_visit_id=other_visit,
                other_slot=other_slot,
                same_visit=other_visit == str(visit.id),
                distance=(check.get("data") or {}).get("distance"),
                attachment=files.get((other_visit, other_slot)),
                household_id=str(household.id) if household and visible else None,
                household_number=household.number if household and visible else None,
                head_name=household.head_name if household and visible else None,
                visible=visible,
            )
        )
    return result
