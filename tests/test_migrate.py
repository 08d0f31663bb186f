"""`doorstep migrate` on a database with the old behaviour's damage: a satisfaction survey that replaced
a verified household's status and assessment and was never counted, visits waiting for review with no
level, households with no poverty status. A second run changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth.principal import SYSTEM
from app.cli import cli_group
from app.households.models import Household
from app.visits.models import Attachment, Visit
from tests.factories import HouseholdFactory, area_tree, make_user, token_for
from tests.stored_visits import T0, assessment, attach_files, build_visit

TOWN, VILLAGE = "370101001000", "370101001001"
EMPTY = {"indicators": [], "all_passed": None, "satisfaction": None}  # what the survey was assessed as


def survey_visit(household, cadre) -> Visit:
    """A satisfaction survey as the old code left it: checked, its answer unread, no role."""
    visit = build_visit(
        household, cadre, state="checked", assessed=EMPTY, submitted_at=T0 + timedelta(days=1)
    )
    visit.update(
        set__form_id="satisfaction_survey",
        set__answers={"overall": "basically_satisfied"},
        set__ended_at=T0 + timedelta(days=1),
    )
    return visit


def as_before_the_upgrade() -> None:
    """Remove what the new code writes, as an old database does not have it."""
    Visit.objects.update(unset__form_role=True, unset__review_level=True, unset__review_chain=True)
    Household.objects.update(unset__poverty_status=True, unset__satisfaction=True)


@pytest.fixture
def damaged(app):
    area_tree(1)
    cadre = make_user("cadre", VILLAGE)
    verified = HouseholdFactory(village_code=VILLAGE)
    kept = assessment({"housing_safety"}, satisfaction="satisfied")
    visit = build_visit(verified, cadre, state="approved", assessed=kept)
    survey = survey_visit(verified, cadre)
    # the old household lifecycle followed the survey: latest visit, status and (empty) assessment
    verified.update(set__latest_visit_id=str(survey.id), set__status="checked", set__latest_assessment=EMPTY)
    waiting_household = HouseholdFactory(village_code=VILLAGE)
    waiting = build_visit(waiting_household, cadre, state="checked")
    as_before_the_upgrade()
    return {"household": verified, "visit": visit, "survey": survey, "assessment": kept, "waiting": waiting}


def test_migrate_repairs_the_old_damage_and_is_idempotent(damaged, client):
    runner = CliRunner()
    first = runner.invoke(cli_group, ["migrate"])
    assert first.exit_code == 0, first.output
    assert "household_verification: 1 changed" in first.output

    household = Household.objects.get(id=damaged["household"].id)
    assert household.status == "verified"
    assert household.latest_visit_id == household.verified_visit_id == str(damaged["visit"].id)
    assert household.latest_assessment == damaged["assessment"]
    assert household.satisfaction["answer"] == "basically_satisfied"  # the survey's, the latest answer
    assert household.satisfaction["visit_id"] == str(damaged["survey"].id)
    assert household.poverty_status == "poor"
    survey = Visit.objects.get(id=damaged["survey"].id)
    assert survey.form_role == {"contributes": ["satisfaction"], "moves_household": False}
    assert survey.assessment["satisfaction"] == "basically_satisfied"
    waiting = Visit.objects.get(id=damaged["waiting"].id)
    assert waiting.review_level == "town" and waiting.review_chain["levels"] == ["town", "county"]
    approved = Visit.objects.get(id=damaged["visit"].id)
    assert [s["level"] for s in approved.signoffs] == ["town"]

    second = runner.invoke(cli_group, ["migrate"])
    assert second.exit_code == 0 and all(line.endswith(": 0 changed") for line in second.output.splitlines())

    supervisor = make_user("supervisor", "370101000000")
    total = client.get(
        f"/api/v1/reports/verification?area={TOWN}", headers=token_for(client, supervisor)
    ).json["total"]
    assert (total["assessed"], total["pass_rates"]["housing_safety"]) == (2, 50.0)  # its assessment is back
    assert (total["satisfaction_responses"], total["satisfaction_rate"]) == (2, 100.0)
    assert total["lifecycle"]["poor"] == 2


def test_migrate_gives_old_visits_files_and_audit_events_their_county(damaged, store):
    attach_files(damaged["visit"], store, slots=["photo.front_of_house"])
    audit.record(SYSTEM, "data.test", "visit", str(damaged["visit"].id), area_path=damaged["visit"].area_path)
    audit.record(SYSTEM, "data.test", "database", None)  # no area: stays without a county
    for document in (Visit, Attachment, AuditEvent):
        document.objects.update(unset__county_code=True)
    result = CliRunner().invoke(cli_group, ["migrate"])
    assert result.exit_code == 0, result.output
    assert set(Visit.objects.distinct("county_code")) == {"370101000000"}
    assert set(Attachment.objects.distinct("county_code")) == {"370101000000"}
    assert AuditEvent.objects(action="data.test", object_type="visit").get().county_code == "370101000000"
    assert AuditEvent.objects(action="data.test", object_type="database").get().county_code is None
    again = CliRunner().invoke(cli_group, ["migrate"])
    assert "county_codes: 0 changed" in again.output


def test_the_migrated_waiting_visit_goes_up_the_chain(damaged, client):
    CliRunner().invoke(cli_group, ["migrate"])
    verifier = token_for(client, make_user("verifier", TOWN))
    queue = client.get("/api/v1/review/queue", headers=verifier).json
    assert {v["id"] for v in queue} == {str(damaged["waiting"].id), str(damaged["survey"].id)}
    resp = client.post(
        f"/api/v1/visits/{damaged['waiting'].id}/review", json={"decision": "approve"}, headers=verifier
    )
    assert resp.json["state"] == "in_review" and resp.json["review_level"] == "county"


def test_a_visit_older_than_chains_is_signed_along_the_documents_chain(damaged, client):
    """Unmigrated, a visit waiting for review still starts at the town and goes on to the county."""
    verifier = token_for(client, make_user("verifier", TOWN))
    visit_id = str(damaged["waiting"].id)
    resp = client.post(f"/api/v1/visits/{visit_id}/review", json={"decision": "approve"}, headers=verifier)
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "in_review" and resp.json["review_level"] == "county"
    assert Visit.objects.get(id=visit_id).review_chain["levels"] == ["town", "county"]
