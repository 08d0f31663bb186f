"""Input an attacker or a fuzzer sends answers a clear 4xx in the documented error shape, never a 500:
deep JSON, lone surrogates, control characters, implausible dates, huge page numbers, over-long text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema, fields

from app.clock import now
from app.errors import ValidationFailed
from app.households.models import Household
from app.inputs import Text
from app.jsonguard import MAX_BYTES, MAX_DEPTH, depth
from app.users.models import User
from app.users.service import principal_for
from app.visits import intake
from app.visits.models import Visit
from app.visits.schemas import VisitIn
from tests.api_submissions import visit_payload
from tests.factories import PROVINCE, HouseholdFactory, area_tree, make_user, token_for

VILLAGE = "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(1)
    admin = make_user("admin", PROVINCE)
    cadre = make_user("cadre", VILLAGE)
    household = HouseholdFactory(village_code=VILLAGE)
    return household, {"admin": token_for(client, admin), "cadre": token_for(client, cadre)}


def assert_error(resp, status: int, reason: str) -> dict:
    """The documented error shape: {code, status, message, errors: {reason, ...}}."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    body = resp.json
    assert body["code"] == status and body["status"] and body["message"]
    assert body["errors"]["reason"] == reason, body
    return body


def post_raw(client, path: str, text: str, headers: dict | None = None):
    return client.post(path, data=text, headers={**(headers or {}), "Content-Type": "application/json"})


def household_body(**overrides) -> dict:
    return {"number": "HH-X1", "village_code": VILLAGE, "head_name": "王五"} | overrides


# --- one JSON guard before any handler -----------------------------------------------------------


def test_depth_is_measured_without_recursion_and_ignores_brackets_in_strings():
    assert depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert depth(b'"\\"[[[["') == 0
    assert depth(b"[" * 100_000) > MAX_DEPTH


@pytest.mark.parametrize("who", ["cadre", "admin", None])
def test_deeply_nested_json_is_400_everywhere_even_before_login(world, client, who):
    _, headers = world
    path = {"cadre": "/api/v1/visits", "admin": "/api/v1/households", None: "/api/v1/auth/token"}[who]
    assert_error(post_raw(client, path, "[" * 100_000, headers.get(who)), 400, "json_too_deep")


def test_five_thousand_nested_objects_in_answers_are_refused(world, client):
    household, headers = world
    payload = visit_payload(household)
    text = json.dumps(payload).replace(
        '"answers": {', '"answers": {"x": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + ", "
    )
    assert_error(post_raw(client, "/api/v1/visits", text, headers["cadre"]), 400, "json_too_deep")
    assert Visit.objects.count() == 0


def test_oversized_and_malformed_json(world, client):
    _, headers = world
    big = json.dumps(household_body(address="x" * MAX_BYTES))
    resp = post_raw(client, "/api/v1/households", big, headers["admin"])
    assert resp.status_code == 413 and resp.json["code"] == 413 and resp.json["message"]
    assert_error(post_raw(client, "/api/v1/households", '{"number": ', headers["admin"]), 400, "invalid_json")


# --- text: proper Unicode, no control characters ---------------------------------------------------


def test_lone_surrogate_is_400_and_a_real_pair_is_fine(world, client):
    _, headers = world
    lone = json.dumps(household_body(head_name="a\ud800b"))  # json.dumps writes the \\ud800 escape
    assert "\\ud800" in lone
    assert_error(post_raw(client, "/api/v1/households", lone, headers["admin"]), 400, "invalid_unicode")
    assert_error(
        post_raw(client, "/api/v1/auth/token", json.dumps({"username": "\udfff", "password": "x" * 8})),
        400,
        "invalid_unicode",
    )
    paired = json.dumps(household_body(head_name="王\ud83d\ude00"))  # an emoji as a surrogate pair
    resp = post_raw(client, "/api/v1/households", paired, headers["admin"])
    assert resp.status_code == 201 and resp.json["head_name"] == "王😀"


