"""The rectification ledger (整改台账): automatic items from checks and reviews, manual items, closing."""

from __future__ import annotations

import pytest
from bson import ObjectId

from app.audit.models import AuditEvent
from app.auth.principal import SYSTEM
from app.rectification import service
from app.rectification.models import RectificationItem
from app.users.service import principal_for
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import build_visit

TOWN, VILLAGE, OTHER_VILLAGE = "370101001000", "370101001001", "370101002001"


@pytest.fixture
def world(app, client):
    area_tree(2)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "supervisor": make_user("supervisor", "370101000000"),
        "far_supervisor": make_user("supervisor", "370102000000"),
    }
    headers = {name: token_for(client, user) for name, user in users.items()}
    return users, headers


def test_open_from_checks_opens_one_item_per_failed_blocking_code_once(world):
    users, _ = world
    helper = users["cadre"]
    household = HouseholdFactory(village_code=VILLAGE, helper_id=str(helper.id), helper_name="李帮扶")
    visit = build_visit(
        household,
        users["cadre"],
        failed={"photo_reuse": ["photo.stove", "photo.bedroom"], "visit_location": [None]},
        warnings=("photo_location",),
    )
    opened = service.open_from_checks(str(visit.id))
    assert sorted(i.code for i in opened) == ["photo_reuse", "visit_location"]
    reuse = next(i for i in opened if i.code == "photo_reuse")
    assert reuse.source == "check" and reuse.status == "open" and reuse.visit_id == str(visit.id)
    assert "[photo.stove]" in reuse.problem and "[photo.bedroom]" in reuse.problem
    assert (reuse.responsible_id, reuse.responsible) == (str(helper.id), "李帮扶")
    assert reuse.area_path == household.area_path and reuse.household_number == household.number

    assert service.open_from_checks(str(visit.id)) == []  # a re-run job opens nothing more
    assert RectificationItem.objects(visit_id=str(visit.id)).count() == 2
    assert AuditEvent.objects(action="rectification.open", actor=SYSTEM.username).count() == 2

    clean = build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], state="checked")
    assert service.open_from_checks(str(clean.id)) == []
    with pytest.raises(LookupError):
        service.open_from_checks(str(ObjectId()))


def test_without_a_helper_the_visiting_cadre_is_responsible(world):
    users, _ = world
    visit = build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], failed={"photo_time": [None]})
    (item,) = service.open_from_checks(str(visit.id))
    assert (item.responsible_id, item.responsible) == (str(users["cadre"].id), users["cadre"].username)


def test_open_from_review_is_idempotent(world, client):
    users, headers = world
    visit = build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], state="checked")
    resp = client.post(
        f"/api/v1/visits/{visit.id}/review",
        json={"decision": "reject", "comment": "照片非本户"},
        headers=headers["verifier"],
    )
    assert resp.status_code == 200
    visit.reload()
    first = RectificationItem.objects.get(visit_id=str(visit.id))
    again = service.open_from_review(visit, principal_for(users["verifier"]))
    assert again.id == first.id and RectificationItem.objects.count() == 1
    assert first.created_by == users["verifier"].username and "照片非本户" in first.problem


def test_manual_item_follow_up_and_close(world, client):
    users, headers = world
    household = HouseholdFactory(village_code=VILLAGE)
    body = {"household_id": str(household.id), "problem": "危房改造未完成", "deadline": "2026-12-31"}
    assert client.post("/api/v1/rectifications", json=body, headers=headers["cadre"]).status_code == 403
    resp = client.post(
        "/api/v1/rectifications",
        json={**body, "responsible": users["cadre"].username},
        headers=headers["verifier"],
    )
    assert resp.status_code == 201, resp.json
    item = resp.json
    assert item["source"] == "manual" and item["status"] == "open" and item["deadline"] == "2026-12-31"
    assert item["responsible_id"] == str(users["cadre"].id) and item["area_code"] == VILLAGE

    listed = client.get("/api/v1/rectifications?status=open", headers=headers["cadre"])
    assert [i["id"] for i in listed.json] == [item["id"]] and "X-Pagination" in listed.headers
    assert client.get("/api/v1/rectifications?status=closed", headers=headers["cadre"]).json == []
    assert client.get("/api/v1/rectifications", headers=headers["far_supervisor"]).json == []
    assert (
        client.get(f"/api/v1/rectifications/{item['id']}", headers=headers["far_supervisor"]).status_code
        == 404
    )

    url = f"/api/v1/rectifications/{item['id']}"
    patch = {"measure": "申请危改资金，年底前完工", "responsible_name": "王村长", "deadline": "2027-01-15"}
    resp = client.patch(url, json=patch, headers=headers["supervisor"])
    assert resp.status_code == 200
    assert resp.json["measure"] == patch["measure"] and resp.json["deadline"] == "2027-01-15"
    assert client.get(url, headers=headers["cadre"]).json["deadline"] == "2027-01-15"
    assert (resp.json["responsible"], resp.json["responsible_id"]) == ("王村长", None)
    no_note = client.patch(url, json={"status": "closed"}, headers=headers["verifier"])
    assert no_note.status_code == 422 and "close_note" in no_note.json["errors"]["errors"]
    no_evidence = client.patch(
        url, json={"status": "closed", "close_note": "已竣工验收"}, headers=headers["verifier"]
    )
    assert no_evidence.status_code == 422 and "evidence" in no_evidence.json["errors"]["errors"]
    follow_up = build_visit(household, users["cadre"], state="checked")
    added = client.post(f"{url}/evidence", json={"visit_id": str(follow_up.id)}, headers=headers["verifier"])
    assert added.status_code == 201 and added.json["evidence"][0]["visit_id"] == str(follow_up.id)
    closed = client.patch(
        url, json={"status": "closed", "close_note": "已竣工验收"}, headers=headers["verifier"]
    )
    assert closed.status_code == 200
    assert closed.json["status"] == "closed" and closed.json["closed_by"] == users["verifier"].username
    assert closed.json["closed_at"] and closed.json["close_note"] == "已竣工验收"
    again = client.patch(url, json={"measure": "改"}, headers=headers["verifier"])
    assert again.status_code == 409 and again.json["errors"]["reason"] == "invalid_transition"
    actions = [e.action for e in AuditEvent.objects(object_id=item["id"]).order_by("at")]
    assert actions == [
        "rectification.open",
        "rectification.update",
        "rectification.evidence",
        "rectification.close",
    ]


def test_manual_item_refuses_other_areas_and_unknown_people(world, client):
    users, headers = world
    here = HouseholdFactory(village_code=VILLAGE)
    there = HouseholdFactory(village_code=OTHER_VILLAGE)
    post = lambda body: client.post("/api/v1/rectifications", json=body, headers=headers["verifier"])  # noqa: E731
    assert post({"household_id": str(there.id), "problem": "x"}).status_code == 404
    assert post({"household_id": str(here.id), "problem": ""}).status_code == 422
    unknown = post({"household_id": str(here.id), "problem": "x", "responsible": "nobody"})
    assert unknown.status_code == 422 and "responsible" in unknown.json["errors"]["errors"]
    far = post(
        {"household_id": str(here.id), "problem": "x", "responsible": users["far_supervisor"].username}
    )
    assert far.status_code == 422
    other_visit = build_visit(there, users["cadre"], state="checked")
    wrong_visit = post({"household_id": str(here.id), "problem": "x", "visit_id": str(other_visit.id)})
    assert wrong_visit.status_code == 422 and "visit_id" in wrong_visit.json["errors"]["errors"]
    assert RectificationItem.objects.count() == 0
