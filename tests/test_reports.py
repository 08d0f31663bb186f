"""The verification report on a small known data set: every cell of every row, the total, exports."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from app.rectification.models import RectificationItem
from app.reports.lifecycle import COLUMNS as LIFECYCLE_COLUMNS
from app.reports.verification import COLUMNS
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import assessment, build_visit

COUNTY, TOWN, OTHER_TOWN = "370101000000", "370101001000", "370101002000"
V1, V2, V1_HAMLET, OTHER_VILLAGE = "370101001001", "370101001002", "370101001001001", "370101002001"
HEADERS = [
    "区划代码",
    "区划名称",
    "户数",
    "已走访",
    "走访覆盖率",
    "待审核",
    "已通过",
    "退回",
    "不愁吃穿达标率",
    "义务教育保障达标率",
    "基本医疗保障达标率",
    "住房安全保障达标率",
    "饮水安全达标率",
    "收入达标率",
    "收入低于标准户数",
    "满意度",
    "整改未销号",
    "整改已销号",
    "帮扶责任人落实率",
    *(c.label for c in LIFECYCLE_COLUMNS),
]


def rates(**changed) -> dict:
    base = dict.fromkeys(
        [
            "food_clothing",
            "compulsory_education",
            "basic_medical",
            "housing_safety",
            "drinking_water",
            "income",
        ],
        100.0,
    )
    return base | changed


def lifecycle(**counts) -> dict:
    """Lifecycle figures: every household here is a registered poor one, and nothing changed this year."""
    statuses = ["poor", "lifted_supported", "lifted_unsupported", "unstable", "marginal", "sudden_hardship"]
    events = ["lift_out", "relapse", "identify", "monitor", "remove", "dissolve", "assist"]
    base = dict.fromkeys([*statuses, "relapsed", "candidate", "monitored"], 0)
    return base | {f"{e}_this_year": 0 for e in events} | counts


# What the data set below must produce, cell by cell.
V1_ROW = {
    "code": V1, "name": "第1-1-1-1村", "level": "village",
    "households": 4, "visited": 3, "coverage": 75.0, "pending_review": 2, "approved": 1, "sent_back": 0,
    "assessed": 3, "pass_rates": rates(housing_safety=66.7, income=66.7), "below_income_threshold": 1,
    "satisfaction_responses": 3, "satisfaction_rate": 66.7, "problems_open": 1, "problems_closed": 1,
    "with_helper": 3, "helpers_in_place": 75.0, "lifecycle": lifecycle(poor=4),
}  # fmt: skip
V2_ROW = {
    "code": V2, "name": "第1-1-1-2村", "level": "village",
    "households": 3, "visited": 2, "coverage": 66.7, "pending_review": 0, "approved": 0, "sent_back": 2,
    "assessed": 2, "pass_rates": rates(drinking_water=50.0), "below_income_threshold": 0,
    "satisfaction_responses": 1, "satisfaction_rate": 100.0, "problems_open": 1, "problems_closed": 0,
    "with_helper": 1, "helpers_in_place": 33.3, "lifecycle": lifecycle(poor=3),
}  # fmt: skip
TOTAL = {
    "code": TOWN, "name": "合计", "level": "town",
    "households": 7, "visited": 5, "coverage": 71.4, "pending_review": 2, "approved": 1, "sent_back": 2,
    "assessed": 5, "pass_rates": rates(housing_safety=80.0, drinking_water=80.0, income=80.0),
    "below_income_threshold": 1, "satisfaction_responses": 4, "satisfaction_rate": 75.0,
    "problems_open": 2, "problems_closed": 1, "with_helper": 4, "helpers_in_place": 57.1,
    "lifecycle": lifecycle(poor=7),
}  # fmt: skip
# The outcome figures (app/reports/outcomes.py): h1 is the one approved, assessed visit (answers without
# the record check), and no ledger item has a deadline.
NO_OUTCOMES = {
    "problems_overdue": 0, "verified": 0, "misidentified": 0, "identification_accuracy": None,
    "exit_verified": 0, "wrongly_exited": 0, "exit_accuracy": None,
}  # fmt: skip
V1_ROW |= NO_OUTCOMES | {"verified": 1}  # h1 is still 贫困户: no exit to check
V2_ROW |= NO_OUTCOMES
TOTAL |= NO_OUTCOMES | {"verified": 1}
HEADERS += ["整改逾期", "已核定户数", "识别准确率", "退出准确率"]


@pytest.fixture
def world(app, client):
    """Town 370101001 with villages V1 (4 households, one in its hamlet) and V2 (3), plus one
    household in the next town that the town's report must not count."""
    area_tree(2)
    cadre = make_user("cadre", V1)
    users = {
        "cadre": cadre,
        "verifier": make_user("verifier", TOWN),
        "supervisor": make_user("supervisor", COUNTY),
        "far_supervisor": make_user("supervisor", "370102000000"),
        "admin": make_user("admin", "370000000000"),
    }
    helper = {"helper_id": str(cadre.id), "helper_name": "帮扶人"}

    def household(village, with_helper):
        return HouseholdFactory(village_code=village, **(helper if with_helper else {}))

    h1, h2, h3 = household(V1, True), household(V1, True), household(V1, False)
    household(V1_HAMLET, True)  # h4: never visited
    build_visit(h1, cadre, state="approved", assessed=assessment(satisfaction="satisfied"))
    h2_visit = build_visit(
        h2,
        cadre,
        state="checked",
        assessed=assessment({"housing_safety"}, income=3000, satisfaction="basically_satisfied"),
    )
    build_visit(h3, cadre, failed={"photo_time": [None]}, assessed=assessment(satisfaction="dissatisfied"))
    h5, h6, h7 = household(V2, True), household(V2, False), household(V2, False)
    h5_visit = build_visit(h5, cadre, state="rejected", assessed=assessment({"drinking_water"}))
    build_visit(h6, cadre, state="revisit_requested", assessed=assessment(satisfaction=None))
    build_visit(h7, cadre, state="receiving")
    elsewhere = household(OTHER_VILLAGE, True)
    build_visit(elsewhere, cadre, state="approved", assessed=assessment({"income"}, income=100))

    def item(h, visit, status, key):
        RectificationItem(
            key=key, area_path=h.area_path, household_id=str(h.id), visit_id=str(visit.id) if visit else None,
            source="manual", problem="问题", status=status, created_by="t", created_at=h.created_at,
            updated_at=h.created_at,
        ).save()  # fmt: skip

    item(h2, h2_visit, "open", "a")
    item(h1, None, "closed", "b")
    item(h5, h5_visit, "open", "c")
    item(elsewhere, None, "open", "d")
    headers = {name: token_for(client, user) for name, user in users.items()}
    return users, headers


