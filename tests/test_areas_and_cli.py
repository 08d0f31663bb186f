"""Area tree loading (API and CLI), the household import CLI, and journaled writes."""

from __future__ import annotations

import io

from click.testing import CliRunner

from app.area_codes import ancestors, county_code
from app.areas.models import Area
from app.cli import cli_group
from app.households.models import Household
from app.visits.models import Visit
from tests.factories import area_tree, id_number, make_user, token_for

AREAS_CSV = """区划代码,名称
370000000000,山东省
371500000000,聊城市
371525000000,冠县
371525001000,清泉街道
371525001001,王庄村
371525001002,李屯村
371525100000,贾镇
371525100001,刘集村
"""


def test_admin_loads_an_area_table_in_any_order_and_reloading_changes_nothing(app, client):
    area_tree(1)
    headers = token_for(client, make_user("admin", "370000000000"))
    lines = AREAS_CSV.strip().splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]).encode()  # children before parents
    resp = client.post(
        "/api/v1/areas/import",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(shuffled), "areas.csv")},
    )
    assert resp.status_code == 200, resp.json
    assert (resp.json["created"], resp.json["rows"]) == (7, 8)  # the province existed already
    village = Area.objects.get(code="371525001002")
    assert (village.name, village.level, village.parent) == ("李屯村", "village", "371525001000")
    assert village.path == ["370000000000", "371500000000", "371525000000", "371525001000", "371525001002"]
    again = client.post(
        "/api/v1/areas/import",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(shuffled), "areas.csv")},
    )
    assert again.json == {"created": 0, "updated": 0, "rows": 8}
    towns = client.get("/api/v1/areas?parent=371525000000", headers=headers).json
    assert [(a["code"], a["name"]) for a in towns] == [("371525001000", "清泉街道"), ("371525100000", "贾镇")]


def test_area_table_with_bad_codes_or_missing_parents_is_refused_whole(app, client):
    area_tree(1)
    headers = token_for(client, make_user("admin", "370000000000"))
    bad = "区划代码,名称\n371525001001,孤村\n12345,短码\n".encode()
    resp = client.post(
        "/api/v1/areas/import",
        headers=headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(bad), "areas.csv")},
    )
    assert resp.status_code == 422
    errors = resp.json["errors"]["errors"]
    assert "3" in errors and "371525001001" in errors  # row 3's code; the orphan village's parent
    assert not Area.objects(code="371525001001").first()


def test_cli_imports_households_with_progress(app, tmp_path):
    area_tree(1)
    make_user("cadre", "370101001001", username="helper01")
    rows = ["户编号,村代码,户主姓名,户主身份证号,帮扶责任人"]
    rows += [f"C{i:03d},370101001001,户主{i},{id_number(i)},helper01" for i in range(30)]
    path = tmp_path / "户表.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli_group, ["import-households", str(path)])
    assert result.exit_code == 0, result.output
    assert "'created': 30" in result.output and "rows checked" in result.output
    assert Household.objects(helper_name="测试cadre").count() == 30
    broken = tmp_path / "bad.csv"
    broken.write_text("户编号,村代码,户主姓名\nX1,999999999999,某\n", encoding="utf-8")
    failed = CliRunner().invoke(cli_group, ["import-households", str(broken)])
    assert failed.exit_code == 1 and "village_code" in failed.output


def test_writes_are_journaled(app):
    """What a phone is told was saved survives a crash: every collection writes with j=True."""
    for document in (Visit, Household, Area):
        assert document._get_collection().write_concern.document == {"w": 1, "j": True}


def test_county_code_of_an_area_path():
    """The county of the deepest area, as sharding by county needs it; none above county level."""
    assert county_code(ancestors("370101001001")) == "370101000000"  # a village
    assert county_code(ancestors("370101001000")) == "370101000000"  # a town
    assert county_code(ancestors("370101000000")) == "370101000000"  # the county itself
    assert county_code(ancestors("110101001001")) == "110101000000"  # under a province-level city
    assert county_code(ancestors("370100000000")) is None  # a city
    assert county_code([]) is None
