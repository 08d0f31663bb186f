"""`doorstep reprint`: after `derive.PRINT_VERSION` is raised, the visits whose photos and signatures
carry a fingerprint of an older scheme go back to the image job, which re-derives only what is stale
(the fingerprint; thumbnails and pHash stay). Until then those prints are found only through the keys
both schemes share, so a copy of an old photo may be missed (docs/EVIDENCE.md)."""

from __future__ import annotations

from app.audit import service as audit
from app.auth.principal import SYSTEM
from app.events import dispatch
from app.images.derive import PRINT_VERSION, SEARCHED_KINDS
from app.queue import JobQueue
from app.visits.models import Attachment

STALE = {  # a fingerprint was stored, by an older scheme (none yet: the visit's own image job is due)
    "kind": {"$in": list(SEARCHED_KINDS)},
    "match_keys.0": {"$exists": True},
    "print_version": {"$ne": PRINT_VERSION},
}


def stale_visit_ids(limit: int | None = None) -> list[str]:
    """Visits with at least one stale fingerprint, each once, in storage order."""
    ids: dict[str, None] = {}
    for doc in Attachment._get_collection().find(STALE, {"visit_id": 1}):
        ids.setdefault(doc["visit_id"])
        if limit and len(ids) >= limit:
            break
    return list(ids)


def requeue_stale_prints(queue: JobQueue, limit: int | None = None) -> int:
    """Queue the image job of every visit with a stale fingerprint (a job id per visit: running this
    again while they wait queues nothing twice). Returns the visits queued."""
    ids = stale_visit_ids(limit)
    for visit_id in ids:
        dispatch(queue, "prints.stale", visit_id)
    audit.record(SYSTEM, "prints.requeued", "database", None, visits=len(ids), print_version=PRINT_VERSION)
    return len(ids)
