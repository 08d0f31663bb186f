"""Login throttling per (account, client address) and per address, in Redis: guessing is slowed, and
knowing a username is not enough to lock its owner out."""

from __future__ import annotations

import dataclasses

import pytest
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.errors import AccountLocked
from app.login.throttle import LoginThrottle
from tests.factories import PASSWORD, area_tree, make_user

ATTACKER, VICTIM = "203.0.113.7", "198.51.100.20"


def login(client, username: str, password: str, address: str, **headers):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


@pytest.fixture
def victim(app):
    area_tree(1)
    return make_user("admin", "370000000000")


def test_failures_from_one_address_do_not_lock_the_owner_out(app, client, victim):
    limit = app.config["DOORSTEP"].LOGIN_MAX_FAILURES
    codes = [login(client, victim.username, "wrong-pass", ATTACKER).status_code for _ in range(limit + 2)]
    assert codes == [401] * (limit - 1) + [429] * 3
    locked = login(client, victim.username, PASSWORD, ATTACKER)  # even the right password, from there
    assert locked.status_code == 429 and locked.json["errors"]["reason"] == "account_locked"
    assert 0 < locked.json["errors"]["retry_after"] <= app.config["DOORSTEP"].LOGIN_LOCK_SECONDS + 1
    assert login(client, victim.username, PASSWORD, VICTIM).status_code == 200


def test_a_forged_client_address_header_is_not_trusted_by_default(app, client, victim):
    limit = app.config["DOORSTEP"].LOGIN_MAX_FAILURES
    for _ in range(limit + 1):  # the attacker claims to be the victim's address
        login(client, victim.username, "wrong-pass", ATTACKER, **{"X-Real-IP": VICTIM})
    assert login(client, victim.username, PASSWORD, VICTIM).status_code == 200
    assert login(client, victim.username, PASSWORD, ATTACKER).status_code == 429


def test_behind_a_trusted_proxy_the_header_names_the_client(app, client, victim, monkeypatch):
    monkeypatch.setattr(app.config["DOORSTEP"], "CLIENT_IP_HEADER", "X-Real-IP")
    limit = app.config["DOORSTEP"].LOGIN_MAX_FAILURES
    proxy = "10.0.0.1"  # every request arrives from the proxy; the header tells them apart
    for _ in range(limit):
        login(client, victim.username, "wrong-pass", proxy, **{"X-Real-IP": ATTACKER})
    assert login(client, victim.username, PASSWORD, proxy, **{"X-Real-IP": ATTACKER}).status_code == 429
    assert login(client, victim.username, PASSWORD, proxy, **{"X-Real-IP": VICTIM}).status_code == 200


def test_spraying_usernames_from_one_address_stops_that_address(app, client, victim, monkeypatch):
    throttle = app.extensions["login_throttle"]
    monkeypatch.setitem(app.extensions, "login_throttle", dataclasses.replace(throttle, per_address=4))
    codes = [login(client, f"guess{i}", "wrong-pass", ATTACKER).status_code for i in range(6)]
    assert codes == [401, 401, 401, 429, 429, 429]
    assert login(client, victim.username, PASSWORD, ATTACKER).status_code == 429
    assert login(client, victim.username, PASSWORD, VICTIM).status_code == 200


def test_a_successful_login_forgets_that_address_failures(app, client, victim):
    limit = app.config["DOORSTEP"].LOGIN_MAX_FAILURES
    for _ in range(limit - 1):
        assert login(client, victim.username, "typo-pass", VICTIM).status_code == 401
    assert login(client, victim.username, PASSWORD, VICTIM).status_code == 200
    for _ in range(limit - 1):
        assert login(client, victim.username, "typo-pass", VICTIM).status_code == 401
    assert login(client, victim.username, PASSWORD, VICTIM).status_code == 200


def test_the_counts_live_in_redis_for_every_api_process(app, client, victim):
    cfg = app.config["DOORSTEP"]
    for _ in range(cfg.LOGIN_MAX_FAILURES):
        login(client, victim.username, "wrong-pass", ATTACKER)
    # another process: its own limiter on the same Redis sees the same lock
    other = LoginThrottle(
        MovingWindowRateLimiter(RedisStorage(cfg.REDIS_URL)),
        per_account_and_address=cfg.LOGIN_MAX_FAILURES,
        per_address=cfg.LOGIN_MAX_FAILURES_PER_ADDRESS,
        seconds=cfg.LOGIN_LOCK_SECONDS,
        namespace=cfg.QUEUE_PREFIX,
    )
    with pytest.raises(AccountLocked):
        other.check(victim.username, ATTACKER)
    other.check(victim.username, VICTIM)
