"""End-to-end intake through the real HTTP API (gunicorn), against a baseline of bare S3 + MongoDB writes.

    .venv/bin/python -m bench.intake                       # 1, 4 and 16 clients
    .venv/bin/python -m bench.intake --clients 4 --visits 40

A visit is sent the two ways phones send it: step by step (POST /visits as JSON, then four ~340 KB JPEG
photos and four PNG signatures as PUTs: weak connections, resumable) and in one multipart POST /visits
with every file (good connections; what ODK Collect's one OpenRosa POST costs the server, bar the XML).
Images are generated before timing. The baseline, in the same run and at the same concurrency, writes
the same bytes straight to S3 with boto3 and the same documents (one visit, eight attachments) straight
to MongoDB with pymongo and j=True: what the storage costs with no API around it.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
import time

import boto3
import pymongo
from botocore.config import Config as BotoConfig
from pymongo.write_concern import WriteConcern
from urllib3 import encode_multipart_formdata

from bench.common import mib, summary_ms, write_results
from devkit.answers import visit_json
from devkit.stack import (
    PHOTO_SLOTS,
    SLOTS,
    Http,
    PeakRss,
    Stack,
    evidence,
    login,
    seed_county,
    stop_on_sigterm,
    tree_cpu,
    upload_headers,
)


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def run_threads(clients: int, work: list, do_one) -> tuple[float, list, list]:
    """Run `do_one(item, state)` for every item over `clients` threads; returns (wall seconds, results)."""
    todo: queue.Queue = queue.Queue()
    for item in work:
        todo.put(item)
    results, lock, errors = [], threading.Lock(), []
    start = threading.Barrier(clients + 1)

    def _worker():
        state: dict = {}
        start.wait()
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                out = do_one(item, state)
            except Exception as err:  # noqa: BLE001 - counted and reported, the run goes on
                with lock:
                    errors.append(repr(err))
                continue
            with lock:
                results.append(out)

    threads = [threading.Thread(target=_worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began, results, errors


# -- Doorstep through HTTP ---------------------------------------------------------------------
def doorstep_visit(base: str, item: tuple, state: dict) -> dict:
    household, headers, files = item
    http = state.setdefault("http", Http(base))
    timings = {"post": [], "put_photo": [], "put_signature": []}
    began = time.perf_counter()
    resp = http.request("POST", "/api/v1/visits", json_body=visit_json(household), headers=headers)
    if resp.status != 201:
        raise RuntimeError(f"POST /visits {resp.status}: {resp.body[:300]!r}")
    timings["post"].append(resp.seconds)
    visit_id = resp.json()["id"]
    for slot in SLOTS:
        body = files[slot]
        resp = http.request(
            "PUT",
            f"/api/v1/visits/{visit_id}/attachments/{slot}",
            body=body,
            headers={**headers, **upload_headers(body)},
        )
        if resp.status != 201:
            raise RuntimeError(f"PUT {slot} {resp.status}: {resp.body[:300]!r}")
        timings["put_photo" if slot in PHOTO_SLOTS else "put_signature"].append(resp.seconds)
    if resp.json().get("state") != "submitted":
        raise RuntimeError(f"visit {visit_id} ended {resp.json().get('state')}, not submitted")
    return {"visit": time.perf_counter() - began, **timings}


def doorstep_visit_multipart(base: str, item: tuple, state: dict) -> dict:
    household, headers, files = item
    http = state.setdefault("http", Http(base))
    fields = {"visit": json.dumps(visit_json(household))}
    fields |= {slot: (slot, body, "application/octet-stream") for slot, body in files.items()}
    body, content_type = encode_multipart_formdata(fields)
    began = time.perf_counter()
    resp = http.request(
        "POST", "/api/v1/visits", body=body, headers={**headers, "Content-Type": content_type}
    )
    if resp.status != 201 or resp.json().get("state") != "submitted":
        raise RuntimeError(f"POST /visits {resp.status}: {resp.body[:300]!r}")
    return {"visit": time.perf_counter() - began, "post": [resp.seconds]}


PATHS = {"step": doorstep_visit, "multipart": doorstep_visit_multipart}


# -- baseline: the same bytes and documents, straight to the stores ----------------------------
class Baseline:
    def __init__(self, env: dict[str, str], bucket: str):
        self.bucket = bucket
        self.s3 = boto3.client(
            "s3",
            endpoint_url=env["S3_ENDPOINT_URL"],
            aws_access_key_id=env["S3_ACCESS_KEY"],
            aws_secret_access_key=env["S3_SECRET_KEY"],
            region_name="us-east-1",
            config=BotoConfig(
                s3={"addressing_style": "path"},
                signature_version="s3v4",
                max_pool_connections=64,
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )
        self.mongo = pymongo.MongoClient(env["MONGODB_URI"], maxPoolSize=64)
        database = self.mongo.get_default_database()
        journaled = WriteConcern(w=1, j=True)
        self.visits = database.get_collection("baseline_visits", write_concern=journaled)
        self.attachments = database.get_collection("baseline_attachments", write_concern=journaled)

    def visit(self, item: tuple, state: dict) -> dict:
        household, _headers, files = item
        timings = {"mongo_insert": [], "s3_put": []}
        began = time.perf_counter()
        doc = visit_json(household) | {"state": "receiving", "created_at": time.time()}
        t = time.perf_counter()
        visit_id = str(self.visits.insert_one(doc).inserted_id)
        timings["mongo_insert"].append(time.perf_counter() - t)
        for slot in SLOTS:
            body = files[slot]
            key = f"baseline/{household.village_code}/{household.id}/{visit_id}/{slot}"
            t = time.perf_counter()
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="image/jpeg")
            timings["s3_put"].append(time.perf_counter() - t)
            t = time.perf_counter()
            self.attachments.insert_one(
                {
                    "visit_id": visit_id,
                    "slot": slot,
                    "key": key,
                    "size": len(body),
                    "kind": slot.split(".")[0],
                }
            )
            timings["mongo_insert"].append(time.perf_counter() - t)
        return {"visit": time.perf_counter() - began, **timings}

    def close(self) -> None:
        self.mongo.close()


def level_figures(wall: float, results: list[dict], errors: list, payload_bytes: int) -> dict:
    visits = len(results)
    requests = sum(len(v) for r in results for k, v in r.items() if k != "visit")
    out = {
        "visits": visits,
        "errors": len(errors),
        "error_samples": errors[:3],
        "seconds": round(wall, 2),
        "visits_per_s": round(visits / wall, 2) if wall else None,
        "requests_per_s": round(requests / wall, 1) if wall else None,
        "mib_per_s": round(payload_bytes * visits / wall / 1024**2, 2) if wall else None,
        "latency_ms": {"visit": summary_ms([r["visit"] for r in results])},
    }
    kinds = {k for r in results for k in r if k != "visit"}
    for kind in sorted(kinds):
        out["latency_ms"][kind] = summary_ms([s for r in results for s in r.get(kind, [])])
    out["latency_ms"]["any_request"] = summary_ms(
        [s for r in results for k, v in r.items() if k != "visit" for s in v]
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="1,4,16", help="concurrency levels, comma-separated")
    parser.add_argument(
        "--visits", default="16,32,64", help="visits per level (one number, or one per level)"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--image-sets", type=int, default=8, help="distinct photo/signature sets, reused")
    parser.add_argument("--photo-size", default="1600x1200")
    parser.add_argument("--paths", default="step,multipart", help="how visits are sent: step, multipart")
    args = parser.parse_args()
    stop_on_sigterm()
    levels = _ints(args.clients)
    counts = _ints(args.visits)
    counts = counts * len(levels) if len(counts) == 1 else counts
    if len(counts) != len(levels):
        parser.error("--visits needs one number, or one per --clients level")
    width, height = (int(x) for x in args.photo_size.split("x"))
    paths = [p for p in args.paths.split(",") if p]
    total = sum(counts) * len(paths)

    with Stack("bench-intake") as stack:
        villages = 8
        county = seed_county(
            stack.app, towns=2, villages_per_town=villages // 2, households_per_village=-(-total // villages)
        )
        print(f"seeded {len(county.households)} households; generating {args.image_sets} image sets ...")
        sets = [
            evidence(county.households[0], 1000 + i, size=(width, height)) for i in range(args.image_sets)
        ]
        payload = sum(len(b) for b in sets[0].values())
        photo_kb = [round(len(sets[0][s]) / 1024) for s in PHOTO_SLOTS]
        api = stack.start_api(workers=args.workers, threads=args.threads)
        tokens = {v: login(api.base, u.username) for v, u in county.helpers.items()}
        baseline = Baseline(stack.env, stack.config.S3_BUCKET)
        pids = {
            "gunicorn": api.proc.pid,
            **{name: server.proc.pid for name, server in stack.services.servers.items()},
        }
        households = iter(county.households)
        rows = []
        try:
            for (clients, count), path in (
                (level, p) for level in zip(levels, counts, strict=True) for p in paths
            ):
                work = []
                for i in range(count):
                    household = next(households)
                    work.append((household, tokens[household.village_code], sets[i % len(sets)]))
                cpu_before = {name: tree_cpu(pid) for name, pid in pids.items()}
                send = PATHS[path]
                with PeakRss(pids) as rss:
                    wall, results, errors = run_threads(
                        clients, work, lambda item, state, send=send: send(api.base, item, state)
                    )
                doorstep = level_figures(wall, results, errors, payload)
                doorstep["peak_rss_mib"] = {name: mib(v) for name, v in rss.peak.items()}
                doorstep["cpu_ms_per_visit"] = {
                    name: round(1000 * (tree_cpu(pid) - cpu_before[name]) / max(1, len(results)), 1)
                    for name, pid in pids.items()
                }
                wall, results, errors = run_threads(clients, work, baseline.visit)
                base = level_figures(wall, results, errors, payload)
                ratio = (
                    round(doorstep["visits_per_s"] / base["visits_per_s"], 3)
                    if doorstep["visits_per_s"] and base["visits_per_s"]
                    else None
                )
                rows.append(
                    {"path": path, "clients": clients, "doorstep": doorstep, "baseline": base, "ratio": ratio}
                )
                visit, req = doorstep["latency_ms"]["visit"], doorstep["latency_ms"]["any_request"]
                print(
                    f"{path:>9} {clients:>3} clients: Doorstep {doorstep['visits_per_s']} visits/s "
                    f"(visit p50 {visit.get('p50')} ms, p95 {visit.get('p95')} ms; "
                    f"request p50 {req.get('p50')} ms, p95 {req.get('p95')} ms; "
                    f"gunicorn peak {doorstep['peak_rss_mib']['gunicorn']} MiB; "
                    f"errors {doorstep['errors']}; CPU ms/visit {doorstep['cpu_ms_per_visit']}) | "
                    f"baseline {base['visits_per_s']} visits/s "
                    f"(visit p50 {base['latency_ms']['visit'].get('p50')} ms) | ratio {ratio}",
                    flush=True,
                )
        finally:
            baseline.close()
        result = {
            "setup": {
                "gunicorn": f"{args.workers} workers x {args.threads} threads",
                "photo_size": args.photo_size,
                "photo_kib": photo_kb,
                "signature_kib": [round(len(sets[0][s]) / 1024) for s in SLOTS if s not in PHOTO_SLOTS],
                "bytes_per_visit": payload,
                "requests_per_visit": {"step": 1 + len(SLOTS), "multipart": 1},
                "image_sets": args.image_sets,
                "worker": "none running: jobs only queued (intake measured alone)",
            },
            "levels": rows,
            "peak_gunicorn_rss_mib": max(r["doorstep"]["peak_rss_mib"]["gunicorn"] for r in rows),
        }
        path = write_results("intake", result)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
