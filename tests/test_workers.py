"""The real rq worker (burst mode) over visits built with real JPEGs carrying EXIF time and GPS."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.audit.models import AuditEvent
from app.households.models import Household
from app.rectification.models import RectificationItem
from app.storage import ObjectStore
from app.visits.models import Attachment, Visit
from devkit.imagegen import make_photo, reencode
from tests.api_submissions import VISIT_START, evidence, put_attachment, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

VILLAGE = "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(1)
    cadre = make_user("cadre", VILLAGE)
    return cadre, token_for(client, cadre)


def submit(client, headers, household, files, **payload) -> str:
    visit = client.post("/api/v1/visits", json=visit_payload(household, **payload), headers=headers).json
    for slot, body in files.items():
        resp = put_attachment(client, headers, visit["id"], slot, body)
        assert resp.status_code in (200, 201), resp.json
    assert resp.json["state"] == "submitted"
    return visit["id"]


def failed_checks(visit: Visit) -> dict[str, list[dict]]:
    failed = {}
    for check in visit.checks:
        if not check["passed"] and check["severity"] == "error":
            failed.setdefault(check["code"], []).append(check)
    return failed


def test_clean_visit_ends_checked_with_assessment(world, client, run_worker, store):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    visit_id = submit(client, headers, household, evidence(household, seed=1))
    run_worker()
    visit = Visit.objects.get(id=visit_id)
    assert visit.state == "checked", failed_checks(visit)
    codes = {c["code"] for c in visit.checks}
    assert {
        "answers_valid",
        "evidence_complete",
        "photo_time",
        "photo_location",
        "visit_location",
        "photo_reuse",
        "signature_distinct",
        "signature_reuse",
    } <= codes
    assert {i["code"] for i in visit.assessment["indicators"]} == {
        "food_clothing",
        "compulsory_education",
        "basic_medical",
        "housing_safety",
        "drinking_water",
        "income",
    }
    assert visit.assessment["satisfaction"] in ("satisfied", "basically_satisfied", "dissatisfied")
    stored = Household.objects.get(id=household.id)
    assert stored.status == "checked" and stored.latest_assessment == visit.assessment
    # thumbnails beside the originals, and a perceptual hash for every image
    for att in Attachment.objects(visit_id=visit_id):
        assert set(att.thumbnails) == {"240", "1024"} and len(att.phash) == 16
        assert att.thumbnails["240"].startswith(att.key.rsplit("/", 1)[0])
        assert store.get(att.thumbnails["240"])[:3] == b"\xff\xd8\xff"
    view = client.get(f"/api/v1/visits/{visit_id}", headers=headers).json
    assert all(a["thumbnail_url"] for a in view["attachments"] if a["present"])
    assert (
        AuditEvent.objects(action="visit.checked", object_id=visit_id).first().details["state"] == "checked"
    )


def test_reused_photo_from_another_household_is_named(world, client, run_worker):
    _, headers = world
    first = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    second = HouseholdFactory(village_code=VILLAGE, lat=36.4502, lon=115.4501)
    files = evidence(first, seed=2)
    first_id = submit(client, headers, first, files)
    run_worker()
    copied = evidence(second, seed=3)
    # the stove photo of the first household, re-encoded and shrunk, passed off as the second's
    copied["photo.stove"] = reencode(files["photo.stove"], quality=70, scale=0.8)
    # and its bedroom photo byte for byte as the living room
    copied["photo.living_room"] = files["photo.bedroom"]
    second_id = submit(client, headers, second, copied)
    run_worker()
    visit = Visit.objects.get(id=second_id)
    assert visit.state == "has_issues"
    reuse = {c["slot"]: c for c in failed_checks(visit)["photo_reuse"]}
    assert set(reuse) == {"photo.stove", "photo.living_room"}
    stove = reuse["photo.stove"]["data"]
    source = Attachment.objects.get(visit_id=first_id, slot="photo.stove")
    assert (stove["visit_id"], stove["slot"], stove["attachment_id"]) == (
        first_id,
        "photo.stove",
        str(source.id),
    )
    assert stove["inliers"] >= 50 and not stove["mirrored"]  # not byte-identical: verified by ORB + RANSAC
    assert 0.95 < stove["scale"] < 1.05  # scale compares framing: a shrunk copy shows the whole picture
    assert "same picture" in reuse["photo.stove"]["detail"]
    assert "identical" in reuse["photo.living_room"]["detail"]
    bedroom = Attachment.objects.get(visit_id=first_id, slot="photo.bedroom")
    assert reuse["photo.living_room"]["data"] == {
        "visit_id": first_id,
        "household_id": str(first.id),
        "slot": "photo.bedroom",
        "attachment_id": str(bedroom.id),
        "keys_shared": 0,
        "identical": True,
    }
    assert Household.objects.get(id=second.id).status == "has_issues"
    assert Visit.objects.get(id=first_id).state == "checked"  # the original is not blamed
    # the failed check lands on the rectification ledger (整改台账), once, however often checks run
    items = RectificationItem.objects(visit_id=second_id)
    # the copy was re-encoded without EXIF, so it is also unverifiable: one item per failed check code
    assert ("check", "photo_reuse", "open") in [(i.source, i.code, i.status) for i in items]
    assert len(items) == len({i.code for i in items})
    from workers.check_jobs import check_visit

    assert check_visit(second_id) == "has_issues"
    assert RectificationItem.objects(visit_id=second_id).count() == len(items)


def test_same_photo_in_two_slots_and_copied_signatures_flagged(world, client, run_worker):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    files = evidence(household, seed=4)
    files["photo.bedroom"] = files["photo.stove"]
    files["signature.first_secretary"] = files["signature.village_secretary"]
    visit_id = submit(client, headers, household, files)
    run_worker()
    failed = failed_checks(Visit.objects.get(id=visit_id))
    assert [c["slot"] for c in failed["photo_duplicate_in_visit"]] == ["photo.stove"]
    assert failed["photo_duplicate_in_visit"][0]["data"]["other_slot"] == "photo.bedroom"
    assert [c["slot"] for c in failed["signature_distinct"]] == ["signature.village_secretary"]


def test_photo_two_days_early_or_five_km_away_flagged(world, client, run_worker):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    early = evidence(household, seed=5)
    early["photo.stove"] = make_photo(
        5001, width=800, height=600, taken_at=VISIT_START - timedelta(days=2), gps=(36.45, 115.45)
    )
    far = {
        "photo.front_of_house": make_photo(
            5002, width=800, height=600, taken_at=VISIT_START, gps=(36.495, 115.45)
        )
    }  # ~5 km north
    early_id = submit(client, headers, household, early)
    other = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    far_id = submit(client, headers, other, evidence(other, seed=6) | far)
    run_worker()
    early_failed = failed_checks(Visit.objects.get(id=early_id))
    assert [c["slot"] for c in early_failed["photo_time"]] == ["photo.stove"]
    assert "-48.0 h" in early_failed["photo_time"][0]["detail"]
    far_failed = failed_checks(Visit.objects.get(id=far_id))
    assert [c["slot"] for c in far_failed["photo_location"]] == ["photo.front_of_house"]
    assert 4800 < far_failed["photo_location"][0]["data"]["distance_m"] < 5200
    assert Visit.objects.get(id=far_id).state == "has_issues"


def test_photo_without_exif_cannot_be_verified(world, client, run_worker):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    files = evidence(household, seed=7)
    files["photo.stove"] = reencode(files["photo.stove"], quality=85)  # re-encoding drops EXIF
    visit_id = submit(client, headers, household, files)
    run_worker()
    visit = Visit.objects.get(id=visit_id)
    assert visit.state == "has_issues"  # household_visit's policy: unverifiable photos block
    failed = failed_checks(visit)
    assert {c["slot"] for code in ("photo_time", "photo_location", "photo_device") for c in failed[code]} == {
        "photo.stove"
    }
    assert failed["photo_device"][0]["data"] == {"device": None, "visit_device": "HUAWEI P30"}


def test_running_the_jobs_twice_gives_the_same_result(world, client, run_worker, app):
    from workers.check_jobs import check_visit
    from workers.image_jobs import process_visit_images

    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    visit_id = submit(client, headers, household, evidence(household, seed=8))
    run_worker()
    before = Visit.objects.get(id=visit_id)
    snapshot = (before.state, before.checks, before.assessment, len(before.history), before.checked_at)
    attachments = {a.slot: (a.thumbnails, a.phash) for a in Attachment.objects(visit_id=visit_id)}
    audits = AuditEvent.objects.count()
    assert process_visit_images(visit_id) == 0
    assert check_visit(visit_id) == "checked"
    after = Visit.objects.get(id=visit_id)
    assert (after.state, after.checks, after.assessment, len(after.history), after.checked_at) == snapshot
    assert {a.slot: (a.thumbnails, a.phash) for a in Attachment.objects(visit_id=visit_id)} == attachments
    assert AuditEvent.objects.count() == audits


def test_job_that_crashes_midway_is_retried_and_completes(world, client, run_worker, monkeypatch, queue):
    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    visit_id = submit(client, headers, household, evidence(household, seed=9))
    real_put, calls = ObjectStore.put, {"n": 0}

    def flaky_put(self, key, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:  # the third image's first thumbnail: two images already done
            raise ConnectionError("S3 connection reset (injected)")
        return real_put(self, key, *args, **kwargs)

    monkeypatch.setattr(ObjectStore, "put", flaky_put)
    run_worker()
    visit = Visit.objects.get(id=visit_id)
    assert calls["n"] > 5  # it failed once and was run again
    assert visit.state == "checked"
    assert all(a.phash for a in Attachment.objects(visit_id=visit_id))
    assert queue.failed() == []
    assert AuditEvent.objects(action="visit.checked", object_id=visit_id).count() == 1


def test_household_status_machine():
    from app.errors import InvalidTransition
    from app.households.lifecycle import TARGET, TRANSITIONS, next_status

    # one target per event: follow_visit moves a household with a single conditional update
    assert all(set(moves.values()) == {TARGET[event]} for event, moves in TRANSITIONS.items())

    assert next_status("registered", "visit_submitted") == "visit_submitted"
    assert next_status("visit_submitted", "visit_checked") == "checked"
    assert next_status("checked", "visit_approved") == "verified"
    assert next_status("has_issues", "revisit_requested") == "revisit_requested"
    assert next_status("verified", "visit_rejected") == "rejected"  # a city re-check overturned it
    for current, event in [
        ("registered", "visit_checked"),
        ("registered", "visit_approved"),
        ("visit_submitted", "visit_approved"),
        ("verified", "visit_checked"),
        ("rejected", "visit_approved"),
    ]:
        with pytest.raises(InvalidTransition):
            next_status(current, event)


def test_failed_job_is_listed_and_can_be_rerun(world, client, run_worker, monkeypatch, queue, app):
    from click.testing import CliRunner

    from app.cli import cli_group

    _, headers = world
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)

    def broken(self, key):
        raise ConnectionError("S3 down (injected)")

    monkeypatch.setattr(ObjectStore, "get", broken)
    visit_id = submit(client, headers, household, evidence(household, seed=10))
    run_worker()
    failed = queue.failed()
    assert [visit_id in j.id for j in failed] == [True]
    runner = CliRunner()
    listing = runner.invoke(cli_group, ["failed-jobs"], obj=None)
    assert "1 failed job(s)" in listing.output and "S3 down" in listing.output
    monkeypatch.undo()
    assert "requeued 1" in runner.invoke(cli_group, ["failed-jobs", "--requeue"]).output
    run_worker()
    assert Visit.objects.get(id=visit_id).state == "checked"
    assert queue.failed() == []


def test_reprint_rederives_fingerprints_of_an_older_scheme_only(world, client, run_worker, app):
    """After derive.PRINT_VERSION is raised, `doorstep reprint` sends visits with stale prints back to the
    image job, which recomputes the fingerprint and leaves the thumbnails as they were."""
    from click.testing import CliRunner

    from app.cli import cli_group
    from app.images.derive import PRINT_VERSION

    _, headers = world
    old, current = (HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45) for _ in range(2))
    stale_id = submit(client, headers, old, evidence(old, seed=11))
    fresh_id = submit(client, headers, current, evidence(current, seed=12))
    run_worker()
    photo = Attachment.objects.get(visit_id=stale_id, slot="photo.stove")
    keys, thumbnails = photo.match_keys, photo.thumbnails
    assert photo.print_version == PRINT_VERSION and keys
    Attachment.objects(visit_id=stale_id, kind="photo").update(set__match_keys=[7, 8], unset__print_version=1)

    runner = CliRunner()
    assert "queued the image job of 1 visit(s)" in runner.invoke(cli_group, ["reprint"]).output
    run_worker()
    photo.reload()
    assert photo.match_keys == keys and photo.print_version == PRINT_VERSION
    assert photo.thumbnails == thumbnails
    assert Attachment.objects(visit_id=fresh_id, print_version=PRINT_VERSION).count() == 8
    assert "queued the image job of 0 visit(s)" in runner.invoke(cli_group, ["reprint"]).output
    assert AuditEvent.objects(action="prints.requeued").count() == 2
