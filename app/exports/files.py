"""Visit exports as files: CSV (repeat entries as extra rows under their visit) or XLSX (a sheet per table),
written while the visits are read, so memory stays flat whatever the size."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from app.exports.visits import CHECK_HEADERS, VisitTables
from app.spreadsheets.writing import StreamingWorkbook, csv_chunks

ROW_KIND = "行类型"
VISIT_ROW = "走访"
PROGRESS_EVERY = 500

Progress = Callable[[int], None]


def _counted(visits: Iterable[dict], progress: Progress | None) -> Iterator[dict]:
    count = 0
    for count, visit in enumerate(visits, start=1):
        yield visit
        if progress and count % PROGRESS_EVERY == 0:
            progress(count)
    if progress:
        progress(count)


def csv_headers(tables: VisitTables) -> list[str]:
    extra = [f"{t.title}·{h}" for _, t in tables.repeats for h in tables.repeat_headers(t)[2:]]
    return [ROW_KIND, *tables.headers, *extra]


def csv_rows(tables: VisitTables, visits: Iterable[dict], progress: Progress | None = None) -> Iterator[list]:
    """One row per visit, then one per repeat entry (走访ID, 户编号 and the entry's own columns)."""
    offsets, at = {}, 1 + len(tables.headers)
    for _, table in tables.repeats:
        offsets[id(table)] = at
        at += len(table.columns) + 1
    width = at
    for visit in _counted(tables.named(visits), progress):
        yield [VISIT_ROW, *tables.visit_row(visit)] + [None] * (width - 1 - len(tables.headers))
        for table, entry in tables.entry_rows(visit):
            row = [None] * width
            row[0], row[1], row[4] = table.title, entry[0], entry[1]  # 走访ID and 户编号 in their columns
            row[offsets[id(table)] : offsets[id(table)] + len(entry) - 2] = entry[2:]
            yield row


def csv_export(
    tables: VisitTables, visits: Iterable[dict], progress: Progress | None = None
) -> Iterator[bytes]:
    return csv_chunks(csv_headers(tables), csv_rows(tables, visits, progress))


def xlsx_export(
    tables: VisitTables,
    visits: Iterable[dict],
    target: BinaryIO,
    notes: list[tuple[str, str]],
    progress: Progress | None = None,
) -> None:
    """Sheets 走访, one per repeat, 核查结果 and 说明, filled in one pass over the visits."""
    book = StreamingWorkbook()
    main = book.sheet("走访", tables.headers)
    titles: set[str] = {"走访", "核查结果", "说明"}
    repeat_sheets = {}
    for _, table in tables.repeats:
        title = table.title[:28]
        while title in titles:
            title += "_"
        titles.add(title)
        repeat_sheets[id(table)] = book.sheet(title, tables.repeat_headers(table))
    checks = book.sheet("核查结果", CHECK_HEADERS)
    for visit in _counted(tables.named(visits), progress):
        main.append(tables.visit_row(visit))
        for table, entry in tables.entry_rows(visit):
            repeat_sheets[id(table)].append(entry)
        for row in tables.check_rows(visit):
            checks.append(row)
    book.notes([*notes, ("走访数 Visits", str(main.rows))])
    book.save(target)