def get_report(client, headers, query=""):
    resp = client.get(f"/api/v1/reports/verification{query}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_town_report_every_cell(world, client):
    _, headers = world
    report = get_report(client, headers["supervisor"], f"?area={TOWN}")
    assert report["area"] == {"code": TOWN, "name": "第1-1-1镇", "level": "town"}
    assert report["rows"] == [V1_ROW, V2_ROW]
    assert report["total"] == TOTAL
    assert [c["label"] for c in report["columns"]] == HEADERS
    # The verifier's only area is the town: it is the default.
    assert get_report(client, headers["verifier"])["rows"] == [V1_ROW, V2_ROW]


def test_county_report_rows_are_towns_and_sum_to_the_total(world, client):
    _, headers = world
    report = get_report(client, headers["supervisor"], f"?area={COUNTY}")
    town, other = report["rows"]
    assert {k: v for k, v in town.items() if k not in ("code", "name", "level")} == {
        k: v for k, v in TOTAL.items() if k not in ("code", "name", "level")
    }
    assert (other["code"], other["households"], other["visited"], other["approved"]) == (OTHER_TOWN, 1, 1, 1)
    assert (other["below_income_threshold"], other["pass_rates"]["income"], other["problems_open"]) == (
        1,
        0.0,
        1,
    )
    total = report["total"]
    assert (total["households"], total["visited"], total["approved"], total["problems_open"]) == (8, 6, 2, 3)
    assert total["pass_rates"]["income"] == 66.7 and total["helpers_in_place"] == 62.5


def test_village_report_puts_households_filed_at_the_village_in_their_own_row(world, client):
    _, headers = world
    report = get_report(client, headers["verifier"], f"?area={V1}")
    hamlet, direct = report["rows"]
    assert (hamlet["code"], hamlet["households"], hamlet["visited"], hamlet["coverage"]) == (
        V1_HAMLET,
        1,
        0,
        0.0,
    )
    assert hamlet["pass_rates"]["income"] is None and hamlet["satisfaction_rate"] is None
    assert (direct["code"], direct["name"], direct["households"], direct["visited"]) == (V1, "本级", 3, 3)
    assert report["total"] | {"code": V1, "name": "第1-1-1-1村", "level": "village"} == V1_ROW | {
        "name": "第1-1-1-1村"
    }


def test_report_access(world, client):
    _, headers = world
    assert (
        client.get(f"/api/v1/reports/verification?area={TOWN}", headers=headers["cadre"]).status_code == 403
    )
    far = client.get(f"/api/v1/reports/verification?area={TOWN}", headers=headers["far_supervisor"])
    assert far.status_code == 404
    assert (
        client.get("/api/v1/reports/verification?area=370101009000", headers=headers["admin"]).status_code
        == 404
    )
    assert get_report(client, headers["admin"])["area"]["code"] == "370000000000"  # its only area
    two_counties = token_for(client, make_user("supervisor", COUNTY, "370102000000"))
    assert client.get("/api/v1/reports/verification", headers=two_counties).status_code == 422
    assert client.get("/api/v1/reports/verification?area=37", headers=headers["admin"]).status_code == 422
    assert (
        client.get(
            f"/api/v1/reports/verification?area={TOWN}&format=pdf", headers=headers["admin"]
        ).status_code
        == 422
    )


def expected_cells(row: dict) -> list:
    cells = []
    for column in COLUMNS:
        value = row
        for part in column.key.split("."):
            value = value[part]
        cells.append(value)
    return cells


def test_csv_has_chinese_headers_and_the_json_figures(world, client):
    _, headers = world
    resp = client.get(f"/api/v1/reports/verification?area={TOWN}&format=csv", headers=headers["supervisor"])
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.data.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="verification_{TOWN}_')
    real_name = unquote(disposition.split("filename*=UTF-8''")[1])
    assert real_name.startswith(f"核查进度统计_第1-1-1镇_{TOWN}_") and real_name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    expected = [expected_cells(r) for r in (V1_ROW, V2_ROW, TOTAL)]
    assert rows[1:] == [["" if v is None else str(v) for v in r] for r in expected]


def test_xlsx_has_chinese_headers_the_json_figures_and_notes(world, client):
    _, headers = world
    resp = client.get(f"/api/v1/reports/verification?area={TOWN}&format=xlsx", headers=headers["supervisor"])
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert unquote(resp.headers["Content-Disposition"].split("''")[1]).endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(resp.data))
    sheet = workbook["核查进度统计"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == HEADERS
    assert values[1:] == [expected_cells(r) for r in (V1_ROW, V2_ROW, TOTAL)]
    assert sheet["E2"].value == 75.0 and sheet["E2"].number_format == '0.0"%"'
    notes = dict(workbook["说明"].iter_rows(values_only=True))
    assert notes["区划 Area"] == f"第1-1-1镇 ({TOWN})" and "已走访" in notes
