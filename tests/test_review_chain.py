"""Sign-off up the review chain: county send-back and a linked correction, a chain set per area, the
city's re-check overturning an approval, and concurrent sign-offs at one level."""

from __future__ import annotations

import threading

import pytest

from app.auth.principal import SYSTEM
from app.errors import DoorstepError
from app.households.models import Household
from app.rectification.models import RectificationItem
from app.review import service
from app.review.chains import Chain, entry_fields
from app.samples.draw import pick
from app.users.service import principal_for
from app.visits.models import Visit
from tests.api_submissions import evidence, put_attachment, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import build_visit

CITY, COUNTY, TOWN, VILLAGE = "370100000000", "370101000000", "370101001000", "370101001001"
OTHER_COUNTY = "370102000000"


@pytest.fixture
def world(app, client):
    area_tree(2)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "county": make_user("supervisor", COUNTY),
        "county_2": make_user("supervisor", COUNTY),
        "other_county": make_user("supervisor", OTHER_COUNTY),
        "city": make_user("supervisor", CITY),
    }
    headers = {name: token_for(client, user) for name, user in users.items()}
    return users, headers


def review(client, headers, visit_id, decision, comment=None, **extra):
    body = {"decision": decision, **({"comment": comment} if comment else {}), **extra}
    return client.post(f"/api/v1/visits/{visit_id}/review", json=body, headers=headers)


def test_sent_back_at_county_and_corrected_by_a_linked_revisit(world, client, run_worker):
    users, headers = world
    household = HouseholdFactory(village_code=VILLAGE, helper_id=str(users["cadre"].id), helper_name="帮扶人")
    old = build_visit(household, users["cadre"], state="checked")
    assert review(client, headers["verifier"], str(old.id), "approve").json["state"] == "in_review"
    assert review(client, headers["other_county"], str(old.id), "approve").status_code == 404
    sent_back = review(
        client,
        headers["county"],
        str(old.id),
        "request_revisit",
        "灶前照片与住房等级不符",
        slot_comments={"photo.stove": "请重拍灶前"},
    )
    assert sent_back.status_code == 200, sent_back.json
    assert sent_back.json["state"] == "revisit_requested" and sent_back.json["review_level"] is None
    assert [(s["level"], s["decision"]) for s in sent_back.json["signoffs"]] == [
        ("town", "approve"),
        ("county", "request_revisit"),
    ]
    assert Household.objects.get(id=household.id).status == "revisit_requested"
    (item,) = RectificationItem.objects(visit_id=str(old.id))
    assert "[photo.stove] 请重拍灶前" in item.problem

    # the cadre goes back, corrects the answers, re-takes the photos and files the revisit
    payload = visit_payload(household, seed=2, revises=str(old.id))
    created = client.post("/api/v1/visits", json=payload, headers=headers_of(client, users["cadre"]))
    assert created.status_code == 201, created.json
    new_id = created.json["id"]
    assert created.json["revises"] == str(old.id)
    for slot, body in evidence(household, seed=9).items():
        assert (
            put_attachment(client, headers_of(client, users["cadre"]), new_id, slot, body).status_code == 201
        )
    run_worker()
    assert Visit.objects.get(id=old.id).revised_by == new_id
    again = client.post(
        "/api/v1/visits",
        json=visit_payload(household, seed=3, revises=str(old.id)),
        headers=headers["cadre"],
    )
    assert again.status_code == 409 and again.json["errors"]["reason"] == "already_revised"
    not_sent_back = client.post(
        "/api/v1/visits", json=visit_payload(household, seed=4, revises=new_id), headers=headers["cadre"]
    )
    assert not_sent_back.status_code == 409 and not_sent_back.json["errors"]["reason"] == "invalid_transition"
    assert Visit.objects(household_id=str(household.id)).count() == 2  # the refused ones left nothing

    assert review(client, headers["verifier"], new_id, "approve", "已复核").json["state"] == "in_review"
    assert review(client, headers["county"], new_id, "approve", "同意").json["state"] == "approved"
    household.reload()
    assert household.status == "verified" and household.verified_visit_id == new_id

    for visit_id in (new_id, str(old.id)):
        history = client.get(f"/api/v1/visits/{visit_id}/history", headers=headers["cadre"]).json
        assert [r["visit_id"] for r in history["revisions"]] == [str(old.id), new_id]
    history = client.get(f"/api/v1/visits/{new_id}/history", headers=headers["cadre"]).json
    assert history["revises"] == str(old.id)
    old_steps = [(c["state"], c["level"]) for c in history["revisions"][0]["changes"]][-2:]
    assert old_steps == [("in_review", "town"), ("revisit_requested", "county")]
    new_steps = [(c["state"], c["level"]) for c in history["revisions"][1]["changes"]]
    assert new_steps[-2:] == [("in_review", "town"), ("approved", "county")]


