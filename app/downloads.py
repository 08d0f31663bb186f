"""Files sent to the browser: a download response with a Chinese file name that every client reads."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO
from urllib.parse import quote

from flask import Response

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
CHUNK = 64 * 1024
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
        data, mimetype=MIMETYPES[fmt].split(";")[0], headers=_headers(fmt, filename, ascii_fallback)
    )


def _headers(fmt: str, filename: str, ascii_fallback: str) -> dict[str, str]:
    return {
        "Content-Type": MIMETYPES[fmt],
        "Content-Disposition": content_disposition(f"{filename}.{fmt}", f"{ascii_fallback}.{fmt}"),
        "Cache-Control": "no-store",
    }


def stream(
    chunks: Iterable[bytes], fmt: str, filename: str, ascii_fallback: str, size: int | None = None
) -> Response:
    """A download sent as its chunks are made (CSV rows, ZIP entries): memory stays flat."""
    headers = _headers(fmt, filename, ascii_fallback) | (
        {"Content-Length": str(size)} if size is not None else {}
    )
    return Response(chunks, mimetype=MIMETYPES[fmt].split(";")[0], headers=headers, direct_passthrough=True)


def file_chunks(fp: BinaryIO) -> Iterator[bytes]:
    """A file's bytes in chunks; the file is closed (a temporary file removed) at the end."""
    try:
        while chunk := fp.read(CHUNK):
            yield chunk
    finally:
        fp.close()


def spooled(write: Callable[[BinaryIO], None], fmt: str, filename: str, ascii_fallback: str) -> Response:
    """A download that must be whole before it is sent (an XLSX): written to a temporary file, then
    streamed from it."""
    fp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by file_chunks when the response ends
    try:
        write(fp)
        size = fp.tell()
        fp.seek(0)
    except BaseException:
        fp.close()
        raise
    return stream(file_chunks(fp), fmt, filename, ascii_fallback, size)
