"""The outbox side of the counters: settle whatever changed since the last sweep, finish what a crash
interrupted. Every counted document sets `updated_at` in each write, so a change whose inline settle was
lost (a crash, a deliberately deferred settle) is found here."""

from __future__ import annotations

from datetime import datetime, timedelta

from mongoengine.connection import get_db

from app.clock import now
from app.tallies.kinds import KINDS, Kind
from app.tallies.settle import finish_abandoned, settle

STATE = "tally_sweeps"
OVERLAP = timedelta(minutes=5)  # clock skew between app servers and writes in flight
CHUNK = 1000


def settle_changed_since(kind: Kind, since: datetime | None) -> int:
    collection = get_db()[kind.collection]
    query = {"updated_at": {"$gte": since}} if since else {}
    ids = [doc["_id"] for doc in collection.find(query, {"_id": 1})]
    return sum(settle(kind, ids[i : i + CHUNK]) for i in range(0, len(ids), CHUNK))


def sweep_tallies() -> dict[str, int]:
    """Settle every counted document changed since the last sweep (with an overlap). Returns per kind
    how many documents changed the counters."""
    state = get_db()[STATE]
    done = {}
    for kind in KINDS:
        started = now()
        mark = state.find_one({"_id": kind.name}) or {}
        since = mark.get("swept_until")
        finish_abandoned(kind)
        done[kind.name] = settle_changed_since(kind, since - OVERLAP if since else None)
        state.update_one({"_id": kind.name}, {"$set": {"swept_until": started}}, upsert=True)
    return done
