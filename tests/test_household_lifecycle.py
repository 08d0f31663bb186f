"""The household's poverty status: every transition of the machine, decisions with reasons and evidence,
the approved visit that puts a lifted household under monitoring, 即时帮扶, a candidate household's
identification step by step, and the lifecycle counts in the verification report."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.adjustment import decisions
from app.audit.models import AuditEvent
from app.errors import DoorstepError
from app.households.models import Household, PovertyEvent
from app.households.poverty import EVENTS
from app.users.service import principal_for
from tests.factories import HouseholdFactory, area_tree, id_number, make_user, token_for
from tests.stored_visits import assessment, build_visit

COUNTY, TOWN, VILLAGE = "370101000000", "370101001000", "370101001001"
TRANSITIONS = [
    (event.key, current, target)
    for event in EVENTS.values()
    if not event.procedure
    for current, targets in event.moves.items()
    for target in targets
]


@pytest.fixture
def world(app, client):
    area_tree(1)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "county": make_user("supervisor", COUNTY),
    }
    return users, {name: token_for(client, user) for name, user in users.items()}


def passing_visit(household, users):
    """An approved verification visit whose assessment passed: the evidence 脱贫 needs."""
    return build_visit(household, users["cadre"], state="approved", reviewer=users["verifier"])


@pytest.mark.parametrize(("event", "current", "target"), TRANSITIONS)
def test_each_decided_transition_is_taken_and_recorded(world, event, current, target):
    users, _ = world
    household = HouseholdFactory(village_code=VILLAGE, poverty_status=current)
    evidence = {"visit_id": str(passing_visit(household, users).id)} if event == "lift_out" else {}
    county = principal_for(users["county"])
    record = decisions.decide(county, str(household.id), event, "入户核实", to=target, evidence=evidence)
    assert Household.objects.get(id=household.id).poverty_status == target
    assert (record.event, record.from_status, record.to_status) == (event, current, target)
    assert (record.actor, record.role, record.reason, record.evidence) == (
        users["county"].username,
        "supervisor",
        "入户核实",
        evidence,
    )
    audit = AuditEvent.objects.get(action=f"household.poverty.{event}", object_id=str(household.id))
    assert (audit.details["from_status"], audit.details["to_status"]) == (current, target)


def test_decisions_through_the_api(world, client):
    users, headers = world
    household = HouseholdFactory(village_code=VILLAGE)
    url = f"/api/v1/households/{household.id}/poverty-events"
    lift_out = {"event": "lift_out", "to": "lifted_supported", "reason": "两不愁三保障全部达标"}
    assert client.post(url, json=lift_out, headers=headers["cadre"]).status_code == 403
    missing = client.post(url, json=lift_out, headers=headers["county"])
    assert missing.status_code == 422 and "evidence.visit_id" in missing.json["errors"]["errors"]
    failing = build_visit(
        household, users["cadre"], state="approved", assessed=assessment({"income"}, income=3000)
    )
    with_failing = lift_out | {"evidence": {"visit_id": str(failing.id)}}
    assert client.post(url, json=with_failing, headers=headers["county"]).status_code == 422
    passed = passing_visit(household, users)
    body = lift_out | {"evidence": {"visit_id": str(passed.id), "documents": ["脱贫验收表", "公示照片"]}}
    resp = client.post(url, json=body, headers=headers["county"])
    assert resp.status_code == 201, resp.json
    assert (resp.json["from_status"], resp.json["to_status"]) == ("poor", "lifted_supported")
    assert client.get(f"/api/v1/households/{household.id}", headers=headers["cadre"]).json[
        "poverty_label"
    ] == ("脱贫户（享受政策）")

    relapse_twice = [
        client.post(url, json={"event": "relapse", "reason": "因病返贫"}, headers=headers["county"])
    ]
    relapse_twice.append(
        client.post(url, json={"event": "relapse", "reason": "因病返贫"}, headers=headers["county"])
    )
    assert [r.status_code for r in relapse_twice] == [201, 409]
    assert relapse_twice[1].json["errors"]["reason"] == "invalid_transition"
    wrong_to = client.post(
        url, json={"event": "lift_out", "to": "poor", "reason": "x"}, headers=headers["county"]
    )
    assert wrong_to.status_code == 422
    procedure = client.post(url, json={"event": "identify", "reason": "x"}, headers=headers["county"])
    assert procedure.status_code == 422
    history = client.get(url, headers=headers["cadre"]).json
    assert [(e["event"], e["to_status"]) for e in history] == [
        ("lift_out", "lifted_supported"),
        ("relapse", "relapsed"),
    ]
    listed = client.get("/api/v1/households?poverty_status=relapsed", headers=headers["cadre"]).json
    assert [h["id"] for h in listed] == [str(household.id)]


def test_an_approved_visit_that_fails_puts_a_lifted_household_under_monitoring(world, client):
    users, headers = world
    household = HouseholdFactory(village_code=VILLAGE, poverty_status="lifted_unsupported")
    fails = assessment({"basic_medical"})
    visit = build_visit(household, users["cadre"], state="checked", assessed=fails)
    assist = {"measures": "临时救助 2000 元"}
    assist_url = f"/api/v1/households/{household.id}/assistance"
    assert client.post(assist_url, json=assist, headers=headers["cadre"]).status_code == 409  # not monitored
    for who in ("verifier", "county"):
        resp = client.post(
            f"/api/v1/visits/{visit.id}/review", json={"decision": "approve"}, headers=headers[who]
        )
        assert resp.status_code == 200, resp.json
        expected = (
            "lifted_unsupported" if who == "verifier" else "unstable"
        )  # only the last sign-off moves it
        assert Household.objects.get(id=household.id).poverty_status == expected
    (record,) = PovertyEvent.objects(household_id=str(household.id))
    assert (record.event, record.from_status, record.to_status) == (
        "monitor",
        "lifted_unsupported",
        "unstable",
    )
    assert record.actor == users["county"].username and record.evidence["visit_id"] == str(visit.id)
    assert record.evidence["failed"] == ["基本医疗有保障"]

    resp = client.post(assist_url, json=assist, headers=headers["cadre"])
    assert resp.status_code == 201 and resp.json["event"] == "assist" and resp.json["to_status"] == "unstable"

    passing = build_visit(
        HouseholdFactory(village_code=VILLAGE, poverty_status="lifted_supported"), users["cadre"]
    )
    for who in ("verifier", "county"):
        client.post(f"/api/v1/visits/{passing.id}/review", json={"decision": "approve"}, headers=headers[who])
    assert Household.objects.get(id=passing.household_id).poverty_status == "lifted_supported"


def step(client, headers, identification_id, name, decision="pass", **extra):
    body = {"step": name, "decision": decision, **extra}
    return client.post(f"/api/v1/identifications/{identification_id}/steps", json=body, headers=headers)


def test_a_candidate_household_is_identified_step_by_step(world, client):
    users, headers = world
    neighbour = HouseholdFactory(village_code=VILLAGE)
    found_in = build_visit(neighbour, users["cadre"], state="checked")
    application = {
        "household": {
            "village_code": VILLAGE,
            "head_name": "李四",
            "id_number": id_number(77),
            "members": [{"name": "李四", "relation": "户主", "health": "残疾"}],
        },
        "needs": ["dibao", "disabled"],
        "source_visit_id": str(found_in.id),
        "note": "户主申请，附低保证",
    }
    filed = client.post("/api/v1/identifications", json=application, headers=headers["cadre"])
    assert filed.status_code == 201, filed.json
    ident = filed.json
    assert (ident["status"], ident["next_step"], ident["steps"][0]["step"]) == (
        "in_progress",
        "village_review",
        "apply",
    )
    candidate = Household.objects.get(id=ident["household_id"])
    assert candidate.poverty_status == "candidate" and candidate.needs == ["dibao", "disabled"]
    assert candidate.number.startswith(f"C{VILLAGE}")
    assert (
        client.post("/api/v1/identifications", json=application, headers=headers["cadre"]).status_code == 409
    )

    assert step(client, headers["cadre"], ident["id"], "public_notice").status_code == 409  # not yet
    assert step(client, headers["verifier"], ident["id"], "village_review").status_code == 403
    assert (
        step(client, headers["cadre"], ident["id"], "village_review", note="村民代表 23 票同意").status_code
        == 200
    )
    start = date(2026, 11, 1)
    short = {"from": start.isoformat(), "to": (start + timedelta(days=3)).isoformat()}
    assert step(client, headers["cadre"], ident["id"], "public_notice", evidence=short).status_code == 422
    week = {"from": start.isoformat(), "to": (start + timedelta(days=7)).isoformat(), "objections": 0}
    assert step(client, headers["cadre"], ident["id"], "public_notice", evidence=week).status_code == 200

    assert step(client, headers["verifier"], ident["id"], "town_check").status_code == 422  # no visit cited
    visit = build_visit(candidate, users["cadre"], state="checked")
    approve = {"decision": "approve"}
    client.post(
        f"/api/v1/visits/{visit.id}/review", json=approve, headers=headers["verifier"]
    )  # town approves
    town = step(client, headers["verifier"], ident["id"], "town_check", evidence={"visit_id": str(visit.id)})
    assert town.status_code == 200, town.json
    assert step(client, headers["verifier"], ident["id"], "county_decision").status_code == 403
    decided = step(client, headers["county"], ident["id"], "county_decision", note="县扶贫办审定")
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "identified" and decided.json["next_step"] is None
    assert [(s["step"], s["role"]) for s in decided.json["steps"]] == [
        ("apply", "cadre"),
        ("village_review", "cadre"),
        ("public_notice", "cadre"),
        ("town_check", "verifier"),
        ("county_decision", "supervisor"),
    ]
    assert Household.objects.get(id=candidate.id).poverty_status == "poor"
    events = PovertyEvent.objects(household_id=str(candidate.id)).order_by("at")
    assert [(e.event, e.from_status, e.to_status) for e in events] == [
        ("register", None, "candidate"),
        ("identify", "candidate", "poor"),
    ]
    assert step(client, headers["county"], ident["id"], "county_decision").status_code == 409  # finished


def test_an_ordinary_household_declined_at_village_review(world, client):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, poverty_status="ordinary")
    body = {"household_id": str(household.id), "needs": ["low_income"]}
    ident = client.post("/api/v1/identifications", json=body, headers=headers["cadre"]).json
    assert Household.objects.get(id=household.id).poverty_status == "candidate"
    assert step(client, headers["cadre"], ident["id"], "village_review", "fail").status_code == 422  # why?
    declined = step(client, headers["cadre"], ident["id"], "village_review", "fail", note="收入高于标准")
    assert declined.json["status"] == "declined"
    assert Household.objects.get(id=household.id).poverty_status == "ordinary"
    poor = HouseholdFactory(village_code=VILLAGE)
    refused = client.post(
        "/api/v1/identifications", json=body | {"household_id": str(poor.id)}, headers=headers["cadre"]
    )
    assert refused.status_code == 409  # already on the register


def test_report_carries_lifecycle_counts(world, client):
    users, headers = world
    county = principal_for(users["county"])

    def household(status):
        return HouseholdFactory(village_code=VILLAGE, poverty_status=status)

    for _ in range(2):
        lifted = household("poor")
        visit = passing_visit(lifted, users)
        decisions.decide(county, str(lifted.id), "lift_out", "达标", evidence={"visit_id": str(visit.id)})
    decisions.decide(county, str(household("lifted_supported").id), "relapse", "因灾返贫")
    decisions.decide(county, str(household("lifted_unsupported").id), "monitor", "收入骤降")
    decisions.decide(county, str(household("ordinary").id), "monitor", "突发重病", to="sudden_hardship")
    decisions.decide(county, str(household("poor").id), "remove", "识别不准，清退")
    household("marginal")

    report = client.get(f"/api/v1/reports/verification?area={TOWN}", headers=headers["county"]).json
    (row,) = report["rows"]
    assert row["lifecycle"] == row["lifecycle"] | {
        "poor": 0,
        "lifted_supported": 2,
        "lifted_unsupported": 0,
        "unstable": 1,
        "marginal": 1,
        "sudden_hardship": 1,
        "relapsed": 1,
        "monitored": 3,
        "lift_out_this_year": 2,
        "relapse_this_year": 1,
        "monitor_this_year": 2,
        "remove_this_year": 1,
        "identify_this_year": 0,
    }
    assert row["households"] == 6  # of 7: the removed one is no longer a household to visit
    assert report["total"]["lifecycle"] == row["lifecycle"]
    last_year = client.get(
        f"/api/v1/reports/verification?area={TOWN}&year={report['year'] - 1}", headers=headers["county"]
    ).json
    assert last_year["total"]["lifecycle"]["lift_out_this_year"] == 0
    assert last_year["total"]["lifecycle"]["lifted_supported"] == 2  # statuses are as of now


def test_only_the_machine_moves_poverty_status(world):
    users, _ = world
    household = HouseholdFactory(village_code=VILLAGE, poverty_status="removed")
    with pytest.raises(DoorstepError) as err:
        decisions.decide(principal_for(users["county"]), str(household.id), "dissolve", "户已注销")
    assert err.value.reason == "invalid_transition"
    assert PovertyEvent.objects.count() == 0
