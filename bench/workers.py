"""Worker throughput and where its time goes; how the duplicate search grows with stored photos.

    .venv/bin/python -m bench.workers                          # 30 visits, then 1k / 10k / 100k photos
    .venv/bin/python -m bench.workers --visits 10 --sizes 1000,10000
    .venv/bin/python -m bench.workers --visits 20 --photo-size 4000x3000 --skip-search
    .venv/bin/python -m bench.workers --visits 12 --processes 2    # real worker processes: --fork or not

Part 1: twice N complete visits (four photos, four signatures, all distinct) are submitted through the
intake service, N at a time, and one in-process rq worker (burst, no fork) drains each batch: first with
the image job as it was (`before_image_job`: one decode per thumbnail, pHash and fingerprint; OpenCV's
default thread pool), then with the app's (`app.images.derive`: one draft-mode decode; one OpenCV thread).
The same run, the same machine load: report the ratio. The domain functions are wrapped with timers here,
not in app code; the rest is rq, MongoDB reads/writes, the other checks and Python.
`--photo-size 4000x3000` gives phone-size photos (12 MP, ~2 MB JPEGs).

Part 2: synthetic photo Attachments (random 64-bit pHashes with their bands) are inserted directly, up to
each size, and the pHash band query (now used for in-visit duplicates) is timed for fresh photos (no
match: the worst case, every candidate is read). The naive alternative, loading every stored pHash
and comparing in Python, is timed at the same sizes.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import secrets
import statistics
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from types import SimpleNamespace

import cv2
from bson import ObjectId

from app.checks import run as checks_run
from app.checks.policy import CheckPolicy
from app.checks.reuse import save_print
from app.images import derive
from app.images.fingerprint import decode_work_image, photo_print
from app.images.hashing import NEAR_DUPLICATE_DISTANCE, hamming, hash_bands, perceptual_hash, probe_bands
from app.images.signature_print import decode_ink, signature_print
from app.images.thumbnails import THUMBNAIL_SIZES, make_thumbnail
from app.storage import ObjectStore
from app.users.service import principal_for
from app.visits import intake
from app.visits.models import Attachment, Visit
from app.visits.schemas import VisitIn
from app.visits.upload import receive
from bench.common import percentile, write_results
from devkit.answers import visit_json
from devkit.stack import SLOTS, Stack, evidence, seed_county, stop_on_sigterm, tree_cpu
from workers import check_jobs, image_jobs
from workers.runtime import build_worker

# -- part 1: a worker over prepared visits ------------------------------------------------------

DEFAULT_CV2_THREADS = cv2.getNumThreads()  # before any worker is built (build_worker sets one thread)


class Timers:
    """Accumulated seconds and calls per label, filled by wrapped functions."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, label: str, fn):
        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - began
                self.calls[label] += 1

        return timed


def before_image_job(store: ObjectStore, visit_id: str) -> int:
    """The image job as it was before one-decode derivation (commit 78d7393), kept as this bench's
    baseline: the fingerprint, each thumbnail and the pHash each decode the original again."""
    done = 0
    for attachment in Attachment.objects(visit_id=visit_id):
        wanted = {str(size) for size in THUMBNAIL_SIZES}
        needs_print = attachment.kind in ("photo", "signature") and not attachment.match_keys
        if attachment.phash and wanted <= set(attachment.thumbnails) and not needs_print:
            continue
        original = store.get(attachment.key)
        if needs_print:
            if attachment.kind == "photo":
                save_print(attachment, photo_print(decode_work_image(io.BytesIO(original))))
            else:
                save_print(attachment, signature_print(decode_ink(io.BytesIO(original))))
        thumbnails = {}
        for size in THUMBNAIL_SIZES:
            key = f"{attachment.key.rsplit('.', 1)[0]}.t{size}.jpg"
            store.put(key, make_thumbnail(io.BytesIO(original), size), "image/jpeg")
            thumbnails[str(size)] = key
        phash = perceptual_hash(io.BytesIO(original))
        Attachment.objects(id=attachment.id, sha256=attachment.sha256).update_one(
            set__thumbnails=thumbnails, set__phash=phash, set__phash_bands=hash_bands(phash)
        )
        done += 1
    return done


