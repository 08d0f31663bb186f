"""The robust photo search as the store grows (part 2 of bench/evidence.py).

Real fingerprints of a sample of unrelated scenes show which stored keys recur across photos (the
look-alike patches) and whether disguised copies share with their source a key that does not. Filler
photos then stand in for a large store: each carries the recurring keys of one sampled photo, as often
as the sample has them, and random keys of its own for the rest. Fresh real photos are searched against
10k, 100k (and 1M) of them: the first time (common keys are found and marked on the way), again (the
steady state), and with common keys not skipped (the search before this change), beside a full scan.
"""

from __future__ import annotations

import random
import statistics
import time
from collections import Counter
from collections.abc import Callable

from bson import ObjectId

from app.checks import common_keys
from app.checks.reuse import find_reuse, find_reuses
from app.images.derive import derive
from app.images.fingerprint import ANCHOR_BITS, TAG_ANCHOR, TAG_GLOBAL
from app.visits.models import Attachment, CommonKey, EvidencePrint
from bench.common import summary_ms
from devkit import attacks
from devkit.imagegen import make_photo

SLIM_KEYS = 8  # random keys of a filler past --full-keys-max: enough to fill the index's tree, not its size


def key_sample(n: int, per_class: int, upload: Callable, rng: random.Random) -> dict:
    """Fingerprints of n unrelated scenes: how often stored keys recur, how often an unrelated photo's
    probes meet them, and per photo attack whether copies share a key with their source that no other
    photo of the sample carries (so that skipping common keys cannot lose them)."""
    began = time.perf_counter()
    prints = [derive("photo", upload(attacks.decode(make_photo(100_000 + i)))).fingerprint for i in range(n)]
    stored = [set(p.keys) for p in prints]
    df = Counter(k for keys in stored for k in keys)
    hits = Counter()  # probe hits on other photos' stored keys, by key
    for i, p in enumerate(prints):
        for k in set(p.probes):
            hits[k] += df.get(k, 0) - (k in stored[i])
    top = sum(n for _, n in hits.most_common(max(1, len(df) // 100)))
    sharing = sum(bool(set(p.probes) & stored[j]) for i, p in enumerate(prints) for j in range(n) if i != j)
    copies = {}
    for name, attack in attacks.PHOTO_ATTACKS.items():
        row = Counter()
        for i in rng.sample(range(n), min(per_class, n)):
            copy = derive("photo", upload(attack(attacks.decode(make_photo(100_000 + i)), rng))).fingerprint
            shared = set(copy.probes) & stored[i]
            row["n"] += 1
            row["shares_a_key"] += bool(shared)
            row["shares_a_key_no_other_photo_has"] += any(df[k] == 1 for k in shared)
        copies[name] = dict(row)
    return {
        "photos": n,
        "keys_per_photo": round(sum(map(len, stored)) / n, 1),
        "distinct_keys": len(df),
        "keys_on_2_or_more_photos": sum(1 for v in df.values() if v >= 2),
        "pair_rate_sharing_a_key": sharing / max(1, n * (n - 1)),
        "share_of_hits_on_the_top_1pct_keys": round(top / max(1, sum(hits.values())), 3),
        "copies": copies,
        "seconds": round(time.perf_counter() - began),
        "recurring": [sorted(k for k in keys if df[k] >= 2) for keys in stored],  # the fillers' model
    }


def filler(rng: random.Random, recurring: list[list[int]], keys: int) -> dict:
    """A stored photo: the recurring keys of one sampled photo, then random keys up to `keys`."""
    own = list(rng.choice(recurring))
    own += [(TAG_GLOBAL << 33) | (rng.getrandbits(1) << 32) | rng.getrandbits(32) for _ in range(6)]
    own += [(TAG_ANCHOR << 56) | rng.getrandbits(ANCHOR_BITS) for _ in range(max(0, keys - len(own)))]
    return {
        "visit_id": str(ObjectId()),
        "household_id": "filler",
        "slot": "photo.stove",
        "kind": "photo",
        "match_keys": own,
    }


def fill(
    size: int, rng: random.Random, recurring: list[list[int]], *, full_keys_max: int
) -> tuple[float, float]:
    """Filler photos up to `size` stored photos, the `match_keys` index rebuilt after (seconds of each)."""
    collection = Attachment._get_collection()
    loaded = collection.count_documents({})
    collection.drop_index("match_keys_1")
    began = time.perf_counter()
    while loaded < size:
        keys = 78 if loaded < full_keys_max else SLIM_KEYS
        batch = [filler(rng, recurring, keys) for _ in range(min(20_000, size - loaded))]
        collection.insert_many(batch, ordered=False)
        loaded += len(batch)
    inserted = time.perf_counter() - began
    collection.create_index("match_keys")
    return inserted, time.perf_counter() - inserted - began


def _matching(probes: set[int]) -> int:
    """Stored photos carrying any of the probes (what a search that skipped nothing would read)."""
    ids, keys = set(), sorted(probes)
    for start in range(0, len(keys), 48):
        chunk = {"match_keys": {"$in": keys[start : start + 48]}}
        ids |= {d["_id"] for d in Attachment._get_collection().find(chunk, {"_id": 1})}
    return len(ids)


def _timed(queries: list[Attachment]) -> list[float]:
    seconds = []
    for att in queries:
        t = time.perf_counter()
        find_reuse(att, exclude_household=True)
        seconds.append(time.perf_counter() - t)
    return seconds


def _without_skipping(queries: list[Attachment]) -> list[float]:
    """The search as it was before common keys were skipped: every probe looked up, every match read."""
    kept = common_keys.SKIPPING
    common_keys.SKIPPING = frozenset()
    try:
        return _timed(queries)
    finally:
        common_keys.SKIPPING = kept


def search_scaling(
    sizes: list[int],
    queries: list[Attachment],
    rng: random.Random,
    sample: dict,
    signatures: list[list[Attachment]],
    *,
    full_keys_max: int,
    baseline_max: int,
) -> dict:
    """Fill the index with photos up to each size; time the search of fresh photos (first, again, and
    without skipping), a full scan of the stored keys, and the signature search of a visit."""
    collection = Attachment._get_collection()
    out = {}
    for size in sizes:
        inserted, indexed = fill(size, rng, sample["recurring"], full_keys_max=full_keys_max)
        first, again = _timed(queries), _timed(queries)
        baseline = _without_skipping(queries) if size <= baseline_max else []
        probes = [set(EvidencePrint.objects.get(attachment_id=str(a.id)).probes) for a in queries]
        matched = [_matching(p) for p in probes] if size <= baseline_max else []
        signed = []
        for visit in signatures:
            t = time.perf_counter()
            find_reuses(visit, exclude_household=False)
            signed.append(time.perf_counter() - t)
        scan = []
        if size <= baseline_max:
            for p in probes[:1]:  # a scan reads everything: one query tells its time
                t = time.perf_counter()
                [
                    d
                    for d in collection.find({}, {"match_keys": 1})
                    if p.intersection(d.get("match_keys") or ())
                ]
                scan.append(time.perf_counter() - t)
        out[size] = row = {
            "insert_s": round(inserted, 1),
            "index_build_s": round(indexed, 1),
            "full_keys_up_to": min(size, full_keys_max),
            "search_first": summary_ms(first),
            "search": summary_ms(again),
            "search_without_skipping": summary_ms(baseline),
            "photos_sharing_a_probe_key": round(statistics.fmean(matched), 1) if matched else None,
            "share_of_store": round(statistics.fmean(matched) / size, 5) if matched else None,
            "common_keys_marked": CommonKey.objects.count(),
            "full_scan": summary_ms(scan),
            "signature_search_per_visit": summary_ms(signed),
        }
        print(
            f"  {size:>9,} photos: search p50 {row['search']['p50']} ms p95 {row['search']['p95']} ms"
            f" (first {row['search_first']['p50']} / {row['search_first']['p95']} ms)"
            f" | without skipping {row['search_without_skipping'].get('p50', '-')} ms"
            f" | full scan {row['full_scan'].get('p50', '-')} ms"
            f" | photos sharing a probe key {row['photos_sharing_a_probe_key'] or '-'}"
            f" | common keys {row['common_keys_marked']} | insert {inserted:.0f} s, index {indexed:.0f} s"
            f" | a visit's 3 signatures: p50 {row['signature_search_per_visit']['p50']} ms",
            flush=True,
        )
    return out
