"""The outbox side of the counters: settle whatever changed since the last sweep, finish what a crash
interrupted. Every counted document sets `updated_at` in each write, so a change whose inline settle was
lost (a crash, a deliberately deferred settle) is found here."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from mongoengine.connection import get_db

from app.clock import china_date, now
from app.tallies.kinds import Kind
from app.tallies.settle import finish_abandoned, projection, settle_documents

STATE = "tally_sweeps"
OVERLAP = timedelta(minutes=5)  # clock skew between app servers and writes in flight
CHUNK = 1000


def settle_changed_since(kind: Kind, since: datetime | None) -> int:
    """Settle every document of `kind` written since `since` (all of them when None)."""
    return settle_matching(kind, {kind.changed_at: {"$gte": since}} if since else {})


def settle_matching(kind: Kind, query: dict) -> int:
    """Settle every document of `kind` matching `query`; returns how many changed the counters."""
    changed, chunk = 0, []
    for doc in get_db()[kind.collection].find(query, projection(kind)):
        chunk.append(doc)
        if len(chunk) == CHUNK:
            changed += settle_documents(kind, chunk)
            chunk = []
    return changed + (settle_documents(kind, chunk) if chunk else 0)


def sweep_tallies(kinds: tuple[Kind, ...]) -> dict[str, int]:
    """Settle every counted document changed since the last sweep (with an overlap). Returns per kind
    how many documents changed the counters."""
    state = get_db()[STATE]
    done = {}
    for kind in kinds:
        started = now()
        mark = state.find_one({"_id": kind.name}) or {}
        since = mark.get("swept_until")
        finish_abandoned(kind)
        done[kind.name] = settle_changed_since(kind, since - OVERLAP if since else None)
        day = china_date(started)
        if kind.due is not None and mark.get("swept_day"):
            since_day = date.fromisoformat(mark["swept_day"])
            if since_day < day:
                done[kind.name] += settle_matching(kind, kind.due(since_day, day))
        state.update_one(
            {"_id": kind.name}, {"$set": {"swept_until": started, "swept_day": day.isoformat()}}, upsert=True
        )
    return done
