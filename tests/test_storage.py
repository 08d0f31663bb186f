"""The S3 adapter against real SeaweedFS: checksums verified by the server, presigned URLs, delete."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest

from app.errors import ChecksumMismatch


def test_put_get_presign_delete(store):
    body = b"\xff\xd8\xff" + b"photo-bytes" * 1000
    stored = store.put(
        "test/a.jpg",
        body,
        "image/jpeg",
        sha256_hex=hashlib.sha256(body).hexdigest(),
        metadata={"slot": "photo.stove"},
    )
    assert stored.size == len(body)
    assert store.get("test/a.jpg") == body and store.exists("test/a.jpg")
    with urllib.request.urlopen(store.presign("test/a.jpg"), timeout=10) as resp:
        assert resp.read() == body and resp.headers["Content-Type"] == "image/jpeg"
    tampered = store.presign("test/a.jpg").replace("test/a.jpg", "test/b.jpg")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(tampered, timeout=10)
    assert refused.value.code == 403
    store.delete("test/a.jpg")
    assert not store.exists("test/a.jpg")


def test_wrong_checksum_is_refused_by_the_server(store):
    with pytest.raises(ChecksumMismatch):
        store.put("test/c.jpg", b"some bytes", "image/jpeg", sha256_hex=hashlib.sha256(b"other").hexdigest())
    assert not store.exists("test/c.jpg")
