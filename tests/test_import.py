"""Household import: Chinese headers, per-row errors, nothing half-written, idempotent, XLSX, 10k rows."""

from __future__ import annotations

import io

from openpyxl import Workbook

from app.audit.models import AuditEvent
from app.households.models import Household
from tests.factories import area_tree, id_number, make_user, token_for

HEADERS = [
    "户编号",
    "村代码",
    "户主姓名",
    "户主身份证号",
    "联系电话",
    "住址",
    "纬度",
    "经度",
    "户类型",
    "致贫原因",
    "帮扶责任人",
    "成员姓名",
    "与户主关系",
    "成员身份证号",
    "出生日期",
]


def row(number, village="370101001001", name="张三", idn=None, **extra):
    values = {
        "户编号": number,
        "村代码": village,
        "户主姓名": name,
        "户主身份证号": idn or id_number(hash(number) % 999),
        "联系电话": "13900001111",
        "住址": "一组12号",
        "纬度": "36.1",
        "经度": "115.2",
        "户类型": "有劳动能力",
        "致贫原因": "因病、缺技术",
        "帮扶责任人": "",
        "成员姓名": "",
        "与户主关系": "",
        "成员身份证号": "",
        "出生日期": "",
    }
    values.update(extra)
    return [str(values[h]) for h in HEADERS]


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    lines = [",".join(HEADERS)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def upload(client, headers, data: bytes, filename: str):
    return client.post(
        "/api/v1/households/import",
        headers=headers,
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def setup_world(client):
    area_tree(1)
    make_user("cadre", "370101001001", username="helper01")
    return token_for(client, make_user("supervisor", "370101000000"))


def test_import_csv_with_members_then_reimport_changes_nothing(app, client):
    headers = setup_world(client)
    rows = [
        row("H001", 成员姓名="张三", 与户主关系="户主", 帮扶责任人="helper01"),
        row("H001", 成员姓名="李四", 与户主关系="配偶", 出生日期="1982-03-04", 帮扶责任人="helper01"),
        row("H002", name="王五", 致贫原因="因学"),
    ]
    data = csv_bytes(rows)
    first = upload(client, headers, data, "households.csv")
    assert first.status_code == 200, first.json
    assert first.json == {"households": 2, "created": 2, "updated": 0, "unchanged": 0}
    h1 = Household.objects.get(number="H001")
    assert [m.name for m in h1.members] == ["张三", "李四"] and h1.members[
        1
    ].birth_date.isoformat() == "1982-03-04"
    assert h1.poverty_causes == ["因病", "缺技术"] and h1.helper_name == "测试cadre"
    assert h1.area_path[-1] == "370101001001" and h1.status == "registered"
    stored = Household._get_collection().find_one({"number": h1.number})
    assert stored["poverty_status"] == "poor"  # stored, so reports and filters count it
    before = {h.number: (h.updated_at, h.import_digest) for h in Household.objects}
    again = upload(client, headers, data, "households.csv")
    assert again.json == {"households": 2, "created": 0, "updated": 0, "unchanged": 2}
    assert {h.number: (h.updated_at, h.import_digest) for h in Household.objects} == before
    changed = upload(
        client, headers, csv_bytes([rows[0], rows[1], row("H002", name="王五改")]), "households.csv"
    )
    assert changed.json == {"households": 2, "created": 0, "updated": 1, "unchanged": 1}
    assert Household.objects.get(number="H002").head_name == "王五改"
    assert AuditEvent.objects(action="household.import").count() == 3


def test_row_errors_reported_by_row_and_column_and_nothing_written(app, client):
    headers = setup_world(client)
    rows = [
        row("H010"),
        row("H011", idn=id_number(5)[:17] + ("0" if id_number(5)[17] != "0" else "1")),  # bad check digit
        row("", name=""),  # missing number and name
        row("H013", village="379999999999"),  # unknown village
        row("H014", 纬度="north", 户类型="有钱"),
        row("H015", village="370102001001"),  # outside the supervisor's county (not in tree either)
    ]
    resp = upload(client, headers, csv_bytes(rows), "bad.csv")
    assert resp.status_code == 422
    errors = resp.json["errors"]["errors"]
    assert set(errors) == {"3", "4", "5", "6", "7"}
    assert "id_number" in errors["3"]
    assert set(errors["4"]) == {"number", "head_name"}
    assert "village_code" in errors["5"] and "village_code" in errors["7"]
    assert set(errors["6"]) == {"lat", "category"}
    assert Household.objects.count() == 0


def test_xlsx_and_gbk_csv_accepted(app, client):
    headers = setup_world(client)
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(row("X001"))
    buf = io.BytesIO()
    wb.save(buf)
    resp = upload(client, headers, buf.getvalue(), "户表.xlsx")
    assert resp.status_code == 200 and resp.json["created"] == 1
    gbk = upload(client, headers, csv_bytes([row("G001", name="赵六")], encoding="gbk"), "gbk.csv")
    assert gbk.status_code == 200 and Household.objects.get(number="G001").head_name == "赵六"
    assert upload(client, headers, b"%PDF-1.4", "x.pdf").status_code == 422


def test_cadre_cannot_import(app, client):
    area_tree(1)
    headers = token_for(client, make_user("cadre", "370101001001"))
    assert upload(client, headers, csv_bytes([row("H1")]), "a.csv").status_code == 403


def test_ten_thousand_rows_in_one_go(app, client):
    headers = setup_world(client)
    villages = ["370101001001", "370101001001001"]
    rows = [row(f"B{i:05d}", village=villages[i % 2], idn=id_number(i)) for i in range(10_000)]
    resp = upload(client, headers, csv_bytes(rows), "big.csv")
    assert resp.status_code == 200, resp.json
    assert resp.json["created"] == 10_000
    assert Household.objects.in_area("370101001001001").count() == 5_000


def test_poverty_status_column_sets_where_new_households_start(app, client):
    headers = setup_world(client)
    with_status = [*HEADERS, "贫困状态"]

    def status_csv(rows):
        lines = [",".join(with_status)] + [",".join(r) for r in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")

    rows = [
        [*row("H021"), "脱贫户（享受政策）"],
        [*row("H022"), "unstable"],
        [*row("H023"), ""],  # the register lists poor households
    ]
    assert upload(client, headers, status_csv(rows), "h.csv").status_code == 200
    stored = {h.number: h.poverty_status for h in Household.objects}
    assert stored == {"H021": "lifted_supported", "H022": "unstable", "H023": "poor"}

    # later changes are decisions with evidence, not a re-import
    changed = upload(client, headers, status_csv([[*rows[0][:-1], "返贫户"], rows[1], rows[2]]), "h.csv")
    assert changed.status_code == 200 and changed.json["updated"] == 1
    assert Household.objects.get(number="H021").poverty_status == "lifted_supported"

    bad = upload(client, headers, status_csv([[*row("H024"), "清退"], [*row("H025"), "小康"]]), "h.csv")
    assert bad.status_code == 422 and set(bad.json["errors"]["errors"]) == {"2", "3"}
    assert "poverty_status" in bad.json["errors"]["errors"]["2"]
