"""Drill: the object store goes down halfway through a visit's upload.

    .venv/bin/python -m scripts.drills.s3_down_upload

Through a real gunicorn server: POST a visit, PUT three of its eight slots, stop S3 (SeaweedFS), PUT
the next slot. Expected: a prompt 503 whose `errors.reason` is `storage_unavailable`, and the visit
unchanged (still `receiving`, that slot absent). S3 is started again on the same port and data; the phone
retries the same bytes: 201, the rest of the slots go in, the visit becomes `submitted`, and a real rq
worker (in-process, burst) checks it to `checked`.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from app.audit.models import AuditEvent
from app.visits.models import Attachment, Visit
from devkit.answers import visit_json
from devkit.stack import (
    SLOTS,
    Http,
    Stack,
    evidence,
    login,
    seed_county,
    stop_on_sigterm,
    upload_headers,
    verdict,
)
from workers.runtime import build_worker


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--after", type=int, default=3, help="slots uploaded before S3 stops (0-7)")
    parser.add_argument("--max-wait", type=float, default=30, help="longest acceptable wait for the 503 (s)")
    args = parser.parse_args()
    stop_on_sigterm()
    failures: list[str] = []
    with Stack("drill-s3-down") as stack:
        county = seed_county(stack.app, towns=1, villages_per_town=1, households_per_village=1)
        household = county.households[0]
        files = evidence(household, seed=21)
        api = stack.start_api()
        headers = login(api.base, county.helpers[household.village_code].username)
        http = Http(api.base, timeout=120)

        def put(visit_id: str, slot: str):
            body = files[slot]
            return http.request(
                "PUT",
                f"/api/v1/visits/{visit_id}/attachments/{slot}",
                body=body,
                headers={**headers, **upload_headers(body)},
            )

        created = http.request("POST", "/api/v1/visits", json_body=visit_json(household), headers=headers)
        visit_id = created.json()["id"]
        slots = list(SLOTS)
        half = args.after
        for slot in slots[:half]:
            if put(visit_id, slot).status != 201:
                failures.append(f"{slot} refused before the outage")

        stack.services.servers["s3"].stop()
        print(f"S3 stopped after {half} of {len(slots)} slots", flush=True)
        began = time.monotonic()
        down = put(visit_id, slots[half])
        waited = time.monotonic() - began
        reason = down.json().get("errors", {}).get("reason")
        print(
            f"PUT {slots[half]} with S3 down: {down.status} reason={reason} after {waited:.1f}s", flush=True
        )
        if down.status != 503 or reason != "storage_unavailable":
            failures.append(f"S3 down answered {down.status} {down.json()} (wanted 503 storage_unavailable)")
        if waited > args.max_wait:
            failures.append(f"the 503 took {waited:.1f}s (> {args.max_wait}s)")
        with stack.app.app_context():
            visit = Visit.objects.get(id=visit_id)
            present = set(Attachment.objects(visit_id=visit_id).distinct("slot"))
        if visit.state != "receiving" or slots[half] in present or len(present) != half:
            failures.append(f"visit changed by the failed upload: {visit.state}, slots {sorted(present)}")

        began = time.monotonic()
        stack.services.restart("s3")
        print(f"S3 restarted on the same port in {time.monotonic() - began:.1f}s", flush=True)
        retried = put(visit_id, slots[half])
        print(f"retry of {slots[half]}: {retried.status}", flush=True)
        if retried.status != 201:
            failures.append(f"retry after restart answered {retried.status} {retried.json()}")
        last = retried
        for slot in slots[half + 1 :]:
            last = put(visit_id, slot)
            if last.status != 201:
                failures.append(f"{slot} after restart answered {last.status}")
        state = last.json().get("state")
        print(f"after the last slot the visit is {state}", flush=True)
        if state != "submitted":
            failures.append(f"visit is {state} after every slot arrived, not submitted")

        with stack.app.app_context():
            worker = build_worker(stack.app, simple=True, name=f"drill-{uuid.uuid4().hex[:6]}")
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
            visit = Visit.objects.get(id=visit_id)
            stored = stack.app.extensions["store"]
            originals = [a for a in Attachment.objects(visit_id=visit_id) if stored.exists(a.key)]
            attach_audits = AuditEvent.objects(action="visit.attach", object_id=visit_id).count()
        print(
            f"after the worker: {visit.state}; {len(originals)} originals in S3; "
            f"{attach_audits} visit.attach audit entries",
            flush=True,
        )
        if visit.state != "checked":
            failed = [c["code"] for c in visit.checks if not c["passed"] and c["severity"] == "error"]
            failures.append(f"visit ended {visit.state} (failed checks {failed}), not checked")
        if len(originals) != len(slots):
            failures.append(f"{len(originals)} of {len(slots)} originals in S3")
        if attach_audits != len(slots):
            failures.append(f"{attach_audits} visit.attach audit entries, wanted {len(slots)}")
    return verdict(
        failures,
        f"S3 down -> 503 storage_unavailable in {waited:.1f}s, visit unchanged; after restart the retry "
        f"succeeded and the visit completed ({visit.state})",
    )


if __name__ == "__main__":
    sys.exit(main())
