"""Tokens, passwords, lock-out, disabled users, masking of personal data."""

from __future__ import annotations

from app.users.models import User
from tests.factories import PASSWORD, HouseholdFactory, area_tree, make_user, token_for


def test_token_grants_access_and_wrong_password_is_401(app, client):
    area_tree(1)
    user = make_user("supervisor", "370101000000")
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    bad = client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope-nope"})
    assert bad.status_code == 401 and bad.json["errors"]["reason"] == "bad_credentials"
    unknown = client.post("/api/v1/auth/token", json={"username": "ghost", "password": "nope-nope"})
    assert unknown.status_code == 401 and unknown.json["errors"]["reason"] == "bad_credentials"
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 200
    assert resp.json["token_type"] == "Bearer" and resp.json["expires_in"] > 0
    assert resp.json["user"]["role"] == "supervisor" and "password" not in resp.json["user"]
    assert client.get("/api/v1/households").status_code == 401
    headers = {"Authorization": f"Bearer {resp.json['access_token']}"}
    assert client.get("/api/v1/households", headers=headers).status_code == 200
    tampered = {"Authorization": f"Bearer {resp.json['access_token'][:-2]}xx"}
    assert client.get("/api/v1/households", headers=tampered).status_code == 401


def test_expired_token_refused(app, client):
    area_tree(1)
    headers = token_for(client, make_user("cadre", "370101001001"))
    config = app.config["DOORSTEP"]
    ttl = config.TOKEN_TTL_SECONDS
    config.TOKEN_TTL_SECONDS = -1
    try:
        resp = client.get("/api/v1/households", headers=headers)
    finally:
        config.TOKEN_TTL_SECONDS = ttl
    assert resp.status_code == 401 and resp.json["errors"]["reason"] == "token_expired"


def test_repeated_failures_lock_the_account(app, client):
    area_tree(1)
    user = make_user("cadre", "370101001001")
    limit = app.config["DOORSTEP"].LOGIN_MAX_FAILURES
    codes = [
        client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": "wrong-pass"}
        ).status_code
        for _ in range(limit)
    ]
    assert codes == [401] * (limit - 1) + [429]
    # even the right password is refused while locked
    right = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert right.status_code == 429 and right.json["errors"]["retry_after"] > 0


def test_disabled_user_and_its_tokens_refused(app, client):
    area_tree(1)
    admin = make_user("admin", "370000000000")
    cadre = make_user("cadre", "370101001001")
    cadre_headers = token_for(client, cadre)
    resp = client.patch(f"/api/v1/users/{cadre.id}", json={"active": False}, headers=token_for(client, admin))
    assert resp.status_code == 200 and resp.json["active"] is False
    assert client.get("/api/v1/households", headers=cadre_headers).status_code == 401
    login = client.post("/api/v1/auth/token", json={"username": cadre.username, "password": PASSWORD})
    assert login.status_code == 401 and login.json["errors"]["reason"] == "account_disabled"
    assert User.objects(id=cadre.id).first().active is False


def test_id_and_phone_masked_by_role(app, client):
    area_tree(1)
    household = HouseholdFactory(village_code="370101001001", phone="13812345678")
    full_id = household.id_number
    seen = {}
    for role, area in (
        ("cadre", "370101001001"),
        ("verifier", "370101001000"),
        ("supervisor", "370101000000"),
        ("admin", "370000000000"),
    ):
        body = client.get(
            f"/api/v1/households/{household.id}", headers=token_for(client, make_user(role, area))
        ).json
        seen[role] = (body["id_number"], body["phone"])
    masked_id = full_id[:4] + "*" * 10 + full_id[-4:]
    assert seen["cadre"] == (masked_id, "13812345678")
    assert seen["verifier"] == (masked_id, "138****5678")
    assert seen["supervisor"] == (full_id, "13812345678")
    assert seen["admin"] == (full_id, "13812345678")
