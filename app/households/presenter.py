"""A household as the caller may see it: ID and phone numbers masked unless the role may see them."""

from __future__ import annotations

from app.auth.principal import Principal
from app.households.idnumbers import mask_id, mask_phone
from app.households.models import Household


def household_view(household: Household, principal: Principal) -> dict:
    """The household's fields for the wire, with personal numbers masked for roles that may not see them."""
    see_id = principal.can("households.see_id_number")
    see_phone = principal.can("households.see_phone")
    view = household.to_mongo().to_dict()
    view["id"] = str(view.pop("_id"))
    view["id_number"] = household.id_number if see_id else mask_id(household.id_number)
    view["phone"] = household.phone if see_phone else mask_phone(household.phone)
    view["members"] = [
        m.to_mongo().to_dict() | {"id_number": m.id_number if see_id else mask_id(m.id_number)}
        for m in household.members
    ]
    return view


def households_view(households: list[Household], principal: Principal) -> list[dict]:
    return [household_view(h, principal) for h in households]
