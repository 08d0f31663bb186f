"""Tables written as CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it) and XLSX: the one writer
every download uses.

Cells carry text people typed (names, addresses, comments), so nothing in a cell may run when an office
worker opens the file: text that a spreadsheet would read as a formula (starting with = + - @ tab or CR,
OWASP's CSV-injection list) gets a leading apostrophe in CSV, and XLSX cells are written as text (never
a formula cell) with Excel's quote prefix. Control characters that XLSX cannot hold become U+FFFD.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Rates are stored as percentages (66.7); the cell shows "66.7%" and keeps the number the JSON has.
NUMBER_FORMATS = {"percent": '0.0"%"', "count": "0"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str) -> str:
    """The text with the control characters XLSX cannot hold replaced by U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", text)


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def csv_cell(value):
    """A CSV cell: numbers as they are, text that could run as a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = printable(value)
        return "'" + text if is_formula_like(text) else text
    return value


def csv_bytes(headers: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([[csv_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def _append_row(sheet, values: Sequence) -> None:
    """Append a row whose text cells stay text: openpyxl would make "=..." a formula cell."""
    sheet.append([printable(v) if isinstance(v, str) else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if is_formula_like(cell.value):
                cell.quotePrefix = True  # Excel keeps it text even when the cell is edited


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
    _append_row(sheet, headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        _append_row(sheet, row)
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
            _append_row(about, [label, text])
        about.column_dimensions["A"].width = 20
        about.column_dimensions["B"].width = 100
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
