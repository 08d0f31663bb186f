"""Search keys that too many photos share to point at any one of them: the robust search skips them.

Most of a photo's anchor keys are its own, but a few patches look alike in any scene (a plain wall edge,
a window corner, a strip of sky). Their keys are carried by a fixed share of all stored photos, so a
search that looked them up would read that share of the store every time: cost growing with the store.
In the bench's real fingerprints, 1% of the keys made 91% of the look-alike hits, and no copy was
found only through such a key (docs/EVIDENCE.md).

A key is marked common the first time a search sees it on COMMON_AT or more other households' photos,
or when a chunk of probes fills READ_LIMIT and it is the most shared key in what was read. Marks are
kept in MongoDB (every worker shares them) and in each process, reloaded when their number changes.
From then on the search looks up only keys rarer than that, so it reads a bounded number of
candidates however large the store grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pymongo import UpdateOne

from app.clock import now
from app.visits.models import CommonKey

COMMON_AT = 24  # other households' photos carrying one key: beyond this it says nothing about any one
READ_LIMIT = 512  # candidates read per chunk of probes (up to 256 keys): one that fills it holds a common key
SKIPPING = frozenset({"photo"})  # kinds whose keys are skipped when common (see docs/EVIDENCE.md)

_known: dict[str, object] = {"count": -1, "keys": frozenset()}


def skipped() -> frozenset[int]:
    """Every key marked common, from this process's copy unless the stored number of marks changed."""
    collection = CommonKey._get_collection()
    count = collection.estimated_document_count()
    if count != _known["count"]:
        keys = frozenset(d["_id"] for d in collection.find({}, {"_id": 1}))
        _known.update(count=len(keys), keys=keys)
    return _known["keys"]  # type: ignore[return-value]


def most_shared(docs: Iterable[dict], probes: set[int]) -> Counter:
    """How many of the documents read carry each of the probes."""
    return Counter(k for doc in docs for k in probes.intersection(doc.get("match_keys") or ()))


def to_mark(shared: Counter, *, filled: bool) -> dict[int, int]:
    """The keys to mark common among those counted in one read: all at COMMON_AT or more, and when the
    read filled READ_LIMIT without one, the most shared (that read could not see them all)."""
    common = {k: n for k, n in shared.items() if n >= COMMON_AT}
    if filled and not common and shared:
        key, n = shared.most_common(1)[0]
        common = {key: n}
    return common


def mark(kind: str, shared_by: dict[int, int]) -> None:
    """Record keys as common (idempotent: a key is marked once, its first count kept)."""
    if not shared_by:
        return
    at = now()
    CommonKey._get_collection().bulk_write(
        [
            UpdateOne(
                {"_id": key},
                {"$setOnInsert": {"kind": kind, "shared_by": n, "marked_at": at}},
                upsert=True,
            )
            for key, n in shared_by.items()
        ],
        ordered=False,
    )
    keys = _known["keys"] | frozenset(shared_by)  # type: ignore[operator]
    _known.update(keys=keys, count=CommonKey._get_collection().estimated_document_count())