def headers_of(client, user) -> dict:
    return token_for(client, user)


def test_chain_is_data_set_per_area_and_visits_keep_theirs(world, client):
    users, headers = world
    default = client.get(f"/api/v1/review/chains/{VILLAGE}", headers=headers["verifier"]).json
    assert default == {
        "area_code": VILLAGE,
        "levels": ["town", "county"],
        "recheck_percent": 5.0,
        "source": "default",
    }

    three = {"levels": ["town", "county", "city"], "reason": "市级逐户审核试点"}
    assert (
        client.put(f"/api/v1/review/chains/{TOWN}", json=three, headers=headers["verifier"]).status_code
        == 403
    )
    for bad in (
        {"levels": ["county", "town"]},
        {"levels": ["town", "city"], "recheck_percent": 10},
        {"levels": []},
    ):
        resp = client.put(f"/api/v1/review/chains/{TOWN}", json=bad, headers=headers["county"])
        assert resp.status_code == 422, bad
    only_town = client.put(
        f"/api/v1/review/chains/{TOWN}", json={"levels": ["town"]}, headers=headers["county"]
    )
    assert only_town.status_code == 403  # the county cannot waive its own sign-off
    resp = client.put(f"/api/v1/review/chains/{TOWN}", json=three, headers=headers["county"])
    assert resp.status_code == 200, resp.json
    chain = client.get(f"/api/v1/review/chains/{VILLAGE}", headers=headers["cadre"]).json
    assert (chain["levels"], chain["source"]) == (["town", "county", "city"], TOWN)

    # the check job gives a visit its area's chain; the visit keeps it when the area's chain changes
    household = HouseholdFactory(village_code=VILLAGE)
    visit = build_visit(household, users["cadre"], state="checked")
    visit.update(**{f"set__{k}": v for k, v in entry_fields(visit.area_path, Chain(("town",))).items()})
    assert client.delete(f"/api/v1/review/chains/{TOWN}", headers=headers["county"]).status_code == 204
    assert (
        client.get(f"/api/v1/review/chains/{VILLAGE}", headers=headers["cadre"]).json["source"] == "default"
    )

    steps = [("verifier", "in_review", "county"), ("county", "in_review", "city"), ("city", "approved", None)]
    for who, state, waiting_for in steps:
        assert client.get("/api/v1/review/queue", headers=headers[who]).json[0]["id"] == str(visit.id)
        resp = review(client, headers[who], str(visit.id), "approve")
        assert (resp.json["state"], resp.json["review_level"]) == (state, waiting_for), resp.json
    visit.reload()
    assert [(h.state, h.level, h.role) for h in visit.history[-3:]] == [
        ("in_review", "town", "verifier"),
        ("in_review", "county", "supervisor"),
        ("approved", "city", "supervisor"),
    ]
    assert Household.objects.get(id=household.id).status == "verified"
    assert client.get("/api/v1/review/queue?level=county", headers=headers["verifier"]).status_code == 403


