"""Review at the first level (town verifiers) of the default chain: decisions, their effect on households,
races, roles, areas, bulk, history. The levels above are in tests/test_review_chain.py."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from bson import ObjectId

from app.audit.models import AuditEvent
from app.errors import DoorstepError
from app.households.models import Household
from app.rectification.models import RectificationItem
from app.review import service
from app.users.service import principal_for
from app.visits.models import Visit
from tests.api_submissions import evidence, put_attachment, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import T0, assessment, build_visit

TOWN, OTHER_TOWN = "370101001000", "370101002000"
VILLAGE, VILLAGE_2, OTHER_VILLAGE = "370101001001", "370101001002", "370101002001"


@pytest.fixture
def world(app, client):
    area_tree(2)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "other_verifier": make_user("verifier", OTHER_TOWN),
        "supervisor": make_user("supervisor", "370101000000"),
    }
    users["helper"] = users["cadre"]
    headers = {name: token_for(client, user) for name, user in users.items()}
    return users, headers


def review(client, headers, visit_id, decision, comment=None, **extra):
    body = {"decision": decision, **({"comment": comment} if comment is not None else {}), **extra}
    return client.post(f"/api/v1/visits/{visit_id}/review", json=body, headers=headers)


def household_in(village=VILLAGE, helper=None, **kw):
    extra = {"helper_id": str(helper.id), "helper_name": helper.username} if helper else {}
    return HouseholdFactory(village_code=village, **extra, **kw)


def test_intake_checks_then_town_and_county_approval_verify_household(world, client, run_worker):
    """The whole path: phone upload, real worker checks and assessment, town queue, town approval,
    county queue, county approval, household."""
    users, headers = world
    household = household_in(lat=36.45, lon=115.45)
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers["cadre"]).json
    for slot, body in evidence(household, seed=7).items():
        assert put_attachment(client, headers["cadre"], visit["id"], slot, body).status_code == 201
    run_worker()
    checked = Visit.objects.get(id=visit["id"])
    assert checked.state == "checked" and checked.assessment["indicators"]

    queue = client.get("/api/v1/review/queue", headers=headers["verifier"])
    assert queue.status_code == 200
    (item,) = queue.json
    assert item["id"] == visit["id"] and item["summary"]["failed_checks"] == []
    photos = item["summary"]["photos"]
    assert [p["slot"] for p in photos] == [
        "photo.front_of_house",
        "photo.stove",
        "photo.bedroom",
        "photo.living_room",
    ]
    assert all(p["thumbnail_url"] and p["url"] and p["exif"]["taken_at"] for p in photos)
    assert photos[0]["exif"]["gps"]["lat"] == pytest.approx(36.45, abs=1e-4)

    resp = review(client, headers["verifier"], visit["id"], "approve")
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "in_review" and resp.json["review_level"] == "county"
    assert resp.json["review"]["decision"] == "approve" and resp.json["review"]["level"] == "town"
    assert resp.json["review"]["reviewer_id"] == str(users["verifier"].id)
    household.reload()
    assert household.status == "checked"  # not verified until the last level signs
    assert client.get("/api/v1/review/queue", headers=headers["verifier"]).json == []
    (waiting,) = client.get("/api/v1/review/queue", headers=headers["supervisor"]).json
    assert waiting["id"] == visit["id"]

    resp = review(client, headers["supervisor"], visit["id"], "approve")
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "approved" and resp.json["review_level"] is None
    assert [(s["level"], s["reviewer"]) for s in resp.json["signoffs"]] == [
        ("town", users["verifier"].username),
        ("county", users["supervisor"].username),
    ]
    household.reload()
    assert household.status == "verified"
    assert household.verified_visit_id == visit["id"]
    assert household.latest_assessment == checked.assessment

    history = client.get(f"/api/v1/visits/{visit['id']}/history", headers=headers["verifier"]).json
    steps = [(c["state"], c["actor"], c["role"], c["level"]) for c in history["changes"]]
    assert steps == [
        ("receiving", users["cadre"].username, "cadre", None),
        ("submitted", users["cadre"].username, "cadre", None),
        ("checked", "checks", "system", None),
        ("in_review", users["verifier"].username, "verifier", "town"),
        ("approved", users["supervisor"].username, "supervisor", "county"),
    ]
    assert all(c["at"] for c in history["changes"])
    actions = [e["action"] for e in history["audit"]]
    assert actions[0] == "visit.create" and "visit.submit" in actions
    assert actions[-3:] == ["visit.checked", "visit.review", "visit.review"]
    assert client.get("/api/v1/review/queue", headers=headers["supervisor"]).json == []


def test_request_revisit_sends_household_back_to_the_cadre(world, client):
    users, headers = world
    household = household_in(helper=users["helper"])
    visit = build_visit(household, users["cadre"], state="checked")
    resp = review(
        client,
        headers["verifier"],
        str(visit.id),
        "request_revisit",
        "灶前照片看不清",
        slot_comments={"photo.stove": "照片模糊，请重拍", "photo.bedroom": "  "},
    )
    assert resp.status_code == 200, resp.json
    visit.reload()
    assert visit.state == "revisit_requested" and visit.decided_at is not None
    assert visit.review["comment"] == "灶前照片看不清"
    assert visit.review["slot_comments"] == {"photo.stove": "照片模糊，请重拍"}
    assert visit.history[-1].state == "revisit_requested" and visit.history[-1].note == "灶前照片看不清"
    household.reload()
    assert household.status == "revisit_requested"
    assert household.verified_visit_id is None

    listed = client.get("/api/v1/households?status=revisit_requested", headers=headers["cadre"]).json
    assert [h["id"] for h in listed] == [str(household.id)]
    (item,) = RectificationItem.objects(visit_id=str(visit.id))
    assert item.source == "review" and item.code == "request_revisit" and item.status == "open"
    assert "灶前照片看不清" in item.problem and "[photo.stove] 照片模糊，请重拍" in item.problem
    assert item.responsible_id == str(users["helper"].id)
    (event,) = AuditEvent.objects(action="visit.review", object_id=str(visit.id))
    assert event.details["decision"] == "request_revisit" and event.details["from_state"] == "checked"
    assert event.details["household_status"] == "revisit_requested"


def test_reject_needs_a_comment_then_marks_household_rejected(world, client):
    users, headers = world
    household = household_in()
    visit = build_visit(household, users["cadre"], state="checked")
    for comment in (None, "   "):
        resp = review(client, headers["verifier"], str(visit.id), "reject", comment)
        assert resp.status_code == 422
        assert "comment" in resp.json["errors"]["errors"]
    assert Visit.objects.get(id=visit.id).state == "checked"
    resp = review(client, headers["verifier"], str(visit.id), "reject", "户主不在家，照片非本户")
    assert resp.status_code == 200 and resp.json["state"] == "rejected"
    household.reload()
    assert household.status == "rejected"
    assert RectificationItem.objects(visit_id=str(visit.id), code="reject").count() == 1


def test_approving_a_visit_with_failed_checks_needs_a_comment(world, client):
    users, headers = world
    household = household_in()
    assessed = assessment({"housing_safety"}, income=3000)
    visit = build_visit(household, users["cadre"], failed={"photo_time": ["photo.stove"]}, assessed=assessed)
    assert visit.state == "has_issues"
    resp = review(client, headers["verifier"], str(visit.id), "approve")
    assert resp.status_code == 422 and "comment" in resp.json["errors"]["errors"]
    resp = review(client, headers["verifier"], str(visit.id), "approve", "已电话核实，拍照时间设置错误")
    assert resp.status_code == 200 and resp.json["state"] == "in_review"
    assert Household.objects.get(id=household.id).status == "has_issues"
    assert review(client, headers["supervisor"], str(visit.id), "approve").json["state"] == "approved"
    household.reload()
    assert household.status == "verified" and household.latest_assessment == assessed
    assert RectificationItem.objects(visit_id=str(visit.id)).count() == 0  # approvals open nothing


def test_deciding_twice_is_409_and_changes_nothing(world, client):
    users, headers = world
    visit = build_visit(household_in(), users["cadre"], state="checked")
    assert review(client, headers["verifier"], str(visit.id), "approve").status_code == 200
    for decision in ("approve", "reject"):
        resp = review(client, headers["verifier"], str(visit.id), decision, "再来一次")
        assert resp.status_code == 409
        assert resp.json["errors"]["reason"] == "already_decided"
    visit.reload()
    assert visit.state == "in_review" and visit.review["decision"] == "approve"
    assert [h.state for h in visit.history].count("in_review") == 1
    assert AuditEvent.objects(action="visit.review", object_id=str(visit.id)).count() == 1


def test_concurrent_decisions_exactly_one_wins(world):
    users, _ = world
    household = household_in()
    visit = build_visit(household, users["cadre"], state="checked")
    principals = [principal_for(users["verifier"]), principal_for(make_user("verifier", TOWN))]
    start, outcomes = threading.Barrier(2), []

    def decide(principal, decision):
        start.wait()
        try:
            outcomes.append(("ok", service.decide(principal, str(visit.id), decision, "并发").state))
        except DoorstepError as err:
            outcomes.append((err.reason, err.status))

    threads = [
        threading.Thread(target=decide, args=(principals[0], "approve")),
        threading.Thread(target=decide, args=(principals[1], "reject")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wins = [o for o in outcomes if o[0] == "ok"]
    assert len(wins) == 1, outcomes
    assert [o for o in outcomes if o[0] != "ok"] == [("already_decided", 409)]
    visit.reload()
    assert visit.state == wins[0][1]
    assert len(visit.history) == 4  # receiving, submitted, checked, one decision
    assert AuditEvent.objects(action="visit.review", object_id=str(visit.id)).count() == 1
    household.reload()
    assert household.status == {"in_review": "checked", "rejected": "rejected"}[visit.state]


def test_only_town_verifiers_decide_first_and_only_in_their_towns(world, client):
    users, headers = world
    visit = build_visit(household_in(), users["cadre"], state="checked")
    for role in ("cadre", "supervisor"):
        resp = review(client, headers[role], str(visit.id), "approve")
        assert resp.status_code == 403, role
    assert client.get("/api/v1/review/queue", headers=headers["cadre"]).status_code == 403
    assert client.get("/api/v1/review/queue", headers=headers["supervisor"]).json == []  # the county's
    assert review(client, headers["other_verifier"], str(visit.id), "approve").status_code == 404
    assert review(client, headers["verifier"], str(ObjectId()), "approve").status_code == 404
    assert review(client, headers["verifier"], "not-an-id", "approve").status_code == 404
    bad = review(client, headers["verifier"], str(visit.id), "maybe")
    assert bad.status_code == 422
    unknown_slot = review(
        client, headers["verifier"], str(visit.id), "reject", "x", slot_comments={"photo.roof": "?"}
    )
    assert unknown_slot.status_code == 422 and "slot_comments" in unknown_slot.json["errors"]["errors"]
    assert Visit.objects.get(id=visit.id).state == "checked"


def test_queue_is_scoped_filtered_and_oldest_first(world, client, store):
    users, headers = world
    older = build_visit(household_in(VILLAGE_2), users["cadre"], state="checked", submitted_at=T0)
    oldest = build_visit(
        household_in(),
        users["cadre"],
        failed={"photo_reuse": ["photo.stove", "photo.bedroom"], "signature_distinct": [None]},
        warnings=("photo_location",),
        submitted_at=T0 - timedelta(days=2),
        store=store,
    )
    newest = build_visit(household_in(), users["cadre"], state="checked", submitted_at=T0 + timedelta(days=1))
    build_visit(household_in(), users["cadre"], state="approved")
    build_visit(household_in(), users["cadre"], state="receiving")
    build_visit(household_in(OTHER_VILLAGE), users["cadre"], state="checked")

    resp = client.get("/api/v1/review/queue", headers=headers["verifier"])
    assert [v["id"] for v in resp.json] == [str(oldest.id), str(older.id), str(newest.id)]
    assert '"total": 3' in resp.headers["X-Pagination"]
    first = resp.json[0]
    assert first["summary"]["failed_checks"] == ["photo_reuse", "signature_distinct"]
    assert first["summary"]["warnings"] == ["photo_location"]
    assert len(first["summary"]["photos"]) == 4
    assert all(
        p["url"].startswith("http") and "/240?e=" in p["thumbnail_url"] for p in first["summary"]["photos"]
    )
    assert first["summary"]["photos"][0]["exif"]["device"]
    assert len([a for a in first["attachments"] if a["present"]]) == 8

    only_issues = client.get("/api/v1/review/queue?state=has_issues", headers=headers["verifier"]).json
    assert [v["id"] for v in only_issues] == [str(oldest.id)]
    village_2 = client.get(f"/api/v1/review/queue?area={VILLAGE_2}", headers=headers["verifier"]).json
    assert [v["id"] for v in village_2] == [str(older.id)]
    page = client.get("/api/v1/review/queue?page=2&page_size=1", headers=headers["verifier"])
    assert [v["id"] for v in page.json] == [str(older.id)]
    other = client.get("/api/v1/review/queue", headers=headers["other_verifier"]).json
    assert len(other) == 1 and other[0]["area_code"] == OTHER_VILLAGE
    assert client.get("/api/v1/review/queue?state=approved", headers=headers["verifier"]).status_code == 422


def test_bulk_approve_reports_each_visit(world, client):
    users, headers = world
    ok_1 = build_visit(household_in(), users["cadre"], state="checked")
    ok_2 = build_visit(household_in(), users["cadre"], state="checked")
    decided = build_visit(household_in(), users["cadre"], state="rejected", reviewer=users["verifier"])
    issues = build_visit(household_in(), users["cadre"], failed={"photo_time": ["photo.stove"]})
    elsewhere = build_visit(household_in(OTHER_VILLAGE), users["cadre"], state="checked")
    missing = str(ObjectId())
    ids = [
        str(ok_1.id),
        str(decided.id),
        missing,
        str(issues.id),
        str(elsewhere.id),
        str(ok_2.id),
        str(ok_1.id),
    ]

    resp = client.post("/api/v1/review/bulk-approve", json={"visit_ids": ids}, headers=headers["verifier"])
    assert resp.status_code == 200
    results = {r["visit_id"]: r for r in resp.json}
    assert len(resp.json) == 6  # the repeated id is decided once
    assert results[str(ok_1.id)] == {"visit_id": str(ok_1.id), "ok": True, "state": "in_review"}
    assert results[str(ok_2.id)]["ok"] and results[str(ok_2.id)]["state"] == "in_review"
    assert results[str(decided.id)]["error"]["reason"] == "already_decided"
    assert results[str(decided.id)]["error"]["code"] == 409
    assert results[missing]["error"] == {
        "code": 404,
        "reason": "not_found",
        "message": results[missing]["error"]["message"],
    }
    assert results[str(elsewhere.id)]["error"]["code"] == 404
    assert results[str(issues.id)]["error"]["reason"] == "validation_failed"
    assert not any(r["ok"] for r in resp.json if r["visit_id"] not in (str(ok_1.id), str(ok_2.id)))
    assert Visit.objects.get(id=issues.id).state == "has_issues"
    assert Visit.objects.get(id=decided.id).state == "rejected"
    assert Household.objects(status="verified").count() == 0  # the county has not signed yet
    county = client.post(
        "/api/v1/review/bulk-approve",
        json={"visit_ids": [str(ok_1.id), str(ok_2.id), str(issues.id)]},
        headers=headers["supervisor"],
    ).json
    assert [(r["ok"], r.get("state")) for r in county] == [
        (True, "approved"),
        (True, "approved"),
        (False, None),
    ]
    assert county[2]["error"]["code"] == 403  # still waiting for the town
    assert Household.objects(status="verified").count() == 2

    with_comment = client.post(
        "/api/v1/review/bulk-approve",
        json={"visit_ids": [str(issues.id)], "comment": "逐户电话核实"},
        headers=headers["verifier"],
    )
    assert with_comment.json == [{"visit_id": str(issues.id), "ok": True, "state": "in_review"}]
    forbidden = client.post("/api/v1/review/bulk-approve", json={"visit_ids": ids}, headers=headers["cadre"])
    assert forbidden.status_code == 403
    empty = client.post("/api/v1/review/bulk-approve", json={"visit_ids": []}, headers=headers["verifier"])
    assert empty.status_code == 422


def test_history_shows_changes_to_all_and_audit_to_reviewers(world, client):
    users, headers = world
    visit = build_visit(household_in(), users["cadre"], state="checked")
    review(client, headers["verifier"], str(visit.id), "reject", "签字疑似代签")
    as_cadre = client.get(f"/api/v1/visits/{visit.id}/history", headers=headers["cadre"])
    assert as_cadre.status_code == 200
    assert [c["state"] for c in as_cadre.json["changes"]] == ["receiving", "submitted", "checked", "rejected"]
    last = as_cadre.json["changes"][-1]
    assert (last["actor"], last["actor_id"], last["role"], last["note"]) == (
        users["verifier"].username,
        str(users["verifier"].id),
        "verifier",
        "签字疑似代签",
    )
    assert as_cadre.json["review"]["decision"] == "reject" and as_cadre.json["audit"] is None
    as_supervisor = client.get(f"/api/v1/visits/{visit.id}/history", headers=headers["supervisor"]).json
    assert [e["action"] for e in as_supervisor["audit"]] == ["visit.review"]
    assert (
        client.get(f"/api/v1/visits/{visit.id}/history", headers=headers["other_verifier"]).status_code == 404
    )


def test_deciding_an_older_visit_leaves_the_household_to_the_newer_one(world, client):
    users, headers = world
    household = household_in()
    older = build_visit(household, users["cadre"], state="checked", submitted_at=T0 - timedelta(days=3))
    build_visit(household, users["cadre"], state="submitted")
    household.reload()
    assert household.status == "visit_submitted"
    assert review(client, headers["verifier"], str(older.id), "approve").status_code == 200
    household.reload()
    assert household.status == "visit_submitted" and household.verified_visit_id is None


def test_a_decision_landing_between_read_and_write_wins_and_ours_changes_nothing(world, monkeypatch):
    """The conditional update is what makes a decision atomic: simulate the other verifier's write
    arriving after our checks passed but before our update."""
    users, _ = world
    household = household_in()
    visit = build_visit(household, users["cadre"], state="checked")
    checks_passed = service._check_input

    def other_verifier_decides_meanwhile(*args):
        checks_passed(*args)
        Visit.objects(id=visit.id).update_one(set__state="rejected", set__review={"decision": "reject"})

    monkeypatch.setattr(service, "_check_input", other_verifier_decides_meanwhile)
    with pytest.raises(DoorstepError) as err:
        service.decide(principal_for(users["verifier"]), str(visit.id), "approve")
    assert err.value.reason == "already_decided"
    visit.reload()
    assert visit.review == {"decision": "reject"} and visit.history[-1].state == "checked"
    assert Household.objects.get(id=household.id).status == "checked"
    assert AuditEvent.objects(action="visit.review").count() == 0
