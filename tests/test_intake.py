"""Visit intake against the real servers: idempotency (also under concurrency), resumable uploads,
refusals, all-or-nothing multipart, storage failure."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import threading
import zlib
from datetime import timedelta

import pytest

from app.audit.models import AuditEvent
from app.households.models import Household
from app.users.models import User
from app.visits.models import Attachment, Visit
from devkit.imagegen import make_photo
from tests.api_submissions import PHOTO_SLOTS, VISIT_START, evidence, put_attachment, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

VILLAGE = "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(1)
    cadre = make_user("cadre", VILLAGE)
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    return cadre, household, token_for(client, cadre)


def test_create_visit_lists_expected_slots(world, client):
    _, household, headers = world
    resp = client.post("/api/v1/visits", json=visit_payload(household), headers=headers)
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["state"] == "receiving" and body["checks"] == []
    required = {a["slot"] for a in body["attachments"] if a["required"]}
    assert required == set(PHOTO_SLOTS) | {
        "signature.household_head",
        "signature.village_secretary",
        "signature.first_secretary",
        "signature.township_cadre",
    }
    assert not any(a["present"] for a in body["attachments"])
    assert AuditEvent.objects(action="visit.create", object_id=body["id"]).count() == 1


def test_retry_same_content_200_different_content_409(world, client):
    _, household, headers = world
    payload = visit_payload(household)
    first = client.post("/api/v1/visits", json=payload, headers=headers)
    again = client.post("/api/v1/visits", json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    changed = json.loads(json.dumps(payload))
    changed["ended_at"] = (VISIT_START + timedelta(hours=2)).isoformat()
    conflict = client.post("/api/v1/visits", json=changed, headers=headers)
    assert conflict.status_code == 409 and conflict.json["errors"]["reason"] == "instance_id_conflict"
    assert Visit.objects.count() == 1


def all_at_once(app, send, n: int = 20) -> list:
    """Responses of `send(client)` from `n` threads released together, each with its own client."""
    results, barrier = [], threading.Barrier(n)

    def run():
        with app.test_client() as c:
            barrier.wait()
            results.append(send(c))

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_concurrent_identical_submissions_make_one_visit(world, session_app):
    _, household, headers = world
    payload = visit_payload(household)
    results = all_at_once(session_app, lambda c: c.post("/api/v1/visits", json=payload, headers=headers))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 19 + [201], codes
    assert len({r.json["id"] for r in results}) == 1
    assert Visit.objects(instance_id=payload["instance_id"]).count() == 1


def test_resumed_upload_completes_and_queues(world, client, queue):
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    files = evidence(household, seed=3)
    slots = list(files)
    for slot in slots[:2]:
        assert put_attachment(client, headers, visit["id"], slot, files[slot]).status_code == 201
    # the phone loses its connection; later it reconnects, asks what is there, and sends the rest
    state = client.get(f"/api/v1/visits/{visit['id']}", headers=headers).json
    assert state["state"] == "receiving"
    assert sorted(state["missing"]) == sorted(slots[2:])
    present = {a["slot"]: a for a in state["attachments"] if a["present"]}
    assert set(present) == set(slots[:2])
    photo = present[slots[0]]
    assert photo["size"] == len(files[slots[0]]) and photo["content_type"] == "image/jpeg"
    assert photo["exif"]["gps"]["lat"] == pytest.approx(36.45, abs=1e-4)
    assert photo["url"].startswith("http://localhost/media/")  # the app streams it: no S3 address
    assert client.get(photo["url"].removeprefix("http://localhost")).data == files[slots[0]]
    # the retry of an already-sent slot is harmless
    assert put_attachment(client, headers, visit["id"], slots[1], files[slots[1]]).status_code == 200
    for slot in slots[2:]:
        resp = put_attachment(client, headers, visit["id"], slot, files[slot])
        assert resp.status_code == 201, resp.json
    final = resp.json
    assert final["state"] == "submitted" and final["missing"] == []
    stored = Visit.objects.get(id=visit["id"])
    assert stored.queued_at is not None
    assert Household.objects.get(id=household.id).status == "visit_submitted"
    jobs = queue.queue("images").job_ids
    assert any(visit["id"] in j for j in jobs)
    # every original is really in S3 with the bytes that were sent
    store = client.application.extensions["store"]
    for att in Attachment.objects(visit_id=visit["id"]):
        assert store.get(att.key) == files[att.slot]
        assert att.key.startswith("370101000000/370101001000/370101001001/")
    # once complete, a different image for a slot is refused; the same bytes are still fine
    other = make_photo(999, width=800, height=600)
    locked = put_attachment(client, headers, visit["id"], slots[0], other)
    assert locked.status_code == 409 and locked.json["errors"]["reason"] == "slot_locked"
    assert put_attachment(client, headers, visit["id"], slots[0], files[slots[0]]).status_code == 200


def test_multipart_ends_in_same_state_as_step_by_step(world, client):
    _, household, headers = world
    files = evidence(household, seed=4)
    payload = visit_payload(household)
    data = {"visit": json.dumps(payload)}
    data |= {slot: (io.BytesIO(body), f"{slot}.bin") for slot, body in files.items()}
    resp = client.post("/api/v1/visits", data=data, headers=headers, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    multi = resp.json
    step = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    for slot, body in files.items():
        final = put_attachment(client, headers, step["id"], slot, body).json

    def shape(v):
        return (
            v["state"],
            v["missing"],
            sorted((a["slot"], a["present"], a.get("sha256")) for a in v["attachments"]),
        )

    assert shape(multi) == shape(final)
    # a retry of the whole multipart request changes nothing and answers 200
    data = {"visit": json.dumps(payload)} | {s: (io.BytesIO(b), "x") for s, b in files.items()}
    again = client.post("/api/v1/visits", data=data, headers=headers, content_type="multipart/form-data")
    assert again.status_code == 200 and again.json["id"] == multi["id"]
    assert Attachment.objects(visit_id=multi["id"]).count() == 8
    # the county as a scalar on what grows without bound: what sharding by county needs (SCALING.md)
    county = "370101000000"
    assert Visit.objects.get(id=multi["id"]).county_code == county
    assert set(Attachment.objects(visit_id=multi["id"]).distinct("county_code")) == {county}
    assert set(AuditEvent.objects(object_id=multi["id"]).distinct("county_code")) == {county}


def _bomb_png(width=40000, height=40000) -> bytes:
    def chunk(kind, payload):
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("body", "headers_extra", "status", "reason"),
    [
        (b"%PDF-1.7 not a photo", {}, 415, "not_an_image"),
        (_bomb_png(), {}, 413, "too_many_pixels"),
        (make_photo(5, width=800, height=600)[:20000], {}, 400, "corrupt_image"),
        (
            make_photo(6, width=800, height=600),
            {"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="},
            400,
            "checksum_mismatch",
        ),
        (make_photo(7, width=800, height=600), {"X-Content-SHA256": "0" * 64}, 400, "checksum_mismatch"),
        (make_photo(8, width=200, height=150), {}, 422, "validation_failed"),
    ],
    ids=["not-image", "bomb", "truncated", "md5", "sha256", "too-small"],
)
def test_bad_uploads_refused_with_reason_and_visit_unchanged(
    world, client, body, headers_extra, status, reason
):
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    resp = client.put(
        f"/api/v1/visits/{visit['id']}/attachments/photo.stove",
        data=body,
        headers={**headers, "Content-Type": "image/jpeg", **headers_extra},
    )
    assert resp.status_code == status, resp.json
    assert resp.json["errors"]["reason"] == reason
    assert resp.json["message"]
    assert Attachment.objects(visit_id=visit["id"]).count() == 0


def test_too_large_refused_before_reading(world, client, app):
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    limit = app.config["DOORSTEP"].MAX_UPLOAD_BYTES
    resp = client.put(
        f"/api/v1/visits/{visit['id']}/attachments/photo.stove",
        data=b"\xff\xd8\xff" + b"0" * limit,
        headers={**headers, "Content-Type": "image/jpeg"},
    )
    assert resp.status_code == 413 and resp.json["errors"]["reason"] == "too_large"


def test_clear_errors_for_bad_requests(world, client, app):
    _, household, headers = world
    other_village = HouseholdFactory(village_code="370101001001001")  # a hamlet inside: visible
    outside = HouseholdFactory(village_code="370101001002")  # the next village: not the cadre's
    cases = {
        "unknown household": (visit_payload(household, household_id="0" * 24), 404, "not_found"),
        "outside area": (visit_payload(outside), 404, "not_found"),
        "wrong form version": (visit_payload(household, form_version="99"), 422, "unknown_form"),
        "missing instance_id": (
            {k: v for k, v in visit_payload(household).items() if k != "instance_id"},
            422,
            "validation_failed",
        ),
    }
    for name, (payload, status, reason) in cases.items():
        resp = client.post("/api/v1/visits", json=payload, headers=headers)
        assert resp.status_code == status, (name, resp.json)
        assert resp.json["errors"]["reason"] == reason, name
    bad_answers = visit_payload(household)
    bad_answers["answers"] = {**bad_answers["answers"], "no_such_question": 1}
    resp = client.post("/api/v1/visits", json=bad_answers, headers=headers)
    assert resp.status_code == 422 and resp.json["errors"]["reason"] == "validation_failed"
    visit = client.post("/api/v1/visits", json=visit_payload(other_village), headers=headers).json
    unknown_slot = put_attachment(
        client, headers, visit["id"], "photo.garage", make_photo(1, width=800, height=600)
    )
    assert unknown_slot.status_code == 404 and unknown_slot.json["errors"]["reason"] == "unknown_slot"
    verifier = token_for(client, make_user("verifier", "370101001000"))
    assert client.post("/api/v1/visits", json=visit_payload(household), headers=verifier).status_code == 403


def test_storage_failure_midway_keeps_visit_receiving_and_retry_succeeds(world, client, servers):
    services, _ = servers
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    files = evidence(household, seed=9)
    slots = list(files)
    for slot in slots[:3]:
        assert put_attachment(client, headers, visit["id"], slot, files[slot]).status_code == 201
    services.servers["s3"].stop()
    try:
        failed = put_attachment(client, headers, visit["id"], slots[3], files[slots[3]])
        assert failed.status_code == 503 and failed.json["errors"]["reason"] == "storage_unavailable"
    finally:
        services.restart("s3")
    stored = Visit.objects.get(id=visit["id"])
    assert stored.state == "receiving"
    assert Attachment.objects(visit_id=visit["id"]).count() == 3
    for slot in slots[3:]:
        resp = put_attachment(client, headers, visit["id"], slot, files[slot])
        assert resp.status_code == 201, resp.json
    assert resp.json["state"] == "submitted"


def test_redis_down_at_submission_is_swept_later(world, client, servers, queue):
    from datetime import timedelta

    from app.visits.handoff import sweep

    services, _ = servers
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    files = evidence(household, seed=10)
    slots = list(files)
    for slot in slots[:-1]:
        put_attachment(client, headers, visit["id"], slot, files[slot])
    services.servers["redis"].stop()
    try:
        resp = put_attachment(client, headers, visit["id"], slots[-1], files[slots[-1]])
    finally:
        services.restart("redis")
    assert resp.status_code == 201 and resp.json["state"] == "submitted"  # acknowledged: nothing lost
    assert Visit.objects.get(id=visit["id"]).queued_at is None
    assert sweep(queue, timedelta(minutes=30)) == {"unqueued": 1, "stuck": 0, "completed": 0}
    assert Visit.objects.get(id=visit["id"]).queued_at is not None
    assert any(visit["id"] in j for j in queue.queue("images").job_ids)
    assert sweep(queue, timedelta(minutes=30)) == {"unqueued": 0, "stuck": 0, "completed": 0}


def test_list_visits_filters_and_paginates(world, client):
    _, household, headers = world
    for _ in range(3):
        client.post("/api/v1/visits", json=visit_payload(household), headers=headers)
    resp = client.get(
        f"/api/v1/visits?household_id={household.id}&state=receiving&page_size=2", headers=headers
    )
    assert resp.status_code == 200 and len(resp.json) == 2
    assert json.loads(resp.headers["X-Pagination"])["total"] == 3
    other = token_for(client, make_user("cadre", "370101001001001"))  # a hamlet: not the village
    assert client.get("/api/v1/visits", headers=other).json == []


def test_retry_after_failure_between_storing_and_submitting_completes_the_visit(world, client, monkeypatch):
    """The last slot is stored, then the database fails before the visit moves on: the phone gets an
    error and retries the same bytes, and that retry must finish the hand-off (not answer 'nothing to do')."""
    from pymongo.errors import AutoReconnect

    from app.visits import intake

    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    files = evidence(household, seed=11)
    slots = list(files)
    for slot in slots[:-1]:
        put_attachment(client, headers, visit["id"], slot, files[slot])
    real = intake.complete_if_ready
    failures = iter([AutoReconnect("primary stepped down (injected)")])

    def flaky(*args, **kwargs):
        error = next(failures, None)
        if error:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(intake, "complete_if_ready", flaky)
    failed = put_attachment(client, headers, visit["id"], slots[-1], files[slots[-1]])
    assert failed.status_code == 503 and failed.json["errors"]["reason"] == "database_unavailable"
    assert failed.headers["Retry-After"]
    assert Visit.objects.get(id=visit["id"]).state == "receiving"
    retry = put_attachment(client, headers, visit["id"], slots[-1], files[slots[-1]])
    assert retry.status_code == 200 and retry.json["state"] == "submitted"
    assert Visit.objects.get(id=visit["id"]).queued_at is not None


def test_twenty_concurrent_identical_puts_record_once(world, client, session_app):
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    body = evidence(household, seed=21)["photo.stove"]
    results = all_at_once(session_app, lambda c: put_attachment(c, headers, visit["id"], "photo.stove", body))
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 19 + [201], codes
    assert Attachment.objects(visit_id=visit["id"], slot="photo.stove").count() == 1
    # A first upload is attributed by the attachment itself (uploaded_by, uploaded_at, sha256) and, once
    # the visit is complete, by the submission's audit entry listing every file: no audit row per upload.
    assert AuditEvent.objects(action="visit.attach", object_id=visit["id"]).count() == 0
    stored = Attachment.objects.get(visit_id=visit["id"], slot="photo.stove")
    assert (stored.uploaded_by, stored.sha256) == (
        User.objects.get(role="cadre").username,
        hashlib.sha256(body).hexdigest(),
    )


def _multipart(payload: dict, parts: dict[str, bytes]) -> dict:
    return {"visit": json.dumps(payload)} | {
        name: (io.BytesIO(b), f"{name}.jpg") for name, b in parts.items()
    }


@pytest.mark.parametrize(
    "refused",
    [
        {"photo.stove": b"%PDF-1.7 not an image"},  # a part that is not an image
        {"photo.garage": None},  # a part named after no slot of the form
    ],
    ids=["not-an-image", "unknown-slot"],
)
def test_multipart_with_a_refused_part_creates_nothing(world, client, store, refused):
    _, household, headers = world
    files = evidence(household, seed=22)
    parts = dict(files)
    for name, body in refused.items():
        parts[name] = body if body is not None else files["photo.stove"]
    payload = visit_payload(household)
    resp = client.post(
        "/api/v1/visits", data=_multipart(payload, parts), headers=headers, content_type="multipart/form-data"
    )
    assert 400 <= resp.status_code < 500, resp.json
    assert resp.json["errors"]["reason"] in ("not_an_image", "unknown_slot")
    assert Visit.objects(instance_id=payload["instance_id"]).count() == 0
    assert Attachment.objects.count() == 0
    assert AuditEvent.objects(action__startswith="visit.").count() == 0
    stored = store.client.list_objects_v2(Bucket=store.bucket, Prefix="370101000000/")
    assert [o["Key"] for o in stored.get("Contents", []) if str(household.id) in o["Key"]] == []
    # the phone fixes the part and sends the same submission again: now it is created
    fixed = client.post(
        "/api/v1/visits", data=_multipart(payload, files), headers=headers, content_type="multipart/form-data"
    )
    assert fixed.status_code == 201 and fixed.json["state"] == "submitted"


def test_replacing_a_file_before_the_visit_is_complete_is_audited(world, client):
    _, household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    first, second = (evidence(household, seed=s)["photo.stove"] for s in (31, 32))
    assert put_attachment(client, headers, visit["id"], "photo.stove", first).status_code == 201
    assert put_attachment(client, headers, visit["id"], "photo.stove", second).status_code == 201
    (event,) = AuditEvent.objects(action="visit.attach", object_id=visit["id"])
    assert event.details["replaced"] == hashlib.sha256(first).hexdigest()
    assert event.details["sha256"] == hashlib.sha256(second).hexdigest()
