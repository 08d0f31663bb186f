"""`doorstep reconcile`: count everything again from the documents and compare with the counters.

Drift should never happen; when it does (a counter flagged by a recovery too old to replay, a write path
that bypassed the settle and the sweep, a manual edit of the database), this finds it and, with `fix`,
makes the counters and the documents' own tallies what a full recount says. Run it when writes are quiet:
a document changed while it runs is settled again by the next sweep.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from mongoengine.connection import get_db
from pymongo import ReplaceOne, UpdateOne

from app.tallies.kinds import Kind, nonzero
from app.tallies.settle import COUNTERS, mark_done, unfinished

BATCH = 1000


def recount(kinds: tuple[Kind, ...]) -> dict[str, Counter]:
    """Every document's tally added to each of its areas, from scratch."""
    db = get_db()
    per_area: dict[str, Counter] = defaultdict(Counter)
    for kind in kinds:
        fields = {name: 1 for name in (*kind.fields, "area_path")}
        for doc in db[kind.collection].find({}, fields):
            tally = nonzero(kind.tally(doc))
            for area in doc.get("area_path") or []:
                per_area[area].update(tally)
    return per_area


def drift(expected: dict[str, Counter]) -> dict[str, dict[str, tuple[int, int]]]:
    """{area: {count: (counter says, recount says)}} wherever they differ."""
    found: dict[str, dict[str, tuple[int, int]]] = {}
    stored = {doc["_id"]: doc.get("counts") or {} for doc in get_db()[COUNTERS].find({}, {"counts": 1})}
    for area in expected.keys() | stored.keys():
        have, want = stored.get(area, {}), expected.get(area, Counter())
        diff = {
            key: (have.get(key, 0), want.get(key, 0))
            for key in have.keys() | want.keys()
            if have.get(key, 0) != want.get(key, 0)
        }
        if diff:
            found[area] = diff
    return found


def reconcile(kinds: tuple[Kind, ...], fix: bool = False) -> dict:
    """Compare counters with a full recount; with `fix`, rewrite both sides to the recount."""
    expected = recount(kinds)
    found = drift(expected)
    if fix:
        for kind in kinds:  # claims still open are part of the recount: they must not be applied again
            mark_done(unfinished(kind))
        _rewrite_counters(expected)
        _rewrite_document_tallies(kinds)
    return {"areas": len(expected), "drifted": len(found), "drift": found, "fixed": fix}


def _rewrite_counters(expected: dict[str, Counter]) -> None:
    counters = get_db()[COUNTERS]
    requests = [
        ReplaceOne({"_id": area}, {"_id": area, "counts": dict(counts), "ops": []}, upsert=True)
        for area, counts in expected.items()
    ]
    for i in range(0, len(requests), BATCH):
        counters.bulk_write(requests[i : i + BATCH], ordered=False)
    counters.delete_many({"_id": {"$nin": list(expected)}})


def _rewrite_document_tallies(kinds: tuple[Kind, ...]) -> None:
    db = get_db()
    for kind in kinds:
        collection = db[kind.collection]
        fields = {name: 1 for name in (*kind.fields, "area_path", "tally", "tally_areas")}
        batch = []
        for doc in collection.find({}, fields):
            tally, areas = nonzero(kind.tally(doc)), list(doc.get("area_path") or [])
            if doc.get("tally") != tally or doc.get("tally_areas") != areas:
                batch.append(UpdateOne({"_id": doc["_id"]}, {"$set": {"tally": tally, "tally_areas": areas}}))
            if len(batch) >= BATCH:
                collection.bulk_write(batch, ordered=False)
                batch = []
        if batch:
            collection.bulk_write(batch, ordered=False)
