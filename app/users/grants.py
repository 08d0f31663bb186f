"""Temporary area grants: a user works in another area for a while (a mutual-check team, 互查).

A grant widens what the user may read and visit to the granted area's subtree between its start and end;
it does not change who manages the user (`area_paths`). Grants ride on the user document, so a request
needs no extra query to honour them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.users.models import AreaGrant, User


def active_area_codes(user: User, at: datetime) -> tuple[str, ...]:
    """The user's own area codes, then the codes of the grants in force at `at`."""
    granted = [g.area_code for g in user.grants or () if g.starts_at <= at < g.ends_at]
    return tuple(dict.fromkeys([*user.area_codes, *granted]))


def grant_area(user_ids: Iterable[str], grant: AreaGrant) -> int:
    """Give `grant` to each user who does not hold a grant from the same source yet (idempotent)."""
    ids = list(user_ids)
    if not ids:
        return 0
    grant.validate()
    return User.objects(id__in=ids, grants__source__ne=grant.source).update(push__grants=grant)