def test_lone_surrogate_in_the_multipart_visit_part_is_400(world, client):
    household, headers = world
    payload = visit_payload(household) | {"form_id": "household_visit\udc00"}
    resp = client.post(
        "/api/v1/visits",
        data={"visit": json.dumps(payload)},
        headers=headers["cadre"],
        content_type="multipart/form-data",
    )
    assert_error(resp, 400, "invalid_unicode")


def test_control_characters_are_422_except_line_breaks_where_allowed(world, client):
    household, headers = world
    bell = client.post(
        "/api/v1/households", json=household_body(head_name="王\x07五"), headers=headers["admin"]
    )
    body = assert_error(bell, 422, "validation_failed")
    assert "head_name" in json.dumps(body["errors"])
    assert Household.objects(number="HH-X1").count() == 0
    item = {"household_id": str(household.id), "problem": "第一行\n第二行\t缩进"}
    verifier = token_for(client, make_user("verifier", "370101001000"))
    assert client.post("/api/v1/rectifications", json=item, headers=verifier).status_code == 201
    item["problem"] = "坏\x00字符"
    assert_error(client.post("/api/v1/rectifications", json=item, headers=verifier), 422, "validation_failed")
    answers = visit_payload(household)
    answers["answers"]["talk"] |= {"satisfaction": "dissatisfied", "dissatisfaction_reason": "x\x1by"}
    assert_error(
        client.post("/api/v1/visits", json=answers, headers=headers["cadre"]), 422, "validation_failed"
    )


def test_imported_control_characters_and_long_causes_are_row_errors(world, client):
    _, headers = world
    csv_text = (
        "户编号,村代码,户主姓名,致贫原因\nHH-I1,370101001001,王\x07五,因病\nHH-I2,370101001001,李四,"
        + "病" * 31
    )
    resp = client.post(
        "/api/v1/households/import",
        data={"file": (io.BytesIO(csv_text.encode("utf-8")), "h.csv")},
        headers=headers["admin"],
        content_type="multipart/form-data",
    )
    body = assert_error(resp, 422, "import_failed")
    assert set(body["errors"]["errors"]) == {"2", "3"}
    assert Household.objects.count() == 1  # only the fixture's household: nothing half-written


def test_model_limits_are_the_schema_limits(world, client):
    _, headers = world
    long_cause = household_body(poverty_causes=["因" * (Household.poverty_causes.field.max_length + 1)])
    assert_error(
        client.post("/api/v1/households", json=long_cause, headers=headers["admin"]), 422, "validation_failed"
    )
    many = household_body(poverty_causes=["因病"] * 21)
    assert_error(
        client.post("/api/v1/households", json=many, headers=headers["admin"]), 422, "validation_failed"
    )
    fits = household_body(poverty_causes=["因" * Household.poverty_causes.field.max_length])
    assert client.post("/api/v1/households", json=fits, headers=headers["admin"]).status_code == 201


def _string_fields(schema: Schema, where: str):
    """(location, field) for every string-typed field of a schema, nested ones included."""
    for name, field in schema.fields.items():
        yield from _string_field(field, f"{where}.{name}")


