"""Files sent to the browser: a download response with a Chinese file name that every client reads."""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FILE = {"schema": {"type": "string", "format": "binary"}}


def table_download_doc(schema) -> dict:
    """For @blp.doc: the 200 is `schema` as JSON, or the same table as CSV or XLSX (?format=csv|xlsx)."""
    content = {"application/json": {"schema": schema}, "text/csv": _FILE, MIMETYPES["xlsx"]: _FILE}
    return {"responses": {"200": {"content": content}}}


def content_disposition(filename: str, ascii_fallback: str, disposition: str = "attachment") -> str:
    """An ASCII name for old clients and the real (Chinese) one per RFC 5987/6266."""
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", ascii_fallback)
    return f"{disposition}; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(data: bytes, fmt: str, filename: str, ascii_fallback: str) -> Response:
    return Response(
        data,
        mimetype=MIMETYPES[fmt].split(";")[0],
        headers={
            "Content-Type": MIMETYPES[fmt],
            "Content-Disposition": content_disposition(f"{filename}.{fmt}", f"{ascii_fallback}.{fmt}"),
            "Cache-Control": "no-store",
        },
    )
