"""Tables written as CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it) and XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Rates are stored as percentages (66.7); the cell shows "66.7%" and keeps the number the JSON has.
NUMBER_FORMATS = {"percent": '0.0"%"', "count": "0"}


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence],
    kinds: Sequence[str] | None = None,
    notes: Sequence[tuple[str, str]] = (),
) -> bytes:
    """One sheet with a bold, frozen header row; `kinds` (text|count|percent) set number formats.
    `notes` (label, text) go on a second sheet 说明 (what the table is, who made it, definitions)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for index, header in enumerate(headers, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(10, 2 * len(header) + 2)
        fmt = NUMBER_FORMATS.get(kinds[index - 1]) if kinds else None
        if fmt:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = fmt
    sheet.freeze_panes = "A2"
    if notes:
        about = workbook.create_sheet("说明")
        for label, text in notes:
            about.append([label, text])
        about.column_dimensions["A"].width = 20
        about.column_dimensions["B"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
