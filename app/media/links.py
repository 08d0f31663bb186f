"""Signed, expiring links to one variant of one attachment. No Flask here: the view verifies them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

from app.errors import LinkExpired, LinkInvalid

VARIANTS = ("original", "1024", "240")  # the stored file, then the thumbnails the image job made
PREFIX = "/media"
# Expiry times are rounded down to this many seconds, so a page reloaded within the same step links the
# same URLs (the browser's cache is used) and no link ever lives longer than the TTL.
STEP = 30


class MediaLinks:
    """Issue and verify `/media/<attachment>/<variant>?e=<expiry>&s=<signature>` links."""

    def __init__(
        self, secret_key: str, ttl: int, *, base: str = "", clock: Callable[[], float] = time.time
    ) -> None:
        self._key = hashlib.sha256(b"doorstep-media:" + secret_key.encode()).digest()
        self.ttl = ttl
        self.base = base.rstrip("/")
        self.clock = clock

    def _signature(self, attachment_id: str, variant: str, expires: int) -> str:
        mac = hmac.new(self._key, f"{attachment_id}:{variant}:{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode()

    def expiry(self) -> int:
        """When a link issued now stops working (epoch seconds): at most `ttl` from now."""
        latest = int(self.clock()) + self.ttl
        step = STEP if self.ttl > 2 * STEP else 1
        return latest - latest % step

    def url(self, attachment_id: str, variant: str = "original") -> str:
        expires = self.expiry()
        signature = self._signature(attachment_id, variant, expires)
        return f"{self.base}{PREFIX}/{attachment_id}/{variant}?e={expires}&s={signature}"

    def verify(self, attachment_id: str, variant: str, expires: str | None, signature: str | None) -> int:
        """Seconds the link has left; LinkInvalid for a forged or altered link, LinkExpired after expiry."""
        if variant not in VARIANTS or not expires or not expires.isdigit() or not signature:
            raise LinkInvalid()
        expected = self._signature(attachment_id, variant, int(expires))
        if not hmac.compare_digest(expected, signature):
            raise LinkInvalid()
        left = int(expires) - int(self.clock())
        if left <= 0:
            raise LinkExpired()
        return left
