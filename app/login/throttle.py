"""Login throttling: wrong passwords are counted in Redis per (account, client address) and per address.

An account is never locked as a whole, so knowing a username is not enough to lock its owner out: five
wrong passwords for `admin` from one address stop that address trying `admin` for a while, and many
wrong passwords from one address (spraying usernames) stop that address. The owner, from their own
address, still logs in. Counting uses Flask-Limiter's moving-window limiter on the app's Redis.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask_limiter import Limiter
from limits import RateLimitItemPerSecond
from limits.strategies import RateLimiter
from redis.exceptions import RedisError

from app.errors import AccountLocked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginThrottle:
    """Failure counters for one credential check; `limiter` is a `limits` strategy (moving window)."""

    limiter: RateLimiter
    per_account_and_address: int
    per_address: int
    seconds: int
    namespace: str = "doorstep"

    def check(self, username: str, address: str | None) -> None:
        """Raise AccountLocked when this address may not try this account (or any account) for now."""
        for item, keys in self._limits(username, address):
            if not self._test(item, keys):
                raise AccountLocked(retry_after=self._retry_after(item, keys))

    def failed(self, username: str, address: str | None) -> None:
        """Count a wrong password; the failure that uses up a limit is answered as the lock already."""
        for item, keys in self._limits(username, address):
            self._storage_call(self.limiter.hit, item, keys)
        self.check(username, address)

    def succeeded(self, username: str, address: str | None) -> None:
        """The right password from this address: its failures for this account are forgotten."""
        item, keys = self._limits(username, address)[0]
        self._storage_call(self.limiter.clear, item, keys)

    def _limits(self, username: str, address: str | None):
        where = address or "unknown"
        return [
            (
                RateLimitItemPerSecond(self.per_account_and_address, self.seconds),
                (self.namespace, "login", username, where),
            ),
            (
                RateLimitItemPerSecond(self.per_address, self.seconds),
                (self.namespace, "login-address", where),
            ),
        ]

    def _test(self, item, keys) -> bool:
        allowed = self._storage_call(self.limiter.test, item, keys)
        return True if allowed is None else allowed

    def _retry_after(self, item, keys) -> int:
        stats = self.limiter.get_window_stats(item, *keys)
        return max(1, int(stats.reset_time - time.time()) + 1)

    def _storage_call(self, method, item, keys):
        # Redis down: logins go on unthrottled (Argon2 still slows guessing) rather than nobody logging in
        try:
            return method(item, *keys)
        except RedisError as err:
            log.warning("login throttle unavailable: %s", err)
            return None


def register_login_throttle(app: Flask, client_address: Callable[[], str | None]) -> None:
    """Flask-Limiter on the app's Redis (the queue's connection pool), holding the login throttle."""
    cfg = app.config["DOORSTEP"]
    limiter = Limiter(
        key_func=client_address,
        storage_uri=cfg.REDIS_URL,
        storage_options={"connection_pool": app.extensions["queue"].connection.connection_pool},
        strategy="moving-window",
        key_prefix=cfg.QUEUE_PREFIX,
        headers_enabled=False,
    )
    limiter.init_app(app)
    app.extensions["login_throttle"] = LoginThrottle(
        limiter.limiter,
        per_account_and_address=cfg.LOGIN_MAX_FAILURES,
        per_address=cfg.LOGIN_MAX_FAILURES_PER_ADDRESS,
        seconds=cfg.LOGIN_LOCK_SECONDS,
        namespace=cfg.QUEUE_PREFIX,
    )
