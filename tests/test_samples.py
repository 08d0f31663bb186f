"""Spot-check samples: reproducible by seed, stratified as asked, recorded, audited, exported."""

from __future__ import annotations

import csv
import io
from collections import Counter
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from app.audit.models import AuditEvent
from app.samples.models import Sample
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

PROVINCE, COUNTY, TOWN = "370000000000", "370101000000", "370101001000"
EMPTY_COUNTY = "370202000000"
PER_VILLAGE = 6


@pytest.fixture
def world(app, client):
    """Province 37: 2 cities × 2 counties × 2 towns × 2 villages; every village has 6 households
    except those of county 370202, which has none."""
    areas = area_tree(2)
    villages = [a for a in areas if a.level == "village" and not a.code.startswith(EMPTY_COUNTY[:6])]
    for village in villages:
        HouseholdFactory.create_batch(PER_VILLAGE, village_code=village.code)
    users = {
        "supervisor": make_user("supervisor", PROVINCE),
        "county_supervisor": make_user("supervisor", COUNTY),
        "far_supervisor": make_user("supervisor", "370102000000"),
        "verifier": make_user("verifier", TOWN),
    }
    return {name: token_for(client, user) for name, user in users.items()}


def draw(client, headers, **body):
    resp = client.post("/api/v1/samples", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def ids(sample: dict) -> list[str]:
    return [h["household_id"] for h in sample["households"]]


def test_same_seed_same_sample_other_seed_other_sample(world, client):
    params = {"area": PROVINCE, "counties_per_city": 1, "villages_per_county": 2, "households_per_village": 3}
    first = draw(client, world["supervisor"], **params, seed=42)
    again = draw(client, world["supervisor"], **params, seed=42)
    other = draw(client, world["supervisor"], **params, seed=43)
    assert ids(first) == ids(again) and len(ids(first)) == 12
    assert ids(first) != ids(other)
    assert first["id"] != again["id"] and Sample.objects.count() == 3
    events = AuditEvent.objects(action="sample.draw").order_by("at")
    assert [(e.object_id, e.details["seed"], e.details["households"]) for e in events] == [
        (first["id"], 42, 12),
        (again["id"], 42, 12),
        (other["id"], 43, 12),
    ]
    stored = Sample.objects.get(id=first["id"])
    assert [h.household_id for h in stored.households] == ids(first)
    assert stored.params == {k: v for k, v in params.items() if k != "area"} and stored.seed == 42


def test_strata_sizes_are_respected(world, client):
    sample = draw(
        client, world["supervisor"], area=PROVINCE, counties_per_city=1, villages_per_county=2,
        households_per_village=3, seed=7,
    )  # fmt: skip
    strata = {(s["level"], s["code"]): (s["candidates"], s["drawn"]) for s in sample["strata"]}
    # city 3701 has 2 counties with households, city 3702 only one (370202 has none)
    assert strata[("county", "370100000000")] == (2, 1) and strata[("county", "370200000000")] == (1, 1)
    village_draws = [v for (level, _), v in strata.items() if level == "village"]
    household_draws = [v for (level, _), v in strata.items() if level == "household"]
    assert village_draws == [(4, 2), (4, 2)] and household_draws == [(PER_VILLAGE, 3)] * 4
    counties = Counter(h["area_path"][2] for h in sample["households"])
    cities = Counter(h["area_path"][1] for h in sample["households"])
    assert len(counties) == 2 and set(cities.values()) == {6} and EMPTY_COUNTY not in counties
    assert set(Counter(h["village_code"] for h in sample["households"]).values()) == {3}
    assert sample["count"] == 12


def test_fewer_units_than_asked_takes_them_all(world, client):
    sample = draw(
        client,
        world["county_supervisor"],
        area=COUNTY,
        villages_per_county=10,
        households_per_village=100,
        seed=1,
    )
    assert sample["count"] == 4 * PER_VILLAGE
    assert len(set(ids(sample))) == 4 * PER_VILLAGE
    numbers = [h["number"] for h in sample["households"]]
    by_village = [numbers[i : i + PER_VILLAGE] for i in range(0, len(numbers), PER_VILLAGE)]
    assert all(chunk == sorted(chunk) for chunk in by_village)
    village = draw(client, world["county_supervisor"], area="370101001001", households_per_village=2, seed=1)
    assert village["count"] == 2 and {h["village_code"] for h in village["households"]} == {"370101001001"}
    assert [s["level"] for s in village["strata"]] == ["household"]


def test_one_village_growing_does_not_change_another_villages_draw(world, client):
    body = {"area": TOWN, "villages_per_county": 2, "households_per_village": 2, "seed": 99}
    before = draw(client, world["supervisor"], **body)
    HouseholdFactory.create_batch(5, village_code="370101001002")
    after = draw(client, world["supervisor"], **body)
    in_first = lambda s: [h["household_id"] for h in s["households"] if h["village_code"] == "370101001001"]  # noqa: E731
    assert in_first(before) == in_first(after) and len(in_first(before)) == 2


def test_seed_is_chosen_and_recorded_when_absent(world, client):
    sample = draw(client, world["supervisor"], area=COUNTY, villages_per_county=1, households_per_village=2)
    assert isinstance(sample["seed"], int)
    replay = draw(
        client,
        world["supervisor"],
        area=COUNTY,
        villages_per_county=1,
        households_per_village=2,
        seed=sample["seed"],
    )
    assert ids(replay) == ids(sample)


def test_read_list_and_export(world, client):
    sample = draw(
        client,
        world["county_supervisor"],
        area=COUNTY,
        villages_per_county=1,
        households_per_village=2,
        seed=5,
    )
    url = f"/api/v1/samples/{sample['id']}"
    read = client.get(url, headers=world["county_supervisor"])
    assert read.status_code == 200 and ids(read.json) == ids(sample) and read.json["seed"] == 5
    listed = client.get("/api/v1/samples", headers=world["county_supervisor"]).json
    assert [s["id"] for s in listed] == [sample["id"]] and "households" not in listed[0]

    as_csv = client.get(url + "?format=csv", headers=world["county_supervisor"])
    assert as_csv.status_code == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    assert unquote(as_csv.headers["Content-Disposition"].split("''")[1]).startswith(
        f"抽查名单_第1-1县_{COUNTY}_"
    )
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig"))))
    assert rows[0] == ["序号", "户编号", "户主姓名", "市", "县", "镇（乡）", "村", "村代码"]
    first = sample["households"][0]
    assert rows[1][:3] == ["1", first["number"], first["head_name"]]
    assert rows[1][3:5] == ["第1市", "第1-1县"] and rows[1][7] == first["village_code"]
    assert len(rows) == 3

    as_xlsx = client.get(url + "?format=xlsx", headers=world["county_supervisor"])
    workbook = load_workbook(io.BytesIO(as_xlsx.data))
    table = list(workbook["抽查名单"].iter_rows(values_only=True))
    assert [list(r) for r in table] == [rows[0]] + [[int(r[0]), *r[1:]] for r in rows[1:]]
    notes = dict(workbook["说明"].iter_rows(values_only=True))
    assert notes["随机种子 Seed"] == "5" and notes["每村抽户 Households per village"] == "2"


def test_access_and_validation(world, client):
    body = {"area": COUNTY, "villages_per_county": 1, "households_per_village": 1, "seed": 3}
    assert client.post("/api/v1/samples", json=body, headers=world["verifier"]).status_code == 403
    assert client.post("/api/v1/samples", json=body, headers=world["far_supervisor"]).status_code == 404
    assert (
        client.post(
            "/api/v1/samples", json={**body, "households_per_village": 0}, headers=world["supervisor"]
        ).status_code
        == 422
    )
    assert (
        client.post("/api/v1/samples", json={**body, "seed": -1}, headers=world["supervisor"]).status_code
        == 422
    )
    sample = draw(client, world["county_supervisor"], **body)
    assert client.get(f"/api/v1/samples/{sample['id']}", headers=world["verifier"]).status_code == 403
    assert client.get(f"/api/v1/samples/{sample['id']}", headers=world["far_supervisor"]).status_code == 404
    assert client.get("/api/v1/samples/nope", headers=world["supervisor"]).status_code == 404
    assert Sample.objects.count() == 1
