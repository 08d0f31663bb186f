"""Hand a complete visit to the workers: `receiving` becomes `submitted` and its checks are queued.

If Redis is down the visit keeps `queued_at = None` and the sweeper queues it later: an acknowledged
visit is never lost between the database and the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta

from redis.exceptions import RedisError

from app.auth.principal import SYSTEM, Principal
from app.clock import now
from app.events import dispatch
from app.queue import JobQueue
from app.visits import lifecycle
from app.visits.models import Attachment, Visit

log = logging.getLogger(__name__)


def complete_if_ready(
    queue: JobQueue, principal: Principal, visit: Visit, files: Mapping[str, Attachment] | None = None
) -> Visit:
    """Move a visit whose required slots are all present to `submitted`, then queue its checks.
    `files`: the visit's stored files when the caller has them (nothing is read again)."""
    if visit.state != "receiving":
        return visit
    present = (
        set(files) if files is not None else set(Attachment.objects(visit_id=str(visit.id)).distinct("slot"))
    )
    if not set(visit.expected_slots) <= present:
        return visit
    stamp = now()
    evidence = {slot: files[slot].sha256 for slot in sorted(files)} if files is not None else None
    if lifecycle.move(
        visit,
        "submitted",
        principal,
        action="visit.submit",
        fields={"submitted_at": stamp, "queued_at": stamp},  # cleared again if Redis refuses
        settle_counts=False,
        files=evidence,  # the audit log attests to exactly which files were submitted
    ):
        if not _dispatch(queue, str(visit.id)):
            Visit.objects(id=visit.id).update_one(unset__queued_at=True)
            visit.queued_at = None
    else:
        visit.reload()  # a concurrent twin won; the visit is no longer `receiving`
    return visit


def _dispatch(queue: JobQueue, visit_id: str) -> bool:
    try:
        dispatch(queue, "visit.submitted", visit_id)
    except RedisError as err:
        log.warning("visit %s submitted but not queued (%s); the sweeper will retry", visit_id, err)
        return False
    return True


def enqueue_checks(queue: JobQueue, visit_id: str) -> bool:
    """Hand the visit to the workers; on a Redis failure leave it for the sweeper (nothing is lost)."""
    if not _dispatch(queue, visit_id):
        return False
    Visit.objects(id=visit_id).update_one(set__queued_at=now())
    return True


def sweep(queue: JobQueue, stale_after: timedelta, limit: int = 500) -> dict[str, int]:
    """Re-queue submitted visits that never reached the queue, or were queued long ago and are still
    `submitted` (their job was lost). Jobs are idempotent, so a visit queued twice is harmless."""
    unqueued = [str(v.id) for v in Visit.objects.awaiting_queue().only("id").limit(limit)]
    stuck = [
        str(v.id)
        for v in Visit.objects(state="submitted", queued_at__lt=now() - stale_after).only("id").limit(limit)
    ]
    return {
        "unqueued": sum(enqueue_checks(queue, v) for v in unqueued),
        "stuck": sum(enqueue_checks(queue, v) for v in stuck),
        "completed": complete_stalled(queue, stale_after, limit),
    }


def complete_stalled(queue: JobQueue, stale_after: timedelta, limit: int = 500) -> int:
    """Submit visits left `receiving` with every required file present. An upload decides completion from
    the files it saw before writing its own, so two last files arriving at the same instant can each see
    the other missing; the sweep (or any retry) finishes such a visit."""
    done = 0
    since = now() - max(stale_after, timedelta(days=1))
    for visit in Visit.objects(state="receiving", updated_at__gte=since).limit(limit):
        done += complete_if_ready(queue, SYSTEM, visit).state != "receiving"
    return done
