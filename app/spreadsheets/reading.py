"""Read CSV (UTF-8 or GBK) and XLSX uploads as rows of {header: text}, numbered as a person sees them."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from openpyxl import load_workbook

from app.errors import ImportFailed


def read_rows(stream: BinaryIO, filename: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Headers and an iterator of (row number as shown in the file, row). Header row is row 1."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _xlsx(stream)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _csv(stream.read())
    raise ImportFailed("只支持 CSV 或 XLSX 文件 Only CSV or XLSX files are accepted", filename=filename)


def _csv(data: bytes):
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFailed("无法识别文件编码 Unknown text encoding (use UTF-8 or GBK)")
    reader = csv.reader(io.StringIO(text))
    headers = [h.strip() for h in next(reader, [])]
    if not headers:
        raise ImportFailed("文件为空 The file is empty")

    def rows():
        for number, values in enumerate(reader, start=2):
            if any(v.strip() for v in values):
                yield (
                    number,
                    {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(headers)},
                )

    return headers, rows()


def _xlsx(stream: BinaryIO):
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as err:
        raise ImportFailed("不是有效的 XLSX 文件 Not a valid XLSX file", detail=str(err)) from err
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    headers = [str(h).strip() if h is not None else "" for h in next(iterator, ())]
    if not any(headers):
        raise ImportFailed("文件为空 The file is empty")

    def rows():
        for number, values in enumerate(iterator, start=2):
            cells = ["" if v is None else _cell_text(v) for v in values]
            if any(cells):
                yield number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h}

    return headers, rows()


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value).strip()
