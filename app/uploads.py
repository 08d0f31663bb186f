"""Get the one uploaded file of a request: a multipart `file` part, or a raw body with a filename."""

from __future__ import annotations

import io

from flask import Request

from app.errors import ValidationFailed


def uploaded_file(request: Request) -> tuple[io.IOBase, str]:
    if request.files:
        part = request.files.get("file") or next(iter(request.files.values()))
        return part.stream, part.filename or ""
    filename = request.args.get("filename") or request.headers.get("X-Filename", "")
    if not request.content_length:
        raise ValidationFailed("请上传文件 Upload a file (multipart part 'file')", field="file")
    return io.BytesIO(request.get_data()), filename
