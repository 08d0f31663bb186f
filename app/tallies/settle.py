"""Bring the counters of a document's areas in line with what the document now says.

A document keeps the tally it last added (`tally`, over `tally_areas`). Settling it computes its tally
again; when that differs, one conditional update of the document (on `tally_version`) records the new
tally with the change it implies, under an operation id (`tally_pending`): that claim is the outbox. The
change is then added to each area's counter, and the operation is recorded as done (`tally_ops`).

A crash at any point leaves either nothing claimed, or a claimed operation without its done record, which
`finish_abandoned` (the sweep) completes from the documents that carry it. Each counter remembers the last
operations it applied, so completing one twice adds it once. A document is claimed again only once its
previous operation is done, so no change is ever overwritten before it reached the counters.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable

from mongoengine.connection import get_db
from pymongo import UpdateOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError

from app.clock import now
from app.tallies.kinds import Kind, difference, nonzero

log = logging.getLogger(__name__)

PENDING = "tally_pending"  # {"op": id, "parts": [{"areas": [...], "delta": {...}}]}
COUNTERS = "area_counters"
OPS = "tally_ops"  # one record per operation applied to the counters: {_id: op, at}
OPS_KEPT = 500
ATTEMPTS = 5
ABANDONED_AFTER_NS = 60 * 10**9
# Operations are recovered for a day; an older claim without a done record counts as done (the sweep runs
# every minute, and `doorstep reconcile` settles any doubt). Done records are kept for a week (TTL).
RECOVERY_NS = 24 * 3600 * 10**9
FIELDS = ("area_path", "tally", "tally_areas", "tally_version", PENDING)


def new_op(kind: Kind) -> str:
    """A time-ordered operation id: `<ns since epoch>-<kind>-<random>`."""
    return f"{time.time_ns():020d}-{kind.name}-{uuid.uuid4().hex[:12]}"


def projection(kind: Kind) -> dict[str, int]:
    """The fields a settle reads, for callers that read documents themselves (the sweep)."""
    return {name: 1 for name in (*kind.fields, *FIELDS)}


def settle(kind: Kind, ids: Iterable, db: Database | None = None) -> int:
    """Settle these documents of `kind` (a few: each is read by id); returns how many changed the counters."""
    db = db if db is not None else get_db()
    collection = db[kind.collection]
    docs = [
        doc for doc in (collection.find_one({"_id": i}, projection(kind)) for i in dict.fromkeys(ids)) if doc
    ]
    return settle_documents(kind, docs, db)


def settle_documents(kind: Kind, docs: list[dict], db: Database | None = None) -> int:
    """Settle documents already read with `projection(kind)`; those that move meanwhile are read again."""
    db = db if db is not None else get_db()
    changed = 0
    for attempt in range(ATTEMPTS):
        done, retry = _settle_once(db, kind, docs)
        changed += done
        if not retry:
            return changed
        time.sleep(0.01 * (attempt + 1))
        collection = db[kind.collection]
        docs = [d for d in (collection.find_one({"_id": i}, projection(kind)) for i in retry) if d]
    log.warning(
        "%s tallies still moving after %d attempts: %s", kind.name, ATTEMPTS, [d["_id"] for d in docs[:5]]
    )
    return changed


def _settle_once(db: Database, kind: Kind, docs: list[dict]) -> tuple[int, list]:
    """Claim every document whose tally changed and apply the claims. Returns (applied, ids to retry)."""
    pending = {doc[PENDING]["op"] for doc in docs if doc.get(PENDING)}
    done = _done(db, pending) | {op for op in pending if _age_ns(op) > RECOVERY_NS}
    retry = []
    for op in pending - done:
        if _abandoned(op):
            _finish(db, kind, op)  # an earlier settle stopped half-way: finish it, then look again
    op = new_op(kind)
    claims, parts = [], []
    for doc in docs:
        if doc.get(PENDING) and doc[PENDING]["op"] not in done:
            retry.append(doc["_id"])  # its last change has not reached the counters yet
            continue
        claim = _claim(doc, kind, op)
        if claim is not None:
            claims.append(claim[0])
            parts.extend(claim[1])
    if not claims:
        return 0, retry
    result = db[kind.collection].bulk_write(claims, ordered=False)
    if result.matched_count == len(claims):
        _apply(db, op, parts)
    else:  # some documents changed between the read and their claim: apply only what was claimed
        _finish(db, kind, op)
        retry += [c._filter["_id"] for c in claims]
    return result.matched_count, retry


def _claim(doc: dict, kind: Kind, op: str) -> tuple[UpdateOne, list[dict]] | None:
    new, old = nonzero(kind.tally(doc)), doc.get("tally") or {}
    areas, old_areas = list(doc.get("area_path") or []), list(doc.get("tally_areas") or [])
    if new == old and areas == old_areas:
        return None
    if areas == old_areas:
        parts = [{"areas": areas, "delta": difference(new, old)}]
    else:  # the document moved: take its old tally off the old areas, add the new one to the new
        parts = [
            {"areas": old_areas, "delta": {k: -v for k, v in old.items()}},
            {"areas": areas, "delta": new},
        ]
    parts = [p for p in parts if p["areas"] and p["delta"]]
    version = doc.get("tally_version")
    update = {
        "tally": new,
        "tally_areas": areas,
        "tally_version": (version or 0) + 1,
        PENDING: {"op": op, "parts": parts},
    }
    return UpdateOne({"_id": doc["_id"], "tally_version": version}, {"$set": update}), parts


def stamp_new(kind: Kind, doc: dict, op: str) -> dict:
    """A new document with its tally claimed under `op`, for bulk inserts: insert them all, then
    `finish(kind, op, docs)`. The insert is the claim: a crash before `finish` leaves it to the sweep."""
    tally, areas = nonzero(kind.tally(doc)), list(doc.get("area_path") or [])
    parts = [{"areas": areas, "delta": tally}] if tally and areas else []
    return doc | {
        "tally": tally,
        "tally_areas": areas,
        "tally_version": 1,
        PENDING: {"op": op, "parts": parts},
    }


def finish(kind: Kind, op: str, inserted: list[dict] | None = None, db: Database | None = None) -> None:
    """Apply the operation `op` to the counters and record it done. `inserted`: the documents known to
    carry it (all of a bulk insert that succeeded); otherwise they are looked up."""
    db = db if db is not None else get_db()
    if inserted is None:
        _finish(db, kind, op)
    else:
        _apply(db, op, [part for doc in inserted for part in doc[PENDING]["parts"]])


def _finish(db: Database, kind: Kind, op: str) -> None:
    claimed = db[kind.collection].find({f"{PENDING}.op": op}, {PENDING: 1})
    _apply(db, op, [part for doc in claimed if doc[PENDING]["op"] == op for part in doc[PENDING]["parts"]])


def _apply(db: Database, op: str, parts: list[dict]) -> None:
    per_area: dict[str, Counter] = defaultdict(Counter)
    for part in parts:
        for area in part["areas"]:
            per_area[area].update(part["delta"])
    apply_to_counters(
        db, op, {area: {k: v for k, v in delta.items() if v} for area, delta in per_area.items()}
    )
    with contextlib.suppress(DuplicateKeyError):  # finished twice (a recovery racing its owner)
        db[OPS].insert_one({"_id": op, "at": now()})


def _done(db: Database, ops: set[str]) -> set[str]:
    if not ops:
        return set()
    return {doc["_id"] for doc in db[OPS].find({"_id": {"$in": sorted(ops)}}, {"_id": 1})}


def apply_to_counters(db: Database, op: str, per_area: dict[str, dict[str, int]]) -> None:
    """Add each area's delta once: a counter that already lists `op` is left alone."""
    per_area = {area: delta for area, delta in per_area.items() if delta}
    if not per_area:
        return
    counters = db[COUNTERS]
    requests = [
        UpdateOne(
            {"_id": area, "ops": {"$ne": op}},
            {
                "$inc": {f"counts.{key}": value for key, value in delta.items()},
                "$push": {"ops": {"$each": [op], "$slice": -OPS_KEPT}},
            },
        )
        for area, delta in per_area.items()
    ]
    result = counters.bulk_write(requests, ordered=False)
    if result.matched_count == len(requests):
        return
    # Either a counter does not exist yet, or it already applied `op` (a finish after a crash).
    known = {
        doc["_id"]: doc.get("ops") or []
        for doc in counters.find({"_id": {"$in": list(per_area)}}, {"ops": 1})
    }
    missing = [area for area in per_area if area not in known]
    if missing:
        with contextlib.suppress(BulkWriteError):  # created meanwhile by a concurrent settle
            counters.insert_many([{"_id": a, "counts": {}, "ops": []} for a in missing], ordered=False)
    forgotten = [a for a, ops in known.items() if op not in ops and len(ops) >= OPS_KEPT and op < ops[0]]
    if forgotten:
        # Too old to tell whether it was applied: leave it for `doorstep reconcile` rather than risk
        # counting it twice.
        counters.update_many({"_id": {"$in": forgotten}}, {"$set": {"needs_reconcile": True}})
        requests = [r for r in requests if r._filter["_id"] not in forgotten]
    if requests:
        counters.bulk_write(requests, ordered=False)


