"""Users recently read by id, per process: a request authenticated by a token or by cached Basic
credentials does not read its user again for a minute.

The price is that a change to a user (disabled, password changed, roles or areas) reaches each API
process within `ttl` seconds instead of at once; tokens are still checked for expiry on every request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from bson import ObjectId

from app.users.models import User


class KnownUsers:
    def __init__(self, ttl_seconds: float, max_entries: int = 10_000):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, User]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, user_id: str) -> User | None:
        """The user, as read at most `ttl` seconds ago; None if there is no such user."""
        with self._lock:
            entry = self._entries.get(user_id)
            if entry is not None and entry[0] > time.monotonic():
                return entry[1]
        user = User.objects(id=user_id).first() if ObjectId.is_valid(user_id) else None
        if user is not None and self.ttl > 0:
            with self._lock:
                self._entries[user_id] = (time.monotonic() + self.ttl, user)
                self._entries.move_to_end(user_id)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return user

    def forget(self, user_id: str) -> None:
        with self._lock:
            self._entries.pop(user_id, None)
