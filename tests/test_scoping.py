"""The scoping matrix: each role against its own area, a child, a sibling and the parent, per family."""

from __future__ import annotations

import pytest

from app.audit import service as audit
from app.auth.principal import SYSTEM
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

# Each role sits at its natural level; targets are described relative to that area.
HOME = {
    "cadre": "370101001001",
    "verifier": "370101001000",
    "supervisor": "370101000000",
    "admin": "370000000000",
}
# relation -> area code of the target, per role
TARGETS = {
    "cadre": {
        "own": "370101001001",
        "child": "370101001001001",
        "sibling": "370101001002",
        "parent": "370101001000",
    },
    "verifier": {
        "own": "370101001000",
        "child": "370101001001",
        "sibling": "370101002000",
        "parent": "370101000000",
    },
    "supervisor": {
        "own": "370101000000",
        "child": "370101001000",
        "sibling": "370102000000",
        "parent": "370100000000",
    },
    "admin": {
        "own": "370000000000",
        "child": "370303003003",
        "sibling": "370202002000",
        "parent": "370101000000",
    },
}
INSIDE = {"own", "child"}


# relation -> the village (or hamlet) a target household lives in; "parent" means under the parent
# area but outside the caller's own.
HOUSEHOLD_VILLAGE = {
    "cadre": {
        "own": "370101001001",
        "child": "370101001001001",
        "sibling": "370101001002",
        "parent": "370101001003",
    },
    "verifier": {
        "own": "370101001001",
        "child": "370101001002001",
        "sibling": "370101002001",
        "parent": "370101003001",
    },
    "supervisor": {
        "own": "370101001001",
        "child": "370101002003001",
        "sibling": "370102001001",
        "parent": "370103001001",
    },
    "admin": {
        "own": "370101001001",
        "child": "370303003003",
        "sibling": "370202002001",
        "parent": "370101003001",
    },
}


@pytest.fixture
def world(app, client):
    area_tree()
    callers = {role: make_user(role, home) for role, home in HOME.items()}
    headers = {role: token_for(client, user) for role, user in callers.items()}
    return callers, headers


def expected(role: str, relation: str, family: str) -> int:
    if role == "admin":
        return 200
    if family == "areas":
        return 200 if relation in INSIDE | {"parent"} else 404
    if family in ("users",) and role in ("cadre", "verifier"):
        return 403
    return 200 if relation in INSIDE else 404


@pytest.mark.parametrize("relation", ["own", "child", "sibling", "parent"])
@pytest.mark.parametrize("role", ["cadre", "verifier", "supervisor", "admin"])
def test_household_read_and_write(world, client, role, relation):
    _, headers = world
    village = HOUSEHOLD_VILLAGE[role][relation]
    household = HouseholdFactory(village_code=village)
    resp = client.get(f"/api/v1/households/{household.id}", headers=headers[role])
    assert resp.status_code == expected(role, relation, "households"), (village, resp.json)
    listed = client.get("/api/v1/households?page_size=500", headers=headers[role]).json
    assert (str(household.id) in {h["id"] for h in listed}) == (expected(role, relation, "households") == 200)
    patch = client.patch(
        f"/api/v1/households/{household.id}", json={"address": "新地址"}, headers=headers[role]
    )
    if role in ("cadre", "verifier"):
        assert patch.status_code == 403  # the role may not change households anywhere
    else:
        assert patch.status_code == expected(role, relation, "households")


@pytest.mark.parametrize("relation", ["own", "child", "sibling", "parent"])
@pytest.mark.parametrize("role", ["cadre", "verifier", "supervisor", "admin"])
def test_area_read(world, client, role, relation):
    _, headers = world
    code = TARGETS[role][relation]
    resp = client.get(f"/api/v1/areas/{code}", headers=headers[role])
    assert resp.status_code == expected(role, relation, "areas")


@pytest.mark.parametrize("relation", ["own", "child", "sibling", "parent"])
@pytest.mark.parametrize("role", ["cadre", "verifier", "supervisor", "admin"])
def test_user_read(world, client, role, relation):
    _, headers = world
    target = make_user(
        "cadre" if len(TARGETS[role][relation].rstrip("0")) > 6 else "supervisor", TARGETS[role][relation]
    )
    resp = client.get(f"/api/v1/users/{target.id}", headers=headers[role])
    if role in ("cadre", "verifier"):
        assert resp.status_code == 403
    else:
        assert resp.status_code == expected(role, relation, "users")


@pytest.mark.parametrize("relation", ["own", "child", "sibling", "parent"])
@pytest.mark.parametrize("role", ["cadre", "verifier", "supervisor", "admin"])
def test_audit_read(world, client, role, relation):
    _, headers = world
    from app.area_codes import ancestors

    event = audit.record(
        SYSTEM, "test.event", "thing", f"{role}-{relation}", ancestors(TARGETS[role][relation])
    )
    resp = client.get("/api/v1/audit?action=test.event", headers=headers[role])
    if role in ("cadre", "verifier"):
        assert resp.status_code == 403
        return
    assert resp.status_code == 200
    seen = {e["id"] for e in resp.json}
    assert (str(event.id) in seen) == (expected(role, relation, "audit") == 200)


def test_supervisor_cannot_create_user_outside_subtree_or_admin(world, client):
    _, headers = world
    body = {
        "username": "newcadre",
        "password": "long-enough-1",
        "role": "cadre",
        "area_codes": ["370102001001"],
    }
    assert client.post("/api/v1/users", json=body, headers=headers["supervisor"]).status_code == 403
    body["area_codes"] = ["370101002001"]
    created = client.post("/api/v1/users", json=body, headers=headers["supervisor"])
    assert created.status_code == 201 and created.json["area_codes"] == ["370101002001"]
    admin_body = {**body, "username": "newadmin", "role": "admin"}
    assert client.post("/api/v1/users", json=admin_body, headers=headers["supervisor"]).status_code == 403
    assert (
        client.post("/api/v1/users", json={**body, "username": "xx2"}, headers=headers["cadre"]).status_code
        == 403
    )
    events = client.get("/api/v1/audit?action=user.create", headers=headers["supervisor"]).json
    assert any(
        e["details"]["username"] == "newcadre" and e["actor"] == world[0]["supervisor"].username
        for e in events
    )


def test_area_creation_is_admin_only(world, client):
    _, headers = world
    body = {"code": "370101001004", "name": "新村"}
    assert client.post("/api/v1/areas", json=body, headers=headers["supervisor"]).status_code == 403
    resp = client.post("/api/v1/areas", json=body, headers=headers["admin"])
    assert resp.status_code == 201 and resp.json["path"][-2] == "370101001000"
    assert client.post("/api/v1/areas", json=body, headers=headers["admin"]).status_code == 409


def test_children_listing_limited_to_scope(world, client):
    _, headers = world
    towns = client.get("/api/v1/areas?parent=370101000000", headers=headers["verifier"])
    assert towns.status_code == 200
    assert [a["code"] for a in towns.json] == ["370101001000"]
    roots = client.get("/api/v1/areas", headers=headers["supervisor"]).json
    assert [a["code"] for a in roots] == ["370101000000"]
