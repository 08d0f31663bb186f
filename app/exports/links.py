"""Signed, short-lived download links for finished exports. No Flask here: the view verifies them.

`/downloads/exports/<job>?e=<expiry>&s=<signature>`: the link is the permission (it is issued only to the
job's requester), so it works from a browser or a download manager without the bearer token, until it
expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

from app.errors import LinkExpired, LinkInvalid

PREFIX = "/downloads/exports"


class DownloadLinks:
    def __init__(self, secret_key: str, ttl: int, *, base: str = "", clock: Callable[[], float] = time.time):
        self._key = hashlib.sha256(b"doorstep-export:" + secret_key.encode()).digest()
        self.ttl = ttl
        self.base = base.rstrip("/")
        self.clock = clock

    def _signature(self, job_id: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{job_id}:{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()

    def url(self, job_id: str, not_after: float | None = None) -> tuple[str, int]:
        """A link valid for the TTL (never past `not_after`, when the file goes) and its expiry."""
        expires = int(self.clock()) + self.ttl
        if not_after is not None:
            expires = min(expires, int(not_after))
        return f"{self.base}{PREFIX}/{job_id}?e={expires}&s={self._signature(job_id, expires)}", expires

    def verify(self, job_id: str, expires: str | None, signature: str | None) -> None:
        """LinkInvalid for a forged or altered link, LinkExpired after its expiry."""
        if not expires or not expires.isdigit() or not signature:
            raise LinkInvalid()
        if not hmac.compare_digest(self._signature(job_id, int(expires)), signature):
            raise LinkInvalid()
        if int(expires) <= int(self.clock()):
            raise LinkExpired()
