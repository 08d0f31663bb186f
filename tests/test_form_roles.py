"""Each form's role: the satisfaction survey counts in the satisfaction rate and leaves the household's
assessment and verification status alone; roles are checked against the forms they describe."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.forms import check_forms, load_registry
from app.households.lifecycle import VisitFacts, record_satisfaction
from app.households.models import Household
from app.visits.models import Visit
from devkit.imagegen import make_signature
from tests.api_submissions import VISIT_START, put_attachment
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.forms_fixtures.samples import SHIPPED, copy_forms
from tests.stored_visits import T0, assessment, build_visit

TOWN, VILLAGE = "370101001000", "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(1)
    users = {
        "cadre": make_user("cadre", VILLAGE),
        "verifier": make_user("verifier", TOWN),
        "county": make_user("supervisor", "370101000000"),
    }
    return users, {name: token_for(client, user) for name, user in users.items()}


def survey(client, headers, household, answer: str) -> str:
    answers = {"overall": answer} | (
        {"reasons": ["helper_rarely_visits"]} if answer == "dissatisfied" else {}
    )
    payload = {
        "instance_id": str(uuid.uuid4()),
        "form_id": "satisfaction_survey",
        "form_version": 1,
        "household_id": str(household.id),
        "started_at": VISIT_START.isoformat(),
        "ended_at": (VISIT_START + timedelta(minutes=10)).isoformat(),
        "answers": answers,
    }
    visit = client.post("/api/v1/visits", json=payload, headers=headers)
    assert visit.status_code == 201, visit.json
    body = make_signature(31)
    resp = put_attachment(client, headers, visit.json["id"], "signature.household_head", body)
    assert resp.json["state"] == "submitted", resp.json
    return visit.json["id"]


def test_survey_counts_in_satisfaction_without_touching_the_assessment(world, client, run_worker):
    users, headers = world
    household = HouseholdFactory(village_code=VILLAGE)
    assessed = assessment({"housing_safety"}, satisfaction="satisfied")
    verified = build_visit(household, users["cadre"], state="approved", assessed=assessed)
    survey_id = survey(client, headers["cadre"], household, "dissatisfied")
    run_worker()

    checked = Visit.objects.get(id=survey_id)
    assert checked.state in ("checked", "has_issues")
    assert checked.form_role == {"contributes": ["satisfaction"], "moves_household": False}
    assert checked.assessment == {"indicators": [], "all_passed": None, "satisfaction": "dissatisfied"}
    household.reload()
    assert household.status == "verified"
    assert household.latest_visit_id == household.verified_visit_id == str(verified.id)
    assert household.latest_assessment == assessed
    assert (
        household.satisfaction["answer"] == "dissatisfied" and household.satisfaction["visit_id"] == survey_id
    )

    report = client.get(f"/api/v1/reports/verification?area={TOWN}", headers=headers["county"]).json["total"]
    assert (report["satisfaction_responses"], report["satisfaction_rate"]) == (1, 0.0)
    assert (report["assessed"], report["visited"], report["pass_rates"]["housing_safety"]) == (1, 1, 0.0)

    # signing the survey off up the chain still leaves the household's verification to its visits
    comment = {"comment": "签名核实"} if checked.state == "has_issues" else {}
    for who in ("verifier", "county"):
        resp = client.post(
            f"/api/v1/visits/{survey_id}/review",
            json={"decision": "approve", **comment},
            headers=headers[who],
        )
        assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "approved"
    household.reload()
    assert (household.status, household.verified_visit_id) == ("verified", str(verified.id))
    assert household.latest_assessment == assessed


def test_an_older_answer_does_not_replace_a_newer_one(app):
    household = HouseholdFactory(village_code=VILLAGE)
    role = {"contributes": ["satisfaction"], "moves_household": False}

    def answer(visit_id, value, at):
        facts = VisitFacts(str(household.id), visit_id, "checked", {"satisfaction": value}, at, role)
        return record_satisfaction(facts)

    assert answer("v2", "basically_satisfied", T0)
    assert not answer("v1", "dissatisfied", T0 - timedelta(days=1))
    assert answer("v2", "satisfied", T0)  # the same visit re-checked
    assert Household.objects.get(id=household.id).satisfaction["answer"] == "satisfied"


def test_shipped_roles():
    forms = load_registry(SHIPPED)
    visit, survey_form = forms.get("household_visit"), forms.get("satisfaction_survey")
    assert (visit.role.contributes, visit.role.moves_household) == (("assessment", "satisfaction"), True)
    assert (survey_form.role.contributes, survey_form.role.moves_household) == (("satisfaction",), False)


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "satisfaction_survey",
            "form_id: satisfaction_survey\nrole: {contributes: [assessment], moves_household: true}\n",
            "role.contributes: v1 has no assessment rules",
        ),
        (
            "satisfaction_survey",
            "form_id: satisfaction_survey\nrole: {contributes: [satisfaction], satisfaction_field: reasons,"
            " moves_household: false}\n",
            "reasons is not a select_one",
        ),
        (
            "household_visit",
            "form_id: household_visit\nrole: {contributes: [satisfaction], moves_household: true}\n",
            "give it exactly when the form contributes satisfaction",
        ),
        (
            "household_visit",
            "form_id: household_visit\nrole: {contributes: [money], moves_household: true}\n",
            "'money'",
        ),
        (
            "no_such_form",
            "form_id: no_such_form\nrole: {contributes: [], moves_household: false}\n",
            "no form",
        ),
    ],
)
def test_settings_that_do_not_fit_their_form_are_refused(tmp_path, name, text, problem):
    forms = copy_forms(tmp_path)
    (forms / "settings" / f"{name}.yaml").write_text(text, "utf-8")
    problems = check_forms(forms)
    assert any(f"forms/settings/{name}.yaml" in p and problem in p for p in problems), problems


def test_a_form_without_settings_assesses_only_if_it_has_rules(tmp_path):
    forms = copy_forms(tmp_path)
    for path in (forms / "settings").iterdir():
        path.unlink()
    registry = load_registry(forms)
    assert registry.get("household_visit").role.contributes == ("assessment",)
    assert registry.get("satisfaction_survey").role.contributes == ()
    assert not registry.get("satisfaction_survey").role.moves_household
