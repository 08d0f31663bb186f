"""The first duplicate-search design against the one the app now uses, at one store size (the evidence
for the change; see docs/PERFORMANCE.md):

- first design: 8 exact bands of 8 bits, candidates read as mongoengine documents;
- the same query read as raw dicts (`.as_pymongo()`);
- now (`app.images.hashing`): 4 bands of 16 bits, each probed with its 16 one-bit neighbours (68 keys):
  two pHashes within distance 7 agree on some 16-bit band up to one bit, so recall is kept.

    .venv/bin/python -m bench.dup_alternatives [--stored 20000 --queries 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from pymongo import UpdateOne

from app.images.hashing import NEAR_DUPLICATE_DISTANCE, hamming, hash_bands, probe_bands
from app.visits.models import Attachment
from bench.common import write_results
from bench.workers import insert_photos
from devkit.stack import Stack, stop_on_sigterm


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stored", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=15)
    args = parser.parse_args()
    stop_on_sigterm()
    rng = random.Random(5)
    seconds: dict[str, list[float]] = {"first_8x8": [], "first_8x8_raw": [], "now_4x16_probes": []}
    candidates: dict[str, list[int]] = {"first_8x8": [], "first_8x8_raw": [], "now_4x16_probes": []}
    with Stack("bench-dup-alternatives") as stack, stack.app.app_context():
        print(f"inserting {args.stored} photo attachments ...", flush=True)
        insert_photos(args.stored, rng)
        collection = Attachment._get_collection()
        began = time.perf_counter()
        ops = [
            UpdateOne({"_id": d["_id"]}, {"$set": {"bands8": hash_bands(d["phash"], 8)}})
            for d in collection.find({"kind": "photo"}, {"phash": 1})
        ]
        for i in range(0, len(ops), 2000):
            collection.bulk_write(ops[i : i + 2000], ordered=False)
        collection.create_index("bands8")
        print(f"8-bit bands added and indexed in {time.perf_counter() - began:.0f}s", flush=True)

        for _ in range(args.queries):
            phash = f"{rng.getrandbits(64):016x}"
            other = Attachment.objects(visit_id__ne="new", kind="photo", household_id__ne="new")
            near = other.filter(__raw__={"bands8": {"$in": hash_bands(phash, 8)}}).only(
                "visit_id", "household_id", "slot", "phash"
            )
            for name, rows, key in (
                ("first_8x8", lambda q=near: q, lambda c: c.phash),
                ("first_8x8_raw", lambda q=near: q.as_pymongo(), lambda c: c["phash"]),
                (
                    "now_4x16_probes",
                    lambda p=phash: collection.find(
                        {"kind": "photo", "phash_bands": {"$in": probe_bands(p)}},
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