BEFORE_PATCHES = [
    (sys.modules[__name__], "make_thumbnail", "thumbnails (decode+resize+encode)"),
    (sys.modules[__name__], "perceptual_hash", "pHash (decode+hash)"),
    (sys.modules[__name__], "decode_work_image", "decode for the fingerprint"),
    (sys.modules[__name__], "decode_ink", "decode for the fingerprint"),
    (sys.modules[__name__], "photo_print", "fingerprint (keys + ORB / ink frame)"),
    (sys.modules[__name__], "signature_print", "fingerprint (keys + ORB / ink frame)"),
]
AFTER_PATCHES = [
    (derive, "decode_upright", "decode once (draft) + shrink to 1024 + upright"),
    (derive, "encode_jpeg", "thumbnails (240 shrink + encode)"),
    (derive, "phash_of", "pHash (decode+hash)"),
    (derive, "fingerprint_of", "fingerprint (keys + ORB / ink frame)"),
]
COMMON_PATCHES = [
    (checks_run, "reuse_checks", "reuse search + verification (reuse_checks)"),
    (checks_run, "overlapping_visits", "impossible visits (overlap, speed)"),
    (checks_run, "travel_speed", "impossible visits (overlap, speed)"),
    (ObjectStore, "get", "S3 get (originals)"),
    (ObjectStore, "put", "S3 put (thumbnails)"),
    (check_jobs, "assess_visit", "assessment"),
]


@contextmanager
def instrumented(timers: Timers, patches: list):
    """Wrap the domain functions the worker calls; restore them afterwards."""
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    try:
        for owner, name, label in patches:
            setattr(owner, name, timers.wrap(label, getattr(owner, name)))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def _make_evidence(args: tuple) -> dict[str, bytes]:
    household, seed, size = args
    return evidence(household, seed, size=size)


def prepare_visits(stack: Stack, county, households: list, first_seed: int, size: tuple[int, int]):
    """Submit one complete visit per household through the intake service; returns their ids and the
    sha256 cost per visit (computed at intake, not in the worker)."""
    count = len(households)
    t = time.perf_counter()
    with ProcessPoolExecutor(2) as pool:
        where = [SimpleNamespace(lat=h.lat, lon=h.lon) for h in households]
        jobs = [(h, first_seed + i, size) for i, h in enumerate(where)]
        files = list(pool.map(_make_evidence, jobs))
    print(f"generated {count} visits' images in {time.perf_counter() - t:.1f}s; submitting ...", flush=True)
    app = stack.app
    ext, cfg = app.extensions, app.config["DOORSTEP"]
    svc = intake.Intake(ext["store"], ext["queue"], ext["forms"], cfg.MAX_UPLOAD_BYTES, cfg.MAX_IMAGE_PIXELS)
    ids = []
    with app.app_context():
        for household, bodies in zip(households, files, strict=True):
            principal = principal_for(county.helpers[household.village_code])
            data = VisitIn().load(visit_json(household))  # exactly what the API hands to intake
            data["instance_id"] = str(data["instance_id"])
            visit, _ = intake.create_visit(svc, principal, data)
            for slot in SLOTS:
                upload = receive(io.BytesIO(bodies[slot]), max_bytes=svc.max_bytes)
                try:
                    visit = intake.attach(svc, principal, str(visit.id), slot, upload).visit
                finally:
                    upload.close()
            ids.append(str(visit.id))
    sha_seconds = []
    for bodies in files:
        began = time.perf_counter()
        for body in bodies.values():
            hashlib.sha256(body).hexdigest()
        sha_seconds.append(time.perf_counter() - began)
    return ids, 1000 * statistics.fmean(sha_seconds)


def worker_throughput(stack: Stack, count: int, size: tuple[int, int]) -> dict:
    """The image job before and after one-decode derivation, each over `count` fresh visits, one run."""
    county = seed_county(stack.app, towns=1, villages_per_town=2, households_per_village=count)
    households = county.households[: 2 * count]
    out = {}
    runs = (("before", households[:count], 5000), ("after", households[count:], 7000))
    for label, part, first_seed in runs:
        ids, sha_ms = prepare_visits(stack, county, part, first_seed, size)
        out[label] = drain(stack, ids, size, before=label == "before")
        out[label]["sha256_at_intake_ms_per_visit"] = round(sha_ms, 2)
    out["after_over_before"] = round(out["after"]["visits_per_s"] / out["before"]["visits_per_s"], 2)
    return out


