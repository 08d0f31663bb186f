"""Receive an upload body in bounded memory: spool to disk past 1 MiB, hash while reading, verify
client-sent checksums, refuse past the size limit without reading the rest."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import tempfile
from dataclasses import dataclass
from typing import BinaryIO

from app.errors import ChecksumMismatch, PayloadTooLarge, ValidationFailed

CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024


@dataclass
class ReceivedUpload:
    file: BinaryIO
    size: int
    sha256: str
    md5: str

    def close(self) -> None:
        self.file.close()


def receive(
    stream: BinaryIO,
    *,
    max_bytes: int,
    content_length: int | None = None,
    content_md5: str | None = None,
    content_sha256: str | None = None,
) -> ReceivedUpload:
    if content_length is not None and content_length > max_bytes:
        raise PayloadTooLarge(limit=max_bytes, size=content_length)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - returned to caller
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            spool.close()
            raise PayloadTooLarge(limit=max_bytes)
        sha.update(chunk)
        md5.update(chunk)
        spool.write(chunk)
    if size == 0:
        spool.close()
        raise ValidationFailed("上传内容为空 Empty upload", reason_detail="empty_body")
    spool.seek(0)
    upload = ReceivedUpload(spool, size, sha.hexdigest(), md5.hexdigest())
    try:
        _verify(upload, content_md5, content_sha256)
    except ChecksumMismatch:
        upload.close()
        raise
    return upload


def _verify(upload: ReceivedUpload, content_md5: str | None, content_sha256: str | None) -> None:
    if content_md5:
        try:
            sent = base64.b64decode(content_md5.strip(), validate=True).hex()
        except (binascii.Error, ValueError):
            sent = content_md5.strip().lower()  # tolerate hex, which some clients send
        if sent != upload.md5:
            raise ChecksumMismatch(header="Content-MD5", received=upload.md5)
    if content_sha256:
        value = content_sha256.strip()
        if len(value) != 64:
            with contextlib.suppress(binascii.Error, ValueError):
                value = base64.b64decode(value, validate=True).hex()
        if value.lower() != upload.sha256:
            raise ChecksumMismatch(header="X-Content-SHA256", received=upload.sha256)
