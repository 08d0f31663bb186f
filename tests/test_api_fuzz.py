"""Schemathesis over whatever /openapi.json declares: no operation answers 5xx or breaks its documented
response schema, as an admin and as a village cadre. Deterministic (derandomized) and bounded per
operation so that it stays a couple of minutes on CI."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from app.clock import now
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import build_visit

VILLAGE = "370101001001"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.content_type_conformance,
]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="module")
def world(session_app, empty_data):
    """One village with households, visits in several states, an admin and a cadre, and ids to aim at."""
    empty_data()
    store = session_app.extensions["store"]
    area_tree(1)
    admin = make_user("admin", "370000000000", username="fuzz-admin-7f3a")
    cadre = make_user("cadre", VILLAGE, username="fuzz-cadre-7f3a")
    # user operations aim at a third user: a generated PATCH must not revoke the callers' own tokens
    target = make_user("cadre", VILLAGE, username="fuzz-target-7f3a")
    households = [HouseholdFactory(village_code=VILLAGE, helper_id=str(cadre.id)) for _ in range(3)]
    visits = [
        build_visit(households[0], cadre, state="approved", store=store),
        build_visit(households[1], cadre, state="checked"),
        build_visit(households[2], cadre, state="receiving", submitted_at=now()),
    ]
    client = session_app.test_client()
    return {
        "headers": {"admin": token_for(client, admin), "cadre": token_for(client, cadre)},
        "ids": {
            "household_id": [str(h.id) for h in households],
            "visit_id": [str(v.id) for v in visits],
            "user_id": [str(target.id)],
            "code": [VILLAGE, "370101000000"],
            "form_id": ["household_visit", "satisfaction_survey"],
            "version": ["1"],
            "slot": ["photo.front_of_house", "signature.household_head"],
        },
    }


@pytest.fixture(scope="module")
def api_schema(session_app, world):
    return schemathesis.openapi.from_wsgi("/openapi.json", session_app)


FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def call_and_validate(case, role: str, world: dict) -> None:
    """Aim about half the path parameters at real objects, call as `role`, run the checks."""
    for name, made_up in list((case.path_parameters or {}).items()):
        known = world["ids"].get(name)
        if known and len(str(made_up)) % 2 == 0:
            case.path_parameters[name] = known[len(str(made_up)) // 2 % len(known)]
    case.call_and_validate(headers=world["headers"][role], checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_every_operation_as_admin(case, world):
    call_and_validate(case, "admin", world)


@schema.parametrize()
@FUZZ
def test_every_operation_as_cadre(case, world):
    call_and_validate(case, "cadre", world)
