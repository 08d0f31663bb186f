"""The verification report as a CSV or XLSX file with Chinese headers and a readable file name."""

from __future__ import annotations

from flask import Response

from app.clock import CHINA_TZ
from app.downloads import download
from app.reports.verification import DEFINITIONS, table
from app.spreadsheets.writing import csv_bytes, xlsx_bytes

TITLE = "核查进度统计"


def verification_download(report: dict, fmt: str) -> Response:
    columns, rows = table(report)
    headers = [c.label for c in columns]
    area, at = report["area"], report["generated_at"].astimezone(CHINA_TZ)
    stem = f"{area['code']}_{at:%Y%m%d}"
    if fmt == "csv":
        data = csv_bytes(headers, rows)
    else:
        notes = [
            ("区划 Area", f"{area['name']} ({area['code']})"),
            ("生成时间 Generated", f"{at:%Y-%m-%d %H:%M} (UTC+8)"),
            ("生成人 By", report["generated_by"]),
            *DEFINITIONS,
        ]
        data = xlsx_bytes(TITLE, headers, rows, [c.kind for c in columns], notes)
    return download(data, fmt, f"{TITLE}_{area['name']}_{stem}", f"verification_{stem}")