def _age_ns(op: str) -> int:
    return time.time_ns() - int(op.split("-", 1)[0])


def _abandoned(op: str) -> bool:
    """Only the settle that claimed an operation finishes it, unless it has been left for a minute."""
    return _age_ns(op) > ABANDONED_AFTER_NS


def unfinished(kind: Kind, db: Database | None = None) -> list[str]:
    """Operations claimed within the recovery window and not recorded done."""
    db = db if db is not None else get_db()
    since = f"{time.time_ns() - RECOVERY_NS:020d}"
    recent = set(db[kind.collection].distinct(f"{PENDING}.op", {f"{PENDING}.op": {"$gte": since}}))
    return sorted(recent - _done(db, recent))


def finish_abandoned(kind: Kind, db: Database | None = None) -> int:
    """Complete operations left half-way by a crash between claim and counters. Returns how many."""
    db = db if db is not None else get_db()
    stuck = [op for op in unfinished(kind, db) if _abandoned(op)]
    for op in stuck:
        _finish(db, kind, op)
    return len(stuck)


def mark_done(ops: list[str], db: Database | None = None) -> None:
    """Record operations as done without applying them (reconcile rewrites the counters instead)."""
    db = db if db is not None else get_db()
    for op in ops:
        with contextlib.suppress(DuplicateKeyError):
            db[OPS].insert_one({"_id": op, "at": now()})
