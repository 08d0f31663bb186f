"""Downloads are safe to open: text people typed arrives as text, never as a live formula, and control
characters stored before input was cleaned cannot break an XLSX file."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from app.spreadsheets.writing import csv_bytes, xlsx_bytes
from tests.factories import PROVINCE, HouseholdFactory, area_tree, make_user, token_for

VILLAGE = "370101001001"
FORMULAS = ['=HYPERLINK("http://evil.example/","click")', "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1"]


def cells_of_sheet(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def test_writer_neutralises_formulas_in_csv_and_keeps_numbers():
    rows = [[text, -5, 2.5, None] for text in FORMULAS]
    read = list(csv.reader(io.StringIO(csv_bytes(["文本", "数", "率", "空"], rows).decode("utf-8-sig"))))
    assert [r[0] for r in read[1:]] == ["'" + text for text in FORMULAS]
    assert read[1][1:] == ["-5", "2.5", ""]  # numbers stay numbers


def test_writer_makes_xlsx_text_cells_never_formulas():
    data = xlsx_bytes("表", ["文本", "数"], [[text, -5] for text in FORMULAS] + [["王\x07五\x00", 1]])
    assert "<f>" not in cells_of_sheet(data)
    sheet = load_workbook(io.BytesIO(data)).active
    texts = [(row[0].value, row[0].data_type) for row in sheet.iter_rows(min_row=2)]
    # cells keep what was typed (a CR may come back as a line feed), as text; bytes XLSX cannot hold
    # become U+FFFD
    read_back = [v.replace("\r", "\n") for v, _ in texts]
    assert read_back == [*[t.replace("\r", "\n") for t in FORMULAS], "王\ufffd五\ufffd"]
    assert {t for _, t in texts} == {"s"}
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [-5] * len(FORMULAS) + [1]


@pytest.fixture
def world(app, client):
    area_tree(1)
    admin = token_for(client, make_user("admin", PROVINCE))
    return admin


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_sample_list_carries_typed_text_as_text(world, client, fmt):
    for i, text in enumerate(FORMULAS[:4]):
        resp = client.post(
            "/api/v1/households",
            json={"number": f"HH-F{i}", "village_code": VILLAGE, "head_name": text},
            headers=world,
        )
        assert resp.status_code == 201, resp.json
    # a name stored with a control character before input was cleaned (an old import)
    HouseholdFactory(village_code=VILLAGE, number="HH-OLD", head_name="王\x07五")
    sample = client.post("/api/v1/samples", json={"area": VILLAGE, "seed": 1}, headers=world).json
    resp = client.get(f"/api/v1/samples/{sample['id']}", query_string={"format": fmt}, headers=world)
    assert resp.status_code == 200
    if fmt == "csv":
        names = {r[2] for r in csv.reader(io.StringIO(resp.data.decode("utf-8-sig")))}
        assert {"'" + t for t in FORMULAS[:4]} | {"王\ufffd五"} <= names
    else:
        assert not re.search(r"<f[ >]", cells_of_sheet(resp.data))
        sheet = load_workbook(io.BytesIO(resp.data)).active
        names = {row[2].value for row in sheet.iter_rows(min_row=2)}
        assert set(FORMULAS[:4]) | {"王\ufffd五"} <= names


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_report_carries_area_names_as_text(world, client, fmt):
    resp = client.post(
        "/api/v1/areas", json={"code": "370101001002", "name": "=cmd|' /C calc'!A0"}, headers=world
    )
    assert resp.status_code == 201, resp.json
    report = client.get(
        "/api/v1/reports/verification", query_string={"area": "370101001000", "format": fmt}, headers=world
    )
    assert report.status_code == 200
    if fmt == "csv":
        assert "'=cmd|' /C calc'!A0" in report.data.decode("utf-8-sig")
    else:
        assert "<f>" not in cells_of_sheet(report.data)
        sheet = load_workbook(io.BytesIO(report.data)).active
        assert "=cmd|' /C calc'!A0" in {row[1].value for row in sheet.iter_rows(min_row=2)}