def test_city_recheck_draws_a_seeded_sample_and_can_overturn_an_approval(world, client):
    users, headers = world
    households = [HouseholdFactory(village_code=VILLAGE) for _ in range(4)]
    approved = [
        build_visit(h, users["cadre"], state="approved", reviewer=users["verifier"]) for h in households
    ]
    build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], state="checked")  # not approved yet
    body = {"area": CITY, "seed": 7, "percent": 50}
    in_county = body | {"area": COUNTY}
    assert (
        client.post("/api/v1/review/rechecks", json=in_county, headers=headers["county"]).status_code == 403
    )

    drawn = client.post("/api/v1/review/rechecks", json=body, headers=headers["city"])
    assert drawn.status_code == 201, drawn.json
    ids = sorted(str(v.id) for v in approved)
    assert drawn.json["candidates"] == 4
    assert drawn.json["visit_ids"] == pick(7, CITY, ids, 2)  # reproducible: the seed decides
    stored = client.get(f"/api/v1/review/rechecks/{drawn.json['id']}", headers=headers["city"]).json
    assert stored["visit_ids"] == drawn.json["visit_ids"] and stored["seed"] == 7
    queue = client.get("/api/v1/review/queue", headers=headers["city"]).json
    assert sorted(v["id"] for v in queue) == sorted(drawn.json["visit_ids"])
    assert all(v["state"] == "approved" and v["recheck"]["status"] == "pending" for v in queue)

    overturned, confirmed = drawn.json["visit_ids"]
    assert review(client, headers["county"], overturned, "reject", "x").status_code == 403
    assert review(client, headers["city"], overturned, "reject").status_code == 422  # a reason is required
    resp = review(client, headers["city"], overturned, "reject", "复核发现住房照片非本户")
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "rejected" and resp.json["recheck"]["status"] == "overturned"
    assert resp.json["signoffs"][-1]["level"] == "city"
    household = Household.objects.get(id=Visit.objects.get(id=overturned).household_id)
    assert household.status == "rejected"
    assert RectificationItem.objects(visit_id=overturned, code="reject").count() == 1

    resp = review(client, headers["city"], confirmed, "approve")
    assert resp.json["state"] == "approved" and resp.json["recheck"]["status"] == "confirmed"
    visit = Visit.objects.get(id=confirmed)
    assert (visit.history[-1].state, visit.history[-1].level) == ("approved", "city")
    assert Household.objects.get(id=visit.household_id).status == "verified"
    assert (
        review(client, headers["city"], confirmed, "reject", "再议").json["errors"]["reason"]
        == "already_decided"
    )
    assert client.get("/api/v1/review/queue", headers=headers["city"]).json == []

    again = client.post("/api/v1/review/rechecks", json=body, headers=headers["city"]).json
    assert again["candidates"] == 2 and set(again["visit_ids"]).isdisjoint(drawn.json["visit_ids"])


def test_concurrent_signoffs_at_one_level_exactly_one_wins(world):
    users, _ = world
    visit = build_visit(HouseholdFactory(village_code=VILLAGE), users["cadre"], state="checked")
    service.decide(principal_for(users["verifier"]), str(visit.id), "approve")
    start, outcomes = threading.Barrier(2), []

    def decide(user, decision):
        start.wait()
        try:
            outcomes.append(
                ("ok", service.decide(principal_for(user), str(visit.id), decision, "并发").state)
            )
        except DoorstepError as err:
            outcomes.append((err.reason, err.status))

    threads = [
        threading.Thread(target=decide, args=(users["county"], "approve")),
        threading.Thread(target=decide, args=(users["county_2"], "reject")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(o[0] for o in outcomes) == ["already_decided", "ok"], outcomes
    visit.reload()
    assert len(visit.signoffs) == 2 and visit.state in ("approved", "rejected")
    assert [h.level for h in visit.history].count("county") == 1
    with pytest.raises(DoorstepError) as err:
        service.decide(SYSTEM, str(visit.id), "approve")
    assert err.value.reason == "forbidden"  # admins configure chains; they do not sign (谁签字谁负责)
