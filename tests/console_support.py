"""Console test helpers: log in through the form (with its CSRF token), and a visit whose front-of-house
photo is another household's, as the duplicate check reports it."""

from __future__ import annotations

import re

from app.visits.models import Attachment
from tests.factories import PASSWORD, HouseholdFactory, area_tree, make_user
from tests.stored_visits import build_visit

TOWN, VILLAGE, OTHER_VILLAGE = "370101001000", "370101001001", "370101001002"
OTHER_TOWN_VILLAGE = "370101002001"
REUSED_SLOT = "photo.front_of_house"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def console_login(client, user, password: str = PASSWORD) -> str:
    """Log `user` in through the console's form; returns a CSRF token for later posts."""
    token = csrf_of(client.get("/console/login").get_data(as_text=True))
    resp = client.post(
        "/console/login", data={"username": user.username, "password": password, "csrf_token": token}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return csrf_of(client.get(resp.headers["Location"], follow_redirects=True).get_data(as_text=True))


def reuse_case(store=None, *, files_of_both: bool = True) -> dict:
    """Town 370101001: an approved visit in one village, and a has_issues visit in another village whose
    front-of-house photo the check found identical to the first one's. With `store`, the visits have
    their eight files in the object store (only the original's unless `files_of_both`). Returns the
    users and objects."""
    area_tree(fanout=2)
    cadre = make_user("cadre", VILLAGE)
    other_cadre = make_user("cadre", OTHER_VILLAGE)
    verifier = make_user("verifier", TOWN)
    supervisor = make_user("supervisor", "370101000000")
    original_home = HouseholdFactory(village_code=OTHER_VILLAGE, head_name="李原户")
    original = build_visit(original_home, other_cadre, state="approved", reviewer=verifier, store=store)
    home = HouseholdFactory(village_code=VILLAGE, head_name="王复用")
    visit = build_visit(
        home,
        cadre,
        state="has_issues",
        failed={"photo_reuse": [REUSED_SLOT]},
        store=store if files_of_both else None,
    )
    for check in visit.checks:
        if check["code"] == "photo_reuse":
            check["detail"] = f"{REUSED_SLOT} 与另一次走访的图片完全相同 identical"
            check["data"] = {
                "other_visit_id": str(original.id),
                "other_household_id": str(original_home.id),
                "other_slot": REUSED_SLOT,
                "distance": 0,
            }
    visit.save()
    if store is not None and files_of_both:  # the very same file, as a reused photo is
        source = Attachment.objects.get(visit_id=str(original.id), slot=REUSED_SLOT)
        Attachment.objects(visit_id=str(visit.id), slot=REUSED_SLOT).update_one(
            set__key=source.key, set__thumbnails=source.thumbnails, set__sha256=source.sha256
        )
    return {
        "cadre": cadre,
        "other_cadre": other_cadre,
        "verifier": verifier,
        "supervisor": supervisor,
        "household": home,
        "visit": visit,
        "original": original,
        "original_household": original_home,
    }
