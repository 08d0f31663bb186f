"""HTTP Basic credentials, as ODK Collect sends them on every request, checked against the same users,
Argon2 hashes and login throttle as `POST /auth/token`.

An Argon2id check at the standard profile costs ~0.2 s of CPU, and Collect repeats the credentials on
each of its requests (form list, manifest, media, every submission POST), so a successful check is
remembered for a short while. The cache is keyed by an HMAC of username and password under the app's
secret (no password or plain hash is held), and every hit is re-validated against the user's current
record: a password change or disabling the account bumps `token_version` and ends the cached entry, and
an address the throttle refuses for the account is refused (429) as by the JSON login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from collections import OrderedDict

from app.auth.principal import Principal
from app.errors import Unauthenticated
from app.login.credentials import authenticate
from app.login.known_users import KnownUsers
from app.login.throttle import LoginThrottle
from app.users.service import principal_for


class CredentialCache:
    """Recently verified (username, password) pairs -> (user id, token version), for `ttl` seconds."""

    def __init__(self, secret: str, ttl_seconds: float = 60.0, max_entries: int = 10_000):
        self._secret = hashlib.sha256(b"doorstep-basic-cache:" + secret.encode()).digest()
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[bytes, tuple[float, str, int]] = OrderedDict()
        self._lock = threading.Lock()
        # one Argon2 check at a time per credential: concurrent requests of one phone wait for it
        self._stripes = [threading.Lock() for _ in range(64)]

    def checking(self, username: str, password: str) -> threading.Lock:
        """The lock to hold while verifying these credentials, so their first check is not repeated."""
        return self._stripes[self._key(username, password)[0] % len(self._stripes)]

    def _key(self, username: str, password: str) -> bytes:
        message = username.encode("utf-8") + b"\0" + password.encode("utf-8")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def get(self, username: str, password: str) -> tuple[str, int] | None:
        key = self._key(username, password)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._entries[key]
                return None
            return entry[1], entry[2]

    def put(self, username: str, password: str, user_id: str, token_version: int) -> None:
        key = self._key(username, password)
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, user_id, token_version)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic …` header, or None if there is none."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as err:
        raise Unauthenticated("登录信息格式错误 Malformed Basic credentials") from err
    username, sep, password = decoded.partition(":")
    if not sep:
        raise Unauthenticated("登录信息格式错误 Malformed Basic credentials")
    return username, password


def basic_principal(
    username: str,
    password: str,
    cache: CredentialCache,
    users: KnownUsers,
    throttle: LoginThrottle,
    ip: str | None = None,
    user_agent: str | None = None,
) -> Principal:
    """The principal for Basic credentials: a recent identical check, or the full Argon2 login."""
    hit = cache.get(username, password)
    if hit is not None:
        user = users.get(hit[0])
        if user is not None and user.token_version == hit[1] and user.active:
            throttle.check(username, ip)
            return principal_for(user, ip, user_agent)
    user = authenticate(username, password, address=ip, throttle=throttle)
    cache.put(username, password, str(user.id), user.token_version)
    return principal_for(user, ip, user_agent)
