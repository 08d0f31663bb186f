"""Check a username and password, throttled per account and client address.

Every way of logging in (bearer-token exchange, HTTP Basic for OpenRosa phones, console sessions) goes
through `authenticate`, so every one of them is throttled the same way.
"""

from __future__ import annotations

from app.errors import AccountDisabled, BadCredentials
from app.login.throttle import LoginThrottle
from app.users import passwords
from app.users.models import User


def authenticate(username: str, password: str, *, address: str | None, throttle: LoginThrottle) -> User:
    """The user for these credentials. Wrong passwords from `address` are counted; past the limits that
    address is refused (429) for this account, or for every account, until the window has passed."""
    throttle.check(username, address)
    user = User.objects(username=username).first()
    if user is None:
        passwords.verify_password(passwords.DUMMY_HASH, password)  # the same time as a real check
        throttle.failed(username, address)
        raise BadCredentials()
    if not passwords.verify_password(user.password_hash, password):
        throttle.failed(username, address)
        raise BadCredentials()
    if not user.active:
        raise AccountDisabled()
    throttle.succeeded(username, address)
    if passwords.needs_rehash(user.password_hash):
        User.objects(id=user.id).update_one(set__password_hash=passwords.hash_password(password))
    return user
