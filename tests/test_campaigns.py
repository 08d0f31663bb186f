"""Campaigns (自查 / 互查 / 整改): opening, the lot for mutual-check teams, tagged visits, team progress and
the rectification ledger they feed, run end to end on the real servers with a real worker."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.area_codes import ancestors
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.campaigns.draw import cycle, draw_teams
from app.campaigns.models import Assignment, Campaign, Phase, Team
from app.campaigns.schedule import campaign_tag
from app.clock import china_date, now
from app.rectification.models import RectificationItem
from app.users.models import User
from app.users.service import principal_for
from app.visits.models import Visit
from devkit.imagegen import make_photo
from tests.api_submissions import evidence, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

COUNTY = "370101000000"
TOWNS = [f"370101{t:03d}000" for t in (1, 2, 3)]


def village_of(town: str) -> str:
    return town[:9] + "001"


def phases(today: date) -> list[dict]:
    """Self-check done, mutual check running today, rectification running on to a month from now."""
    return [
        {
            "name": "mutual_check",
            "starts_on": str(today - timedelta(days=1)),
            "ends_on": str(today + timedelta(days=2)),
        },
        {
            "name": "self_check",
            "starts_on": str(today - timedelta(days=9)),
            "ends_on": str(today - timedelta(days=2)),
        },
        {
            "name": "rectification",
            "starts_on": str(today - timedelta(days=9)),
            "ends_on": str(today + timedelta(days=30)),
        },
    ]


@pytest.fixture
def world(app, client):
    area_tree(3)
    users = {"supervisor": make_user("supervisor", COUNTY)}
    households = {}
    for n, town in enumerate(TOWNS, start=1):
        cadre = make_user("cadre", village_of(town), username=f"cadre{n}")
        users[f"cadre{n}"] = cadre
        users[f"verifier{n}"] = make_user("verifier", town, username=f"verifier{n}")
        households[n] = [
            HouseholdFactory(
                village_code=village_of(town),
                helper_id=str(cadre.id),
                helper_name=f"帮扶人{n}",
                lat=36.45,
                lon=115.45,
            )
            for _ in range(2)
        ]
    headers = {name: token_for(client, user) for name, user in users.items()}
    return users, headers, households


def submit(client, headers, household, started_at: datetime, seed: int):
    """A whole visit in one multipart request, photos taken at the household during the visit."""
    payload = visit_payload(
        household,
        seed=seed,
        started_at=started_at.isoformat(),
        ended_at=(started_at + timedelta(minutes=40)).isoformat(),
    )
    data = {"visit": json.dumps(payload)}
    files = evidence(household, seed, taken_at=started_at + timedelta(minutes=10))
    data |= {slot: (io.BytesIO(body), f"{slot}.bin") for slot, body in files.items()}
    return client.post("/api/v1/visits", data=data, headers=headers, content_type="multipart/form-data")


def team_of(campaign: dict, home: str) -> dict:
    return next(t for t in campaign["teams"] if t["home_code"] == home)


def test_campaign_end_to_end(world, client, run_worker):
    users, headers, households = world
    today = china_date(now())
    body = {"area": COUNTY, "name": "2026年脱贫攻坚自查互查", "phases": phases(today)}
    assert client.post("/api/v1/campaigns", json=body, headers=headers["cadre1"]).status_code == 403
    resp = client.post("/api/v1/campaigns", json=body, headers=headers["supervisor"])
    assert resp.status_code == 201, resp.json
    campaign = resp.json
    assert [p["name"] for p in campaign["phases"]] == ["self_check", "mutual_check", "rectification"]
    assert [p["label"] for p in campaign["phases"]] == ["自查", "互查", "整改"]
    assert campaign["unit_level"] == "town" and campaign["teams"] == []
    again = client.post("/api/v1/campaigns", json=body | {"area": TOWNS[0]}, headers=headers["supervisor"])
    assert again.status_code == 409  # a campaign inside a running one over the same dates
    url = f"/api/v1/campaigns/{campaign['id']}"
    # cadres inside the area see the campaign; a supervisor of another county does not
    assert client.get(url, headers=headers["cadre2"]).status_code == 200
    listed = client.get("/api/v1/campaigns", headers=headers["cadre2"])
    assert [c["id"] for c in listed.json] == [campaign["id"]] and "X-Pagination" in listed.headers
    far = token_for(client, make_user("supervisor", "370102000000"))
    assert client.get(url, headers=far).status_code == 404
    assert client.get("/api/v1/campaigns", headers=far).json == []

    # 自查: a cadre's own household, during the self-check dates
    own = households[1][0]
    started = datetime.combine(today - timedelta(days=5), datetime.min.time(), UTC) + timedelta(hours=2)
    visit = client.post(
        "/api/v1/visits",
        json=visit_payload(
            own, started_at=started.isoformat(), ended_at=(started + timedelta(hours=1)).isoformat()
        ),
        headers=headers["cadre1"],
    ).json
    assert visit["campaign"] == {"id": campaign["id"], "phase": "self_check", "team": None}

    # before the draw, another town's household is out of reach
    other = households[2][0]
    assert client.get(f"/api/v1/households/{other.id}", headers=headers["cadre1"]).status_code == 404

    # 互查: the lot, recorded and audited, once
    drawn = client.post(f"{url}/draw", json={"seed": 20260323}, headers=headers["supervisor"])
    assert drawn.status_code == 201, drawn.json
    campaign = drawn.json
    assert campaign["seed"] == 20260323 and len(campaign["teams"]) == 3
    for team in campaign["teams"]:
        assert team["home_code"] != team["target_code"]
        assert team["households"] == 2 and team["visited"] == 0 and team["pending"] == 2
    assert {t["target_code"] for t in campaign["teams"]} == set(TOWNS)
    assert team_of(campaign, TOWNS[0])["members"] == ["cadre1"]
    assert client.post(f"{url}/draw", json={"seed": 1}, headers=headers["supervisor"]).status_code == 409
    (event,) = AuditEvent.objects(action="campaign.draw")
    assert event.actor == users["supervisor"].username and event.details["seed"] == 20260323

    # team 1 (cadre1) checks the town drawn for it; its households are now in reach, others are not
    team = team_of(campaign, TOWNS[0])
    target = TOWNS.index(team["target_code"]) + 1
    checked, rejected = households[target]
    listing = client.get(f"{url}/teams/{team['number']}/households", headers=headers["cadre1"])
    assert sorted(a["household_id"] for a in listing.json) == sorted([str(checked.id), str(rejected.id)])
    third = households[({1, 2, 3} - {1, target}).pop()][0]
    assert client.get(f"/api/v1/households/{third.id}", headers=headers["cadre1"]).status_code == 404

    right_now = now() - timedelta(hours=2)
    first = submit(client, headers["cadre1"], checked, right_now, seed=11)
    second = submit(client, headers["cadre1"], rejected, right_now, seed=12)
    assert first.status_code == 201, first.json
    assert first.json["campaign"] == {"id": campaign["id"], "phase": "mutual_check", "team": team["number"]}
    assert second.json["campaign"]["team"] == team["number"]
    run_worker()
    verifier = headers[f"verifier{target}"]
    decide = lambda v, d, c=None: client.post(  # noqa: E731
        f"/api/v1/visits/{v}/review", json={"decision": d, "comment": c}, headers=verifier
    )
    assert decide(first.json["id"], "approve").json["state"] == "in_review"  # the county signs next
    county = client.post(
        f"/api/v1/visits/{first.json['id']}/review",
        json={"decision": "approve"},
        headers=headers["supervisor"],
    )
    assert county.json["state"] == "approved", county.json
    assert decide(second.json["id"], "reject", "灶前照片非本户").status_code == 200

    progress = team_of(client.get(url, headers=headers["supervisor"]).json, TOWNS[0])
    assert (progress["visited"], progress["approved"], progress["flagged"], progress["pending"]) == (
        2,
        1,
        1,
        0,
    )
    idle = [
        t
        for t in client.get(url, headers=headers["supervisor"]).json["teams"]
        if t["number"] != team["number"]
    ]
    assert all(t["visited"] == 0 for t in idle)

    # 整改: the rejection opened a ledger item in the mutual-check phase, due at the rectification end
    item = RectificationItem.objects.get(visit_id=second.json["id"])
    assert (item.campaign_id, item.phase, item.source) == (campaign["id"], "mutual_check", "review")
    assert item.deadline == today + timedelta(days=30)
    helper = headers[f"cadre{target}"]  # the household's helper is responsible
    item_url = f"/api/v1/rectifications/{item.id}"
    assert client.patch(item_url, json={"measure": "重新入户拍照"}, headers=helper).status_code == 200
    assert (
        client.patch(item_url, json={"deadline": str(today + timedelta(days=90))}, headers=helper).status_code
        == 403
    )
    not_theirs = client.patch(item_url, json={"measure": "x"}, headers=headers["cadre1"])
    assert not_theirs.status_code in (
        403,
        404,
    )  # cadre1 sees the town for the mutual check, but is not responsible
    photo = make_photo(5, width=1000, height=800)
    put = lambda: client.put(  # noqa: E731
        f"{item_url}/evidence/photo?note=危房改造验收单",
        data=photo,
        headers=helper | {"Content-Type": "image/jpeg"},
    )
    assert put().status_code == 201
    assert put().status_code == 200 and len(RectificationItem.objects.get(id=item.id).evidence) == 1
    sha = RectificationItem.objects.get(id=item.id).evidence[0].sha256
    seen = client.get(f"{item_url}/evidence/photo/{sha}", headers=verifier)
    assert seen.status_code == 200 and seen.data == photo and seen.mimetype == "image/jpeg"
    follow_up = submit(client, helper, rejected, now() - timedelta(hours=1), seed=13)
    assert follow_up.json["campaign"] == {"id": campaign["id"], "phase": "rectification", "team": None}
    added = client.post(f"{item_url}/evidence", json={"visit_id": follow_up.json["id"]}, headers=helper)
    assert added.status_code == 201 and [e["kind"] for e in added.json["evidence"]] == ["photo", "visit"]
    close = {"status": "closed", "close_note": "已重新核实"}
    assert client.patch(item_url, json=close, headers=helper).status_code == 403  # 销号 is not the cadre's
    closed = client.patch(item_url, json=close, headers=verifier)
    assert closed.status_code == 200 and closed.json["closed_by"] == f"verifier{target}"

    # an overdue item is listed first and counted in the report
    late = client.post(
        "/api/v1/rectifications",
        json={
            "household_id": str(third.id),
            "problem": "帮扶措施不落实",
            "deadline": str(today - timedelta(days=3)),
        },
        headers=headers["supervisor"],
    ).json
    fresh = client.post(
        "/api/v1/rectifications",
        json={"household_id": str(third.id), "problem": "收入证明缺失"},
        headers=headers["supervisor"],
    ).json
    assert fresh["deadline"] == str(today + timedelta(days=30)) and fresh["phase"] == "rectification"
    ledger = client.get("/api/v1/rectifications", headers=headers["supervisor"]).json
    assert ledger[0]["id"] == late["id"] and ledger[0]["overdue"] is True
    assert [i["overdue"] for i in ledger[1:]] == [False, False]
    report = client.get(f"/api/v1/reports/verification?area={COUNTY}", headers=headers["supervisor"]).json
    assert report["total"]["problems_overdue"] == 1 and report["total"]["problems_open"] == 2

    sheet = client.get("/api/v1/rectifications?format=xlsx", headers=headers["supervisor"])
    assert sheet.status_code == 200 and "spreadsheetml" in sheet.headers["Content-Type"]
    rows = list(load_workbook(io.BytesIO(sheet.data), read_only=True)["整改台账"].iter_rows(values_only=True))
    assert rows[0][:10] == (
        "序号",
        "户编号",
        "区划代码",
        "核查阶段",
        "问题来源",
        "存在问题",
        "整改责任人",
        "整改措施",
        "整改时限",
        "是否逾期",
    )
    assert [r[5] for r in rows[1:]] == [
        "帮扶措施不落实",
        "收入证明缺失",
        "审核未通过 Rejected: 灶前照片非本户",
    ]
    assert rows[1][9] == "是" and rows[1][10] == 3 and rows[3][12] == "已销号"


def test_lot_never_checks_own_town_and_same_seed_draws_same_teams(app):
    area_tree(3)
    county = Area.objects.get(code=COUNTY)
    for town in TOWNS:
        for village in ("001", "002", "001", "002"):
            HouseholdFactory(village_code=town[:9] + village)
        make_user("cadre", town[:9] + "001")
    make_user("cadre", TOWNS[0][:9] + "001", TOWNS[1][:9] + "001")  # in two towns: joins no team
    for seed in range(50):
        teams = draw_teams(county, "town", seed, households_per_team=3)
        assert sorted(t.home.code for t in teams) == TOWNS
        for team in teams:
            assert team.target.code != team.home.code
            assert len(team.households) == 3 and all(team.target.code in h.area_path for h in team.households)
            for member in team.members:
                assert all(team.home.code in ancestors(code) for code in member.area_codes)
                assert not any(team.target.code in ancestors(code) for code in member.area_codes)
        assert sum(len(t.members) for t in teams) == 3  # the cadre working in two towns joins no team
        again = draw_teams(county, "town", seed, households_per_team=3)
        assert [(t.home.code, t.target.code, [h.id for h in t.households]) for t in again] == [
            (t.home.code, t.target.code, [h.id for h in t.households]) for t in teams
        ]
    for count in range(2, 30):  # one cycle: nobody checks itself, every unit is checked once
        order = cycle(count, 99, COUNTY)
        assert sorted(order) == list(range(count)) and all(order[i] != i for i in range(count))
        seen, i = set(), 0
        while i not in seen:
            seen.add(i)
            i = order[i]
        assert len(seen) == count
    assert len({tuple(cycle(8, seed, COUNTY)) for seed in range(40)}) > 20  # the seed matters


def test_same_seed_in_a_later_campaign_draws_the_same_teams(world, client):
    _, headers, _ = world
    today = china_date(now())
    drawn = []
    for start in (today, today + timedelta(days=40)):
        body = {
            "area": COUNTY,
            "name": f"互查 {start}",
            "phases": [
                {"name": "mutual_check", "starts_on": str(start), "ends_on": str(start + timedelta(days=3))}
            ],
        }
        campaign = client.post("/api/v1/campaigns", json=body, headers=headers["supervisor"]).json
        teams = client.post(
            f"/api/v1/campaigns/{campaign['id']}/draw", json={"seed": 4242}, headers=headers["supervisor"]
        )
        drawn.append([(t["home_code"], t["target_code"], t["members"]) for t in teams.json["teams"]])
    assert drawn[0] == drawn[1] and len(drawn[0]) == 3


def test_mutual_check_grant_only_while_the_phase_runs(world, client):
    _, headers, households = world
    today = china_date(now())
    body = {
        "area": COUNTY,
        "name": "下周互查",
        "phases": [
            {
                "name": "mutual_check",
                "starts_on": str(today + timedelta(days=7)),
                "ends_on": str(today + timedelta(days=9)),
            }
        ],
    }
    campaign = client.post("/api/v1/campaigns", json=body, headers=headers["supervisor"]).json
    town_supervisor = token_for(client, make_user("supervisor", TOWNS[0]))
    assert client.get(f"/api/v1/campaigns/{campaign['id']}", headers=town_supervisor).status_code == 200
    draw_url = f"/api/v1/campaigns/{campaign['id']}/draw"
    assert client.post(draw_url, json={}, headers=town_supervisor).status_code == 404  # above their area
    drawn = client.post(draw_url, json={}, headers=headers["supervisor"]).json
    assert drawn["seed"] is not None  # chosen and recorded when not given
    team = team_of(drawn, TOWNS[0])
    cadre = User.objects.get(username="cadre1")
    assert [g.area_code for g in cadre.grants] == [team["target_code"]]
    assert team["target_code"] not in principal_for(cadre).area_codes  # not yet
    target_household = households[TOWNS.index(team["target_code"]) + 1][0]
    assert (
        client.get(f"/api/v1/households/{target_household.id}", headers=headers["cadre1"]).status_code == 404
    )
    assert Assignment.objects(campaign_id=campaign["id"]).count() == 6


def test_phase_of_a_visit(app):
    area_tree(1)
    town, village = "370101001000", "370101001001"
    household = HouseholdFactory(village_code=village)
    member, local = make_user("cadre", "370101001001"), make_user("cadre", village)
    d = date(2026, 3, 18)
    campaign = Campaign(
        name="马站镇自查互查",
        area_code=town,
        area_path=["370000000000", "370100000000", "370101000000", town],
        unit_level="village",
        phases=[
            Phase(name="self_check", starts_on=d, ends_on=d + timedelta(days=4)),
            Phase(name="mutual_check", starts_on=d + timedelta(days=5), ends_on=d + timedelta(days=7)),
            Phase(name="rectification", starts_on=d, ends_on=d + timedelta(days=7)),
        ],
        starts_on=d,
        ends_on=d + timedelta(days=7),
        teams=[Team(number=1, home_code="370101001002", target_code=village, member_ids=[str(member.id)])],
        created_by="s",
        created_by_id="s",
        created_at=now(),
    ).save()
    Assignment(
        campaign_id=str(campaign.id), team=1, household_id=str(household.id), area_path=household.area_path
    ).save()

    def tag(day: date, user, hour: int = 9):
        at = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        return campaign_tag(household.area_path, str(household.id), str(user.id), at)

    assert tag(d + timedelta(days=1), local).phase == "self_check"
    assert tag(d + timedelta(days=6), local).phase == "rectification"  # a local follow-up while teams check
    assert (tag(d + timedelta(days=6), member).phase, tag(d + timedelta(days=6), member).team) == (
        "mutual_check",
        1,
    )
    assert tag(d + timedelta(days=1), member).phase == "self_check"  # the member before the mutual check
    assert tag(d + timedelta(days=8), local) is None and tag(d - timedelta(days=1), local) is None
    # 23:30 UTC on the 17th is the 18th in China: inside the campaign
    assert tag(d - timedelta(days=1), local, hour=23).phase == "self_check"
    other = HouseholdFactory(village_code="370102001001")
    assert (
        campaign_tag(other.area_path, str(other.id), str(local.id), datetime(2026, 3, 20, tzinfo=UTC)) is None
    )
    assert Visit.objects.count() == 0
