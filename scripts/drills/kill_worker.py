"""Drill: a worker machine dies (kill -9) in the middle of a job.

    .venv/bin/python -m scripts.drills.kill_worker

Visits are submitted through the intake service (jobs queued in Redis). A real worker
(`python -m workers`, jobs in the worker process as deployed) starts; as soon as an image job shows up in
rq's StartedJobRegistry, the worker's whole process tree (the worker, and with `--fork` its work horse,
which rq puts in a process group of its own, and the scheduler) gets SIGKILL: nothing can clean up.
A new worker and the sweeper (`doorstep sweep --every 5` with SWEEP_STALE_MINUTES=1) are started.

What recovers the job: rq 2.x only notices an abandoned job when its StartedJobRegistry entry expires
(heartbeat TTL, ~90 s) *and* a worker runs its registry maintenance (at start-up, then every
`maintenance_interval`: 60 s in workers/runtime.py, rq's default is 10 min);
it then retries it (the job has retries left) or fails it. The sweeper does not wait for that: a visit
still `submitted` SWEEP_STALE_MINUTES after it was queued is dispatched again under the same job ids.
Expected: every visit reaches checked, with no double effects: one `visit.checked` audit entry, one
checked/has_issues change in its history, two thumbnails per attachment and no stray objects in S3.
Finally rq's own abandoned-job path is forced (registry cleanup as if the TTL had passed): its retry
must change nothing either.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections import Counter

from rq.job import Job
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from app.audit.models import AuditEvent
from app.users.service import principal_for
from app.visits import intake
from app.visits.models import Attachment, Visit
from app.visits.schemas import VisitIn
from app.visits.upload import receive
from devkit.answers import visit_json
from devkit.servers import BIN
from devkit.stack import (
    SLOTS,
    Stack,
    evidence,
    kill_tree,
    seed_county,
    stop_on_sigterm,
    stop_process,
    verdict,
)

DONE = ("checked", "has_issues")


def submit(stack: Stack, county, households, size) -> list[str]:
    app = stack.app
    ext, cfg = app.extensions, app.config["DOORSTEP"]
    svc = intake.Intake(ext["store"], ext["queue"], ext["forms"], cfg.MAX_UPLOAD_BYTES, cfg.MAX_IMAGE_PIXELS)
    ids = []
    with app.app_context():
        for i, household in enumerate(households):
            principal = principal_for(county.helpers[household.village_code])
            data = VisitIn().load(visit_json(household, seed=i))
            data["instance_id"] = str(data["instance_id"])
            visit, _ = intake.create_visit(svc, principal, data)
            for slot, body in evidence(household, 300 + i, size=size).items():
                upload = receive(io.BytesIO(body), max_bytes=svc.max_bytes)
                try:
                    visit = intake.attach(svc, principal, str(visit.id), slot, upload).visit
                finally:
                    upload.close()
            ids.append(str(visit.id))
    return ids


def effects(stack: Stack, visit_id: str) -> list[str]:
    """Double (or missing) effects of checking one visit; empty when exactly once."""
    problems = []
    visit = Visit.objects.get(id=visit_id)
    if visit.state not in DONE:
        return [f"{visit_id} is {visit.state}"]
    audits = AuditEvent.objects(action="visit.checked", object_id=visit_id).count()
    if audits != 1:
        problems.append(f"{visit_id}: {audits} visit.checked audit entries")
    changes = [c.state for c in visit.history if c.state in DONE]
    if len(changes) != 1:
        problems.append(f"{visit_id}: history has {changes}")
    attachments = list(Attachment.objects(visit_id=visit_id))
    for a in attachments:
        if set(a.thumbnails) != {"240", "1024"} or not a.phash:
            problems.append(f"{visit_id} {a.slot}: thumbnails {sorted(a.thumbnails)} phash {a.phash}")
    prefix = attachments[0].key.rsplit("/", 1)[0] + "/"
    store = stack.app.extensions["store"]
    listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix=prefix).get("Contents", [])
    if len(listed) != 3 * len(attachments):
        problems.append(f"{visit_id}: {len(listed)} objects in S3 for {len(attachments)} attachments")
    return problems


def wait_for(predicate, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=3)
    parser.add_argument("--photo-size", default="2400x1800", help="larger photos make longer image jobs")
    parser.add_argument("--kill-after", type=float, default=1.0, help="seconds into the job to kill")
    parser.add_argument("--verbose", action="store_true", help="print the restarted worker's log")
    parser.add_argument("--retry-wait", type=float, default=20, help="wait for rq's own retry (s)")
    parser.add_argument("--timeout", type=float, default=240, help="longest wait for recovery (s)")
    args = parser.parse_args()
    stop_on_sigterm()
    size = tuple(int(x) for x in args.photo_size.split("x"))
    failures: list[str] = []
    with Stack("drill-kill-worker", env={"SWEEP_STALE_MINUTES": "1"}) as stack:
        county = seed_county(stack.app, towns=1, villages_per_town=1, households_per_village=args.visits)
        ids = submit(stack, county, county.households[: args.visits], size)
        print(f"{len(ids)} visits submitted and queued", flush=True)
        images = StartedJobRegistry(queue=stack.app.extensions["queue"].queue("images"))

        first = stack.start_worker("worker1.log")
        started: list[str] = []
        if not wait_for(lambda: started.extend(images.get_job_ids()) or started, 60, every=0.005):
            return verdict(["no image job started within 60 s"], "")
        time.sleep(args.kill_after)
        killed = kill_tree(first.pid)  # worker, work horse (own process group) and scheduler
        first.wait(10)
        job_id = started[0]
        victim = job_id.rsplit("-", 1)[-1]
        with stack.app.app_context():
            done = [a.slot for a in Attachment.objects(visit_id=victim) if a.phash]
            state = Visit.objects.get(id=victim).state
        print(
            f"killed worker pid {first.pid} and {len(killed) - 1} children (-9) during {job_id}: "
            f"{len(done)} of {len(SLOTS)} images done, "
            f"visit {state}; job still in StartedJobRegistry: {job_id in images.get_job_ids()}",
            flush=True,
        )
        if len(done) == len(SLOTS):
            print("note: the job had finished its images when killed; raise --photo-size", flush=True)

        began = time.monotonic()
        stack.start_worker("worker2.log")
        sweeper = stack.spawn([str(BIN / "doorstep"), "sweep", "--every", "5"], "sweeper.log")

        def all_done() -> bool:
            with stack.app.app_context():
                return Visit.objects(id__in=ids, state__in=DONE).count() == len(ids)

        recovered = wait_for(all_done, args.timeout)
        took = time.monotonic() - began
        swept = [ln for ln in stack.log_text("sweeper.log").splitlines() if ln.startswith("swept")]
        print(f"recovered: {recovered} after {took:.0f}s; sweeper: {swept or 'nothing swept'}", flush=True)
        for line in stack.log_text("worker2.log").splitlines():
            if args.verbose:
                print(f"  worker2: {line[:200]}", flush=True)
        if not recovered:
            failures.append(f"visits not all checked {args.timeout:.0f}s after the restart")
        stop_process(sweeper)

        with stack.app.app_context():
            for visit_id in ids:
                failures += effects(stack, visit_id)
            states = Counter(v.state for v in Visit.objects(id__in=ids).only("state"))
        print(f"states after recovery: {dict(states)}", flush=True)

        # rq's own path for the abandoned entry: expire it now, as a later maintenance run would
        ok_line = f"Job OK ({job_id})"
        runs_before = stack.log_text("worker2.log").count(ok_line)
        abandoned = job_id in images.get_job_ids()
        images_queue = stack.app.extensions["queue"].queue("images")
        scheduled = ScheduledJobRegistry(queue=images_queue)
        images.cleanup(timestamp=time.time() + 3600)
        retry_scheduled = job_id in scheduled.get_job_ids()
        print(
            f"rq cleanup of the abandoned entry (present: {abandoned}): retry scheduled: {retry_scheduled}",
            flush=True,
        )
        rerun = wait_for(lambda: stack.log_text("worker2.log").count(ok_line) > runs_before, args.retry_wait)
        if not rerun and job_id in scheduled.get_job_ids():
            print(
                f"note: the retry was still scheduled after {args.retry_wait:.0f}s: the restarted worker's "
                "scheduler could not take the dead scheduler's lock (TTL 61 s) at start-up, and rq tries "
                "again only at its next maintenance (every 60 s here, rq's default 10 min); enqueuing the "
                "due retry by hand, as the scheduler would",
                flush=True,
            )
            job = Job.fetch(job_id, connection=images_queue.connection)
            scheduled.remove(job)
            images_queue.enqueue_job(job)
            rerun = wait_for(lambda: stack.log_text("worker2.log").count(ok_line) > runs_before, 60)
        time.sleep(2)  # let a dependent check job, if any, run too
        with stack.app.app_context():
            for visit_id in ids:
                failures += [f"after rq's retry: {p}" for p in effects(stack, visit_id)]
        print(f"rq's retry of the abandoned job ran: {rerun}; effects checked again", flush=True)
        if retry_scheduled and not rerun:
            failures.append("rq's retry of the abandoned job never ran")
    return verdict(
        failures,
        f"worker killed -9 mid-job ({len(done)}/{len(SLOTS)} images done); after restart all {len(ids)} "
        f"visits checked in {took:.0f}s (swept: {len(swept)} time(s)), each exactly once: one visit.checked "
        "audit entry, one state change, 2 thumbnails per image; rq's abandoned-job retry changed nothing",
    )


if __name__ == "__main__":
    sys.exit(main())
