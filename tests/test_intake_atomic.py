"""Intake under concurrency and partial failure: one attachment record and one audit row for twenty
identical uploads; a multipart submission with a refused part writes nothing at all."""

from __future__ import annotations

import io
import json
import threading

import pytest

from app.audit.models import AuditEvent
from app.visits.models import Attachment, Visit
from tests.api_submissions import evidence, put_attachment, visit_payload
from tests.factories import HouseholdFactory, area_tree, make_user, token_for

VILLAGE = "370101001001"


@pytest.fixture
def world(app, client):
    area_tree(1)
    cadre = make_user("cadre", VILLAGE)
    household = HouseholdFactory(village_code=VILLAGE, lat=36.45, lon=115.45)
    return household, token_for(client, cadre)


def test_twenty_concurrent_identical_puts_record_once(world, client, session_app):
    household, headers = world
    visit = client.post("/api/v1/visits", json=visit_payload(household), headers=headers).json
    body = evidence(household, seed=21)["photo.stove"]
    results, barrier = [], threading.Barrier(20)

    def send():
        with session_app.test_client() as c:
            barrier.wait()
            results.append(put_attachment(c, headers, visit["id"], "photo.stove", body))

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(r.status_code for r in results)
    assert codes == [200] * 19 + [201], (
        codes,
        [r.json.get("errors") for r in results if r.status_code != 200],
    )
    assert Attachment.objects(visit_id=visit["id"], slot="photo.stove").count() == 1
    assert AuditEvent.objects(action="visit.attach", object_id=visit["id"]).count() == 1


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
    household, headers = world
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