def drain(stack: Stack, ids: list[str], size: tuple[int, int], *, before: bool) -> dict:
    """One in-process worker over the queued jobs of `ids`; `before` runs the old image job and OpenCV's
    default thread pool (the worker as it was)."""
    count = len(ids)
    timers = Timers()
    app = stack.app
    worker = build_worker(app, simple=True, name=f"bench-{secrets.token_hex(4)}")
    patches = COMMON_PATCHES + (BEFORE_PATCHES if before else AFTER_PATCHES)
    saved_job = image_jobs.derive_images
    if before:
        cv2.setNumThreads(DEFAULT_CV2_THREADS)
        image_jobs.derive_images = before_image_job
    try:
        with instrumented(timers, patches):
            began, cpu_began = time.perf_counter(), time.process_time()
            db_cpu_began = tree_cpu(stack.services.servers["mongodb"].proc.pid)
            worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
            wall, cpu = time.perf_counter() - began, time.process_time() - cpu_began
            db_cpu = tree_cpu(stack.services.servers["mongodb"].proc.pid) - db_cpu_began
    finally:
        image_jobs.derive_images = saved_job
        cv2.setNumThreads(1)
    with app.app_context():
        states = Counter(v.state for v in Visit.objects(id__in=ids).only("state"))
    accounted = sum(timers.seconds.values())
    shares = {
        label: {
            "seconds": round(s, 2),
            "share": round(s / wall, 3),
            "calls": timers.calls[label],
            "ms_per_visit": round(1000 * s / count, 1),
        }
        for label, s in sorted(timers.seconds.items(), key=lambda kv: -kv[1])
    }
    shares["rest (rq, MongoDB, other checks, Python)"] = {
        "seconds": round(wall - accounted, 2),
        "share": round((wall - accounted) / wall, 3),
        "ms_per_visit": round(1000 * (wall - accounted) / count, 1),
    }
    return {
        "visits": count,
        "photo_size": f"{size[0]}x{size[1]}",
        "seconds": round(wall, 2),
        "visits_per_s": round(count / wall, 2),
        "ms_per_visit": round(1000 * wall / count, 1),
        "worker_cpu_ms_per_visit": round(1000 * cpu / count, 1),
        "mongodb_server_cpu_ms_per_visit": round(1000 * db_cpu / count, 1),
        "final_states": dict(states),
        "time_share": shares,
    }


def process_throughput(stack: Stack, count: int, size: tuple[int, int], rounds: int) -> dict:
    """Real worker processes (`python -m workers --burst`): forking a work horse per job (`--fork`)
    against running jobs in the worker process (the default), each over `count` fresh visits, alternating
    for `rounds` rounds. A burst worker on empty queues is timed too (start-up and shut-down), and taken
    off each drain's wall time."""
    county = seed_county(stack.app, towns=1, villages_per_town=2, households_per_village=count * rounds)
    households = iter(county.households)
    out: dict = {"fork": [], "no_fork": [], "idle_start_s": {}}
    for fork, label in ((True, "fork"), (False, "no_fork")):
        began = time.perf_counter()
        stack.start_worker(f"worker-idle-{label}.log", burst=True, fork=fork).wait()
        out["idle_start_s"][label] = round(time.perf_counter() - began, 2)
    for r in range(rounds):
        for fork, label in ((True, "fork"), (False, "no_fork")):
            part = [next(households) for _ in range(count)]
            ids, _ = prepare_visits(stack, county, part, 9000 + 1000 * r + 500 * fork, size)
            began = time.perf_counter()
            code = stack.start_worker(f"worker-{label}-{r}.log", burst=True, fork=fork).wait()
            wall = time.perf_counter() - began - out["idle_start_s"][label]
            with stack.app.app_context():
                states = Counter(v.state for v in Visit.objects(id__in=ids).only("state"))
            out[label].append({"exit": code, "visits_per_s": round(count / wall, 2), "states": dict(states)})
            print(f"round {r + 1} {label}: {count / wall:.2f} visits/s, states {dict(states)}", flush=True)
    for label in ("fork", "no_fork"):
        out[f"{label}_median_visits_per_s"] = statistics.median(x["visits_per_s"] for x in out[label])
    out["no_fork_over_fork"] = round(out["no_fork_median_visits_per_s"] / out["fork_median_visits_per_s"], 2)
    return out


