"""Password hashing with Argon2id (argon2-cffi).

Production uses argon2-cffi's defaults (RFC 9106 low-memory profile, ~0.2 s a hash here). The test
suite selects the "fast" profile through PASSWORD_HASH_PROFILE so thousands of logins stay quick;
hashes made under either profile verify under the other, and `needs_rehash` upgrades them at login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
PROFILES = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}
_hasher = PROFILES["standard"]


def configure(profile: str) -> None:
    global _hasher, DUMMY_HASH
    _hasher = PROFILES[profile]
    DUMMY_HASH = _hasher.hash("doorstep-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


# A hash verified against when the username does not exist, so that a wrong username and a wrong
# password take the same time.
DUMMY_HASH = _hasher.hash("doorstep-timing-equaliser")
