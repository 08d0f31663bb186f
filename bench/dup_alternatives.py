"""The duplicate search as it is against two cheaper variants, at one store size (evidence for
docs/SCALING.md; app code is not changed):

- as now: 8 bands of 8 bits, candidates read as mongoengine documents (`reuse_elsewhere`'s query);
- the same query read as raw dicts (`.as_pymongo()`);
- 4 bands of 16 bits, each probed with its 16 one-bit neighbours (68 keys): two pHashes within distance 7
  agree on some 16-bit band up to one bit, so recall at NEAR_DUPLICATE_DISTANCE is kept.

    .venv/bin/python -m bench.dup_alternatives [--stored 20000 --queries 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from pymongo import UpdateOne

from app.images.hashing import NEAR_DUPLICATE_DISTANCE, hamming, hash_bands
from app.visits.models import Attachment
from bench.common import write_results
from bench.workers import insert_photos
from scripts.drills.harness import Stack, stop_on_sigterm


def bands16(phash: str) -> list[str]:
    return [f"{i}:{phash[i * 4 : (i + 1) * 4]}" for i in range(4)]


def probes16(phash: str) -> list[str]:
    """Each 16-bit band's value and its 16 one-bit neighbours: 68 index keys."""
    keys = []
    for i in range(4):
        value = int(phash[i * 4 : (i + 1) * 4], 16)
        keys += [f"{i}:{value:04x}", *(f"{i}:{value ^ (1 << b):04x}" for b in range(16))]
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=15)
    args = parser.parse_args()
    stop_on_sigterm()
    rng = random.Random(5)
    seconds: dict[str, list[float]] = {"as_now": [], "as_pymongo": [], "multiprobe_4x16": []}
    candidates: dict[str, list[int]] = {"as_now": [], "as_pymongo": [], "multiprobe_4x16": []}
    with Stack("bench-dup-alternatives") as stack, stack.app.app_context():
        print(f"inserting {args.stored} photo attachments ...", flush=True)
        insert_photos(args.stored, rng)
        collection = Attachment._get_collection()
        began = time.perf_counter()
        ops = [
            UpdateOne({"_id": d["_id"]}, {"$set": {"bands16": bands16(d["phash"])}})
            for d in collection.find({"kind": "photo"}, {"phash": 1})
        ]
        for i in range(0, len(ops), 2000):
            collection.bulk_write(ops[i : i + 2000], ordered=False)
        collection.create_index("bands16")
        print(f"16-bit bands added and indexed in {time.perf_counter() - began:.0f}s", flush=True)

        for _ in range(args.queries):
            phash = f"{rng.getrandbits(64):016x}"
            other = Attachment.objects(visit_id__ne="new", kind="photo", household_id__ne="new")
            near = other.filter(phash_bands__in=hash_bands(phash)).only(
                "visit_id", "household_id", "slot", "phash"
            )
            for name, rows, key in (
                ("as_now", lambda q=near: q, lambda c: c.phash),
                ("as_pymongo", lambda q=near: q.as_pymongo(), lambda c: c["phash"]),
                (
                    "multiprobe_4x16",
                    lambda p=phash: collection.find(
                        {"kind": "photo", "bands16": {"$in": probes16(p)}},
                        {"phash": 1, "visit_id": 1, "household_id": 1, "slot": 1},
                    ),
                    lambda c: c["phash"],
                ),
            ):
                t, n = time.perf_counter(), 0
                for c in rows():
                    n += 1
                    if hamming(phash, key(c)) <= NEAR_DUPLICATE_DISTANCE:
                        break
                seconds[name].append(time.perf_counter() - t)
                candidates[name].append(n)
    rows = {
        name: {
            "p50_ms": round(1000 * statistics.median(seconds[name]), 1),
            "candidates_mean": round(statistics.fmean(candidates[name]), 1),
            "candidates_share": round(statistics.fmean(candidates[name]) / args.stored, 5),
        }
        for name in seconds
    }
    for name, row in rows.items():
        print(
            f"{name:<16} p50 {row['p50_ms']:7.1f} ms  candidates {row['candidates_mean']:7.1f} "
            f"({100 * row['candidates_share']:.2f}% of {args.stored})"
        )
    print(f"wrote {write_results('dup_alternatives', {'stored_photos': args.stored, 'variants': rows})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