# -- part 2: the duplicate search against many stored photos -----------------------------------


def _random_phash(rng: random.Random) -> str:
    return f"{rng.getrandbits(64):016x}"


def insert_photos(count: int, rng: random.Random, batch: int = 5000) -> float:
    """Insert `count` synthetic photo attachments straight into the collection; returns seconds."""
    collection = Attachment._get_collection()
    stamp = datetime.now(UTC)
    began = time.perf_counter()
    for start in range(0, count, batch):
        docs = []
        for _ in range(min(batch, count - start)):
            phash = _random_phash(rng)
            visit_id, household_id = str(ObjectId()), str(ObjectId())
            docs.append(
                {
                    "visit_id": visit_id,
                    "household_id": household_id,
                    "area_path": ["370000000000", "371500000000", "371525000000"],
                    "slot": "photo.front_of_house",
                    "kind": "photo",
                    "key": f"371525000000/x/y/{household_id}/{visit_id}/photo.front_of_house-{phash}.jpg",
                    "thumbnails": {},
                    "sha256": f"{rng.getrandbits(256):064x}",
                    "size": 340_000,
                    "content_type": "image/jpeg",
                    "width": 1600,
                    "height": 1200,
                    "exif": {},
                    "phash": phash,
                    "phash_bands": hash_bands(phash),
                    "uploaded_by": "bench",
                    "uploaded_at": stamp,
                }
            )
        collection.insert_many(docs, ordered=False)
    return time.perf_counter() - began


def fresh_photo(rng: random.Random) -> tuple[Visit, Attachment]:
    phash = _random_phash(rng)
    visit = Visit(id=ObjectId(), household_id=str(ObjectId()))
    item = Attachment(
        visit_id=str(visit.id),
        visit_oid=visit.id,
        household_id=visit.household_id,
        slot="photo.stove",
        kind="photo",
        sha256=f"{rng.getrandbits(256):064x}",
        phash=phash,
        phash_bands=hash_bands(phash),
    )
    return visit, item


def band_search(rng: random.Random, queries: int, policy: CheckPolicy) -> dict:
    seconds, candidates = [], []
    for _ in range(queries):
        visit, item = fresh_photo(rng)
        began = time.perf_counter()
        near = [
            d
            for d in Attachment.objects(
                visit_id__ne=str(visit.id), kind="photo", phash_bands__in=probe_bands(item.phash)
            )
            .only("phash")
            .as_pymongo()
            if hamming(item.phash, d["phash"]) <= policy.near_duplicate_distance
        ]
        seconds.append(time.perf_counter() - began)
        assert not near, "a random pHash matched: impossible by construction"
        candidates.append(Attachment.objects(kind="photo", phash_bands__in=probe_bands(item.phash)).count())
    return {"seconds": seconds, "candidates": candidates}


def naive_search(rng: random.Random, queries: int) -> dict:
    """Load every stored photo's pHash, then compare: what the check would cost without the index."""
    collection = Attachment._get_collection()
    seconds, load_seconds = [], []
    for _ in range(queries):
        _, item = fresh_photo(rng)
        began = time.perf_counter()
        stored = [
            d["phash"] for d in collection.find({"kind": "photo"}, {"phash": 1, "_id": 0}) if d.get("phash")
        ]
        loaded = time.perf_counter()
        near = [h for h in stored if hamming(item.phash, h) <= NEAR_DUPLICATE_DISTANCE]
        seconds.append(time.perf_counter() - began)
        load_seconds.append(loaded - began)
        assert not near
    return {"seconds": seconds, "load_seconds": load_seconds, "stored": len(stored)}


def ms(values: list[float], q: float) -> float | None:
    value = percentile(values, q)
    return None if value is None else round(1000 * value, 1)


