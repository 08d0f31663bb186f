"""A sample as a CSV or XLSX list for the spot-check team, with Chinese headers."""

from __future__ import annotations

from flask import Response

from app.clock import CHINA_TZ
from app.downloads import download
from app.samples.models import Sample
from app.samples.service import area_names
from app.spreadsheets.writing import csv_bytes, xlsx_bytes

HEADERS = ["序号", "户编号", "户主姓名", "市", "县", "镇（乡）", "村", "村代码"]
KINDS = ["count", "text", "text", "text", "text", "text", "text", "text"]
TITLE = "抽查名单"


def sample_rows(sample: Sample) -> list[list]:
    names = area_names(sample)
    rows = []
    for index, h in enumerate(sample.households, start=1):
        path = (h.area_path + [""] * 5)[:5]  # province, city, county, town, village
        rows.append(
            [index, h.number, h.head_name, *(names.get(code, code) for code in path[1:5]), h.village_code]
        )
    return rows


def sample_download(sample: Sample, fmt: str) -> Response:
    rows = sample_rows(sample)
    at = sample.created_at.astimezone(CHINA_TZ)
    stem = f"{sample.area_code}_{at:%Y%m%d}_{sample.id}"
    if fmt == "csv":
        data = csv_bytes(HEADERS, rows)
    else:
        params = sample.params
        notes = [
            ("区划 Area", f"{sample.area_name} ({sample.area_code})"),
            ("抽取时间 Drawn", f"{at:%Y-%m-%d %H:%M} (UTC+8)"),
            ("抽取人 By", sample.created_by),
            ("随机种子 Seed", str(sample.seed)),
            ("每市抽县 Counties per city", str(params.get("counties_per_city"))),
            ("每县抽村 Villages per county", str(params.get("villages_per_county"))),
            ("每村抽户 Households per village", str(params.get("households_per_village"))),
            ("户数 Households", str(len(rows))),
        ]
        data = xlsx_bytes(TITLE, HEADERS, rows, KINDS, notes)
    return download(data, fmt, f"{TITLE}_{sample.area_name}_{stem}", f"sample_{stem}")
