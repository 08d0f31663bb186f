"""Bring the counters of a document's areas in line with what the document now says.

A document keeps the tally it last added (`tally`, over `tally_areas`). Settling it computes its tally
again; when that differs, one conditional update of the document records the new tally together with the
pending change (the outbox), the change is added to each area's counter, and the pending mark is cleared.
A crash at any point leaves either nothing done or a pending mark that `finish_pending` completes; each
counter remembers the last operations it applied, so completing one twice adds it once.
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
from pymongo.errors import BulkWriteError

from app.tallies.kinds import Kind, difference, nonzero

log = logging.getLogger(__name__)

PENDING = "tally_pending"
COUNTERS = "area_counters"
OPS_KEPT = 500
ATTEMPTS = 5
ABANDONED_AFTER_NS = 60 * 10**9


def new_op(kind: Kind) -> str:
    """A time-ordered operation id: `<ns since epoch>-<kind>-<random>`."""
    return f"{time.time_ns():020d}-{kind.name}-{uuid.uuid4().hex[:12]}"


def settle(kind: Kind, ids: Iterable, db: Database | None = None) -> int:
    """Settle these documents of `kind`; returns how many changed what they add to the counters."""
    db = db if db is not None else get_db()
    remaining = list(dict.fromkeys(ids))
    changed = 0
    for _ in range(ATTEMPTS):
        if not remaining:
            return changed
        done, remaining = _settle_once(db, kind, remaining)
        changed += done
    log.warning("%s tallies still moving after %d attempts: %s", kind.name, ATTEMPTS, remaining[:5])
    return changed


def _settle_once(db: Database, kind: Kind, ids: list) -> tuple[int, list]:
    """One pass: claim every document whose tally changed, apply the claims. Returns (applied, to retry)."""
    collection = db[kind.collection]
    fields = {
        name: 1 for name in (*kind.fields, "area_path", "tally", "tally_areas", "tally_version", PENDING)
    }
    docs = list(collection.find({"_id": {"$in": ids}}, fields))
    busy = [doc for doc in docs if doc.get(PENDING)]
    for op in {doc[PENDING]["op"] for doc in busy if _abandoned(doc[PENDING]["op"])}:
        _finish(db, kind, op)  # an earlier settle stopped half-way: finish it
    if busy:
        time.sleep(0.02)  # another settle is applying these right now: look again when it is done
    op = new_op(kind)
    claims = [c for c in (_claim(doc, kind, op) for doc in docs if not doc.get(PENDING)) if c is not None]
    retry = [doc["_id"] for doc in busy]
    if not claims:
        return 0, retry
    result = collection.bulk_write(claims, ordered=False)
    applied = _finish(db, kind, op)
    if result.matched_count < len(claims):  # a document changed between the read and its claim
        retry += [c._filter["_id"] for c in claims]
    return applied, retry


def stamp_new(kind: Kind, doc: dict, op: str) -> dict:
    """A new document with its tally claimed under `op`, for bulk inserts: insert, then `finish(kind, op)`.
    The insert itself is the claim, so a crash before `finish` leaves a pending mark the sweep completes."""
    tally, areas = nonzero(kind.tally(doc)), list(doc.get("area_path") or [])
    return doc | {
        "tally": tally,
        "tally_areas": areas,
        "tally_version": 1,
        PENDING: {"op": op, "parts": [{"areas": areas, "delta": tally}] if tally and areas else []},
    }


def finish(kind: Kind, op: str, db: Database | None = None) -> int:
    """Apply what was claimed under `op` to the counters and clear the claims; returns documents done."""
    return _finish(db if db is not None else get_db(), kind, op)


def _abandoned(op: str) -> bool:
    """Only the settle that claimed an operation finishes it, unless it has been left for a minute."""
    return time.time_ns() - int(op.split("-", 1)[0]) > ABANDONED_AFTER_NS


def _claim(doc: dict, kind: Kind, op: str) -> UpdateOne | None:
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
    version = doc.get("tally_version")
    return UpdateOne(
        {"_id": doc["_id"], "tally_version": version, PENDING: None},
        {
            "$set": {
                "tally": new,
                "tally_areas": areas,
                "tally_version": (version or 0) + 1,
                PENDING: {"op": op, "parts": [p for p in parts if p["areas"] and p["delta"]]},
            }
        },
    )


def _finish(db: Database, kind: Kind, op: str) -> int:
    """Add the changes claimed under `op` to the counters, then clear the claims. Idempotent."""
    collection = db[kind.collection]
    claimed = list(collection.find({f"{PENDING}.op": op}, {PENDING: 1}))
    per_area: dict[str, Counter] = defaultdict(Counter)
    for doc in claimed:
        for part in doc[PENDING]["parts"]:
            for area in part["areas"]:
                per_area[area].update(part["delta"])
    apply_to_counters(
        db, op, {area: {k: v for k, v in delta.items() if v} for area, delta in per_area.items()}
    )
    collection.update_many({f"{PENDING}.op": op}, {"$unset": {PENDING: 1}})
    return len(claimed)


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


def finish_abandoned(kind: Kind, db: Database | None = None) -> int:
    """Complete settles that stopped half-way (a crash between claim and clear). Returns operations done."""
    db = db if db is not None else get_db()
    ops = [
        op for op in db[kind.collection].distinct(f"{PENDING}.op", {PENDING: {"$ne": None}}) if _abandoned(op)
    ]
    for op in ops:
        _finish(db, kind, op)
    return len(ops)
