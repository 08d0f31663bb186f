"""GET /forms, /forms/{form_id}, /forms/{form_id}/versions/{version}: auth, bodies, ETags and 304s."""

from __future__ import annotations

import hashlib
import json

import pytest

from app.forms.loader import canonical_json
from tests.factories import area_tree, make_user, token_for
from tests.forms_fixtures.samples import SHIPPED

URL = "/api/v1/forms"


@pytest.fixture
def headers(app, client):
    assert app.extensions["forms"].get("household_visit")  # loaded once by register_forms in create_app
    area_tree(fanout=1)
    return token_for(client, make_user("cadre", "370101001001"))


def test_list(client, headers):
    resp = client.get(URL, headers=headers)
    assert resp.status_code == 200
    assert [(f["form_id"], f["version"]) for f in resp.json] == [
        ("household_visit", 1),
        ("satisfaction_survey", 1),
    ]
    lock = json.loads((SHIPPED / "published.lock.json").read_text())
    assert resp.json[0]["sha256"] == lock["household_visit/v1"]
    assert resp.json[1]["role"] == {"contributes": ["satisfaction"], "moves_household": False}
    assert resp.json[0]["title"] == {"zh": "入户核查走访表", "en": "Household verification visit"}


def test_current_version_is_a_renderable_definition(client, headers):
    resp = client.get(f"{URL}/household_visit", headers=headers)
    assert resp.status_code == 200
    body = resp.json
    assert (body["form_id"], body["version"], body["status"]) == ("household_visit", 1, "published")
    housing = next(f for f in body["fields"] if f["name"] == "housing")
    grade, plan = housing["fields"][0], housing["fields"][1]
    assert [c["code"] for c in grade["choices"]] == ["A", "B", "C", "D"]
    assert grade["label"] == {"zh": "住房安全等级", "en": "Housing safety grade"}
    assert plan["relevant"] == {"field": "housing.grade", "op": "in", "value": ["C", "D"]}
    assert {a["slot"] for a in body["attachments"] if a["required"]} >= {
        "photo.stove",
        "signature.township_cadre",
    }


def test_specific_version(client, headers):
    resp = client.get(f"{URL}/satisfaction_survey/versions/1", headers=headers)
    assert resp.status_code == 200
    assert resp.json["form_id"] == "satisfaction_survey"


@pytest.mark.parametrize("path", ["/no_such_form", "/household_visit/versions/2", "/no_such_form/versions/1"])
def test_unknown_form_or_version(client, headers, path):
    resp = client.get(URL + path, headers=headers)
    assert resp.status_code == 404
    assert resp.json["errors"]["reason"] == "not_found"


@pytest.mark.parametrize("path", ["", "/household_visit", "/household_visit/versions/1"])
def test_strong_etag_and_304(client, headers, path):
    first = client.get(URL + path, headers=headers)
    etag, weak = first.get_etag()
    assert etag and not weak
    assert etag == hashlib.sha256(first.data).hexdigest()  # the hash of the canonical JSON sent
    again = client.get(URL + path, headers={**headers, "If-None-Match": f'"{etag}"'})
    assert again.status_code == 304
    assert again.data == b""
    assert again.get_etag() == (etag, False)
    other = client.get(URL + path, headers={**headers, "If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_etag_of_a_version_is_its_published_sha256(client, headers):
    resp = client.get(f"{URL}/household_visit/versions/1", headers=headers)
    lock = json.loads((SHIPPED / "published.lock.json").read_text())
    assert resp.get_etag()[0] == lock["household_visit/v1"]
    assert canonical_json(resp.json) == resp.data


@pytest.mark.parametrize("role", ["verifier", "supervisor", "admin"])
def test_every_role_may_read_forms(client, headers, role):
    other = token_for(client, make_user(role, "370101001000" if role == "verifier" else "370100000000"))
    assert client.get(f"{URL}/household_visit", headers=other).status_code == 200


@pytest.mark.parametrize("path", ["", "/household_visit", "/household_visit/versions/1"])
def test_unauthenticated(client, headers, path):
    resp = client.get(URL + path)
    assert resp.status_code == 401
    assert resp.json["errors"]["reason"] == "unauthenticated"