def _string_field(field, where: str):
    if isinstance(field, fields.Nested):
        yield from _string_fields(field.schema, where)
    elif isinstance(field, fields.List):
        yield from _string_field(field.inner, where + "[]")
    elif isinstance(field, fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from _string_field(part, where + "{}")
    elif isinstance(field, fields.String):
        yield where, field


def test_every_input_schema_takes_text_through_the_one_text_type(session_app):
    """Whatever blueprint a view lives in, its @blp.arguments schemas use app.inputs.Text for strings."""
    checked, plain = 0, []
    for rule in session_app.url_map.iter_rules():
        view = session_app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        methods = [getattr(view_class, m.lower(), None) for m in rule.methods] if view_class else [view]
        for method in filter(None, methods):
            for argument in getattr(method, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = argument["schema"]
                schema = schema() if isinstance(schema, type) else schema
                for where, field in _string_fields(schema, f"{rule.rule} {type(schema).__name__}"):
                    checked += 1
                    if not isinstance(field, Text):
                        plain.append(where)
    assert checked > 30 and plain == []


# --- dates in a plausible window ---------------------------------------------------------------


@pytest.mark.parametrize(
    "started_at",
    ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "1900-01-01T08:00:00+08:00", "next year"],
)
def test_implausible_visit_times_are_422(world, client, started_at):
    household, headers = world
    if started_at == "next year":
        started_at = (now() + timedelta(days=365)).isoformat()
    payload = visit_payload(household) | {"started_at": started_at}
    body = assert_error(
        client.post("/api/v1/visits", json=payload, headers=headers["cadre"]), 422, "validation_failed"
    )
    assert "started_at" in json.dumps(body["errors"])
    assert Visit.objects.count() == 0


def test_intake_itself_holds_visits_to_the_window(world, session_app):
    """OpenRosa and other ways in call intake without the JSON schema: the window holds there too."""
    household, _ = world
    cadre = principal_for(User.objects.get(role="cadre"))
    ext, cfg = session_app.extensions, session_app.config["DOORSTEP"]
    svc = intake.Intake(ext["store"], ext["queue"], ext["forms"], cfg.MAX_UPLOAD_BYTES, cfg.MAX_IMAGE_PIXELS)
    data = VisitIn().load(visit_payload(household)) | {"started_at": datetime(1, 1, 1, tzinfo=UTC)}
    with pytest.raises(ValidationFailed) as refused:
        intake.create_visit(svc, cadre, data | {"instance_id": str(data["instance_id"])})
    assert set(refused.value.details["errors"]) == {"started_at"}
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-08:00", "0001-01-01"])
@pytest.mark.parametrize("path", ["/api/v1/visits", "/api/v1/audit"])
def test_out_of_range_since_is_422(world, client, path, since):
    _, headers = world
    resp = client.get(path, query_string={"since": since}, headers=headers["admin"])
    assert "since" in json.dumps(assert_error(resp, 422, "validation_failed")["errors"])
    recent = (now() - timedelta(days=30)).isoformat()
    assert client.get(path, query_string={"since": recent}, headers=headers["admin"]).status_code == 200


# --- pages -------------------------------------------------------------------------------------------


def test_huge_page_numbers_are_422_on_every_paginated_list(world, client):
    spec = client.get("/openapi.json").json
    paginated = [
        path
        for path, operations in spec["paths"].items()
        if "{" not in path  # lists under an object's id go through the same page class
        and any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", []))
    ]
    assert len(paginated) >= 7
    _, headers = world
    roles = [headers["admin"], token_for(client, make_user("verifier", "370101001000"))]
    for path in paginated:
        allowed = next((h for h in roles if client.get(path, headers=h).status_code == 200), None)
        assert allowed is not None, path
        for page in ("99999999999999999999", "100001"):
            resp = client.get(path, query_string={"page": page}, headers=allowed)
            assert_error(resp, 422, "validation_failed")
        assert client.get(path, query_string={"page": "100000"}, headers=allowed).json == []


# --- the check on the API log -----------------------------------------------------------------------


def test_an_unhandled_exception_is_answered_500_and_caught_in_the_log(
    client, request_tracebacks, monkeypatch
):
    """The hook that fails a test when a request logged a traceback really sees one (then forgets it)."""

    def broken(*_args):
        raise RuntimeError("boom")

    monkeypatch.setattr("app.health.api.readiness", broken)
    resp = client.get("/readyz")
    assert resp.status_code == 500 and resp.json["code"] == 500
    assert [r.exc_info[0] for r in request_tracebacks.records] == [RuntimeError]
    request_tracebacks.records.clear()
