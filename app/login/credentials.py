"""Check a username and password, with lock-out."""

from __future__ import annotations

from datetime import timedelta

from app.clock import now
from app.errors import AccountDisabled, AccountLocked, BadCredentials
from app.users import passwords
from app.users.models import User


def authenticate(username: str, password: str, *, max_failures: int, lock_seconds: int) -> User:
    """The user for these credentials; after `max_failures` wrong passwords the account is locked."""
    user = User.objects(username=username).first()
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)
        raise BadCredentials()
    stamp = now()
    if user.locked_until and user.locked_until > stamp:
        raise AccountLocked(retry_after=int((user.locked_until - stamp).total_seconds()) + 1)
    if not passwords.verify_password(user.password_hash, password):
        failures = user.failed_logins + 1
        lock = stamp + timedelta(seconds=lock_seconds) if failures >= max_failures else None
        User.objects(id=user.id).update_one(
            set__failed_logins=0 if lock else failures, set__locked_until=lock
        )
        if lock:
            raise AccountLocked(retry_after=lock_seconds)
        raise BadCredentials()
    if not user.active:
        raise AccountDisabled()
    if user.failed_logins or user.locked_until:
        User.objects(id=user.id).update_one(set__failed_logins=0, set__locked_until=None)
    if passwords.needs_rehash(user.password_hash):
        User.objects(id=user.id).update_one(set__password_hash=passwords.hash_password(password))
    return user
