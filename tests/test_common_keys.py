"""The robust search skips keys that too many other households' photos share (app/checks/common_keys.py)."""

from __future__ import annotations

from bson import ObjectId

from app.checks import common_keys
from app.checks.reuse import candidates
from app.visits.models import Attachment, CommonKey, EvidencePrint

WALL_EDGE, OWN, RARE = 2 << 56 | 11, 2 << 56 | 12, 2 << 56 | 13  # anchor-tagged keys, no real photo's


def _stored(household: str, keys: list[int], kind: str = "photo") -> dict:
    return {
        "_id": ObjectId(),
        "visit_id": str(ObjectId()),
        "visit_oid": ObjectId(),
        "household_id": household,
        "slot": f"{kind}.stove",
        "kind": kind,
        "key": "k",
        "sha256": "0" * 64,
        "size": 1,
        "content_type": "image/jpeg",
        "uploaded_at": ObjectId().generation_time,
        "match_keys": keys,
    }


def _query(probes: list[int], kind: str = "photo") -> Attachment:
    att = Attachment._from_son(_stored("query household", [], kind))
    EvidencePrint(attachment_id=str(att.id), kind=kind, probes=probes).save()
    return att


def _fill(n: int, keys: list[int], kind: str = "photo") -> None:
    Attachment._get_collection().insert_many([_stored(f"h{i}", [*keys, i], kind) for i in range(n)])


def test_a_key_on_many_households_photos_is_marked_and_skipped_but_the_source_is_found(app):
    _fill(common_keys.COMMON_AT, [WALL_EDGE])
    source = _stored("source household", [WALL_EDGE, OWN])
    Attachment._get_collection().insert_one(source)
    query = _query([WALL_EDGE, OWN])

    _, found, shared = candidates([query], exclude_household=True)
    assert set(found) == {str(source["_id"])}  # the wall edge's other photos are not candidates
    assert shared[str(query.id)] == {str(source["_id"]): 1}  # counted by the key of its own only
    assert CommonKey.objects.get(key=WALL_EDGE).shared_by == common_keys.COMMON_AT + 1
    assert WALL_EDGE in common_keys.skipped()


def test_a_key_under_the_mark_stays_searched(app):
    _fill(common_keys.COMMON_AT - 2, [RARE])
    _, found, _ = candidates([_query([RARE])], exclude_household=True)
    assert len(found) == common_keys.COMMON_AT - 2
    assert CommonKey.objects.count() == 0


def test_a_read_that_fills_its_limit_marks_the_most_shared_key_and_reads_again(app, monkeypatch):
    monkeypatch.setattr(common_keys, "COMMON_AT", 10_000)  # only the full read can tell here
    _fill(common_keys.READ_LIMIT + 40, [WALL_EDGE])
    source = _stored("source household", [OWN])
    Attachment._get_collection().insert_one(source)
    _, found, _ = candidates([_query([WALL_EDGE, OWN])], exclude_household=True)
    assert set(found) == {str(source["_id"])}
    assert CommonKey.objects.get(key=WALL_EDGE).shared_by == common_keys.READ_LIMIT


def test_signature_keys_are_never_skipped(app):
    """One official signs hundreds of visits: his genuine signatures are searched in full (EVIDENCE.md)."""
    _fill(common_keys.COMMON_AT + 5, [RARE], kind="signature")
    _, found, _ = candidates([_query([RARE], kind="signature")], exclude_household=False)
    assert len(found) == common_keys.COMMON_AT + 5
    assert CommonKey.objects.count() == 0


def test_marks_made_elsewhere_are_picked_up_and_cleared_marks_forgotten(app):
    assert WALL_EDGE not in common_keys.skipped()
    CommonKey(key=WALL_EDGE, kind="photo", shared_by=30).save()  # another worker marked it
    assert WALL_EDGE in common_keys.skipped()
    CommonKey.objects.delete()
    assert WALL_EDGE not in common_keys.skipped()