def duplicate_scaling(
    stack: Stack, sizes: list[int], queries: int, naive_queries: int, budget: float
) -> list:
    rng = random.Random(42)
    policy = CheckPolicy()
    rows = []
    with stack.app.app_context():
        stored = Attachment.objects(kind="photo").count()
        for size in sizes:
            grow = size - stored
            if grow > 0:
                print(f"inserting {grow} photo attachments (to {size}) ...", flush=True)
                insert_seconds = insert_photos(grow, rng)
                stored = size
            else:
                insert_seconds = 0.0
            band = band_search(rng, queries, policy)
            naive = naive_search(rng, naive_queries)
            row = {
                "stored_photos": stored,
                "insert_seconds": round(insert_seconds, 1),
                "insert_docs_per_s": round(grow / insert_seconds) if grow > 0 else None,
                "band_index": {
                    "queries": queries,
                    "p50_ms": ms(band["seconds"], 50),
                    "p95_ms": ms(band["seconds"], 95),
                    "candidates_mean": round(statistics.fmean(band["candidates"]), 1),
                    "candidates_share": round(statistics.fmean(band["candidates"]) / stored, 4),
                },
                "naive_full_scan": {
                    "queries": naive_queries,
                    "p50_ms": ms(naive["seconds"], 50),
                    "load_p50_ms": ms(naive["load_seconds"], 50),
                },
            }
            row["naive_over_band"] = round(row["naive_full_scan"]["p50_ms"] / row["band_index"]["p50_ms"], 1)
            rows.append(row)
            print(
                f"{stored:>7} photos: band index p50 {row['band_index']['p50_ms']} ms "
                f"(p95 {row['band_index']['p95_ms']} ms, {row['band_index']['candidates_mean']} candidates = "
                f"{100 * row['band_index']['candidates_share']:.2f}%) | naive scan p50 "
                f"{row['naive_full_scan']['p50_ms']} ms | naive/band {row['naive_over_band']}x",
                flush=True,
            )
            spent = insert_seconds + sum(band["seconds"]) + sum(naive["seconds"])
            if spent > budget and size != sizes[-1]:
                print(
                    f"stopping: {spent:.0f}s at {size} exceeds the per-size budget {budget:.0f}s", flush=True
                )
                break
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=30, help="visits for the worker throughput part")
    parser.add_argument("--photo-size", default="1600x1200")
    parser.add_argument("--sizes", default="1000,10000,100000", help="stored photos, cumulative")
    parser.add_argument("--queries", type=int, default=20, help="fresh photos searched per size (band index)")
    parser.add_argument("--naive-queries", type=int, default=3, help="full scans per size")
    parser.add_argument("--budget", type=float, default=300, help="stop growing once one size took this long")
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--skip-search", action="store_true", help="only the worker part")
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="instead: real worker processes, --fork vs not, ROUNDS rounds of --visits each",
    )
    args = parser.parse_args()
    stop_on_sigterm()
    size = tuple(int(x) for x in args.photo_size.split("x"))
    sizes = [int(x) for x in args.sizes.split(",") if x]
    result: dict = {}
    with Stack("bench-workers") as stack:
        if args.processes:
            result["processes"] = process_throughput(stack, args.visits, size, args.processes)
            print(f"no fork / --fork: {result['processes']['no_fork_over_fork']}x visits/s")
            print(f"wrote {write_results('workers_processes', result)}")
            return 0
        if not args.skip_worker:
            result["worker"] = worker_throughput(stack, args.visits, size)
            for label in ("before", "after"):
                w = result["worker"][label]
                print(
                    f"{label}: one worker {w['visits_per_s']} visits/s ({w['ms_per_visit']} ms/visit) over "
                    f"{w['visits']} visits at {w['photo_size']}; states {w['final_states']}; worker CPU "
                    f"{w['worker_cpu_ms_per_visit']} ms/visit, SecantusDB CPU "
                    f"{w['mongodb_server_cpu_ms_per_visit']} ms/visit"
                )
                for name, share in w["time_share"].items():
                    print(f"  {name:<48} {100 * share['share']:5.1f}%  {share['ms_per_visit']:7.1f} ms/visit")
            print(f"after/before: {result['worker']['after_over_before']}x visits/s")
            if args.skip_search:
                write_results("workers", result)
                return 0
        result["duplicate_search"] = duplicate_scaling(
            stack, sizes, args.queries, args.naive_queries, args.budget
        )
        path = write_results("workers", result)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
