"""Tables written as CSV (UTF-8 with BOM, so Excel on Chinese Windows opens it) and XLSX: the one writer
every download uses.

`csv_bytes` and `xlsx_bytes` build small tables in memory; `csv_chunks` and `StreamingWorkbook` write
tables of any length with flat memory (exports): CSV as chunks to send as they come, XLSX through
openpyxl's write-only mode, several sheets filled in one pass.

Cells carry text people typed (names, addresses, comments), so nothing in a cell may run when an office
worker opens the file: text that a spreadsheet would read as a formula (starting with = + - @ tab or CR,
OWASP's CSV-injection list) gets a leading apostrophe in CSV (`csv_cell`), and XLSX cells are written as
text, never a formula cell, with Excel's quote prefix (`_append_row`, `xlsx_cell`). Control characters
that XLSX cannot hold become U+FFFD.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
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


def xlsx_cell(sheet, value: Any) -> Any:
    """A streamed XLSX cell: numbers as given, text as a text cell (never a formula), None empty."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=printable(value))
    cell.data_type = "s"
    if is_formula_like(cell.value):
        cell.quotePrefix = True
    return cell


def csv_chunks(
    headers: Sequence[str], rows: Iterable[Sequence], rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """CSV (UTF-8 with BOM) in chunks of `rows_per_chunk` rows, produced as the rows come."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in headers])
    pending = 0
    first = True
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        pending += 1
        if pending >= rows_per_chunk:
            yield out.getvalue().encode("utf-8-sig" if first else "utf-8")
            out.seek(0)
            out.truncate()
            pending, first = 0, False
    yield out.getvalue().encode("utf-8-sig" if first else "utf-8")


class StreamingSheet:
    """One sheet of a StreamingWorkbook: append rows, they go to disk (openpyxl write-only mode)."""

    def __init__(self, workbook: Workbook, title: str, headers: Sequence[str], kinds: Sequence[str] | None):
        self.sheet = workbook.create_sheet(title[:31])
        for index, header in enumerate(headers, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = max(10, 2 * len(header) + 2)
        self.sheet.freeze_panes = "A2"
        bold = []
        for header in headers:
            cell = xlsx_cell(self.sheet, header)
            cell.font = Font(bold=True)
            bold.append(cell)
        self.sheet.append(bold)
        self.formats = [NUMBER_FORMATS.get(k) for k in kinds] if kinds else []
        self.rows = 0

    def append(self, row: Sequence) -> None:
        values = [xlsx_cell(self.sheet, v) for v in row]
        for index, fmt in enumerate(self.formats):
            if fmt and index < len(values) and isinstance(values[index], int | float):
                cell = WriteOnlyCell(self.sheet, value=values[index])
                cell.number_format = fmt
                values[index] = cell
        self.sheet.append(values)
        self.rows += 1


class StreamingWorkbook:
    """An XLSX written with flat memory: sheets are created up front and filled in one pass."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, headers: Sequence[str], kinds: Sequence[str] | None = None) -> StreamingSheet:
        return StreamingSheet(self.workbook, title, headers, kinds)

    def notes(self, notes: Sequence[tuple[str, str]]) -> None:
        """A sheet 说明: what the table is, who made it, definitions (label, text)."""
        about = self.workbook.create_sheet("说明")
        about.column_dimensions["A"].width = 20
        about.column_dimensions["B"].width = 100
        for label, text in notes:
            about.append([xlsx_cell(about, label), xlsx_cell(about, text)])

    def save(self, target: BinaryIO | str) -> None:
        self.workbook.save(target)
