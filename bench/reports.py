"""Verification report latency as a county grows: 10k, 100k, 1M households with their visits.

    .venv/bin/python -m bench.reports                      # 10k, 100k, 1M (about ten minutes)
    .venv/bin/python -m bench.reports --bare-max 1000000 --recount-max 100000   # + 1M scan, 100k recount
    .venv/bin/python -m bench.reports --sizes 1000,10000 --runs 5
    .venv/bin/python -m bench.reports --keep-indexes --sizes 10000,100000   # with every index (slow load)

Households (with members, a helper, a latest assessment for the visited ones), one visit per visited
household (states spread over the review pipeline) and a few rectification items are inserted in bulk into
one county of 10 towns x 10 villages, their tallies claimed in the insert and added to the area counters
as a household import does. Each size times GET /api/v1/reports/verification?area=<county> as the county
supervisor (in-process through the Flask test client: routing, auth, reading the counters, serialisation;
no HTTP server), the median of several runs, against a bare `$match + $group` count over the same
households, and (up to --recount-max; 10k by default, 100k takes ~2 min) against the previous report: the
aggregation pipelines' recount, which must equal the counters. Households also carry a poverty status and
a satisfaction answer, and ~0.3 lifecycle events each this year.

The load is a bulk load, as a restore or a migration does it (unless --keep-indexes): the secondary
indexes of the four loaded collections are dropped first, and the embedded server runs `--standalone`
(no replica-set oplog entry per insert; nothing in Doorstep reads the oplog). With every index the
embedded server stored ~150-300 documents a second (90k households with their visits took 540-830 s), so
a million would take hours; bulk, ~3,000-5,000. Nothing timed reads through the dropped indexes: the
report reads the area counters and the area tree (their indexes stay), and the bare count matches every
household of the county, which a scan does as fast as the `area_path` index (3.4 s without, 3.7 s with,
for 100k small documents in one probe).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from pymongo.collection import Collection

from app import db
from app.areas.service import build_area
from app.households.models import Household, PovertyEvent
from app.households.tally import HOUSEHOLDS, POVERTY_EVENTS
from app.rectification.models import RectificationItem
from app.rectification.tally import ITEMS
from app.reports import lifecycle, verification
from app.tallies.kinds import Kind
from app.tallies.settle import PENDING, finish, new_op, stamp_new
from app.visits.models import Visit
from app.visits.tally import VISITS
from bench.common import write_results
from devkit.answers import sample_answers
from devkit.stack import PASSWORD, Stack, seed_county, stop_on_sigterm

BATCH = 1000
CHUNK = 50000  # households generated and inserted at a time
LOADED = (Household, PovertyEvent, Visit, RectificationItem)

INDICATORS = (
    "food_clothing",
    "compulsory_education",
    "basic_medical",
    "housing_safety",
    "drinking_water",
    "income",
)
STATES = (
    ["checked"] * 30
    + ["has_issues"] * 10
    + ["approved"] * 35
    + ["rejected"] * 5
    + ["revisit_requested"] * 5
    + ["submitted"] * 15
)
HOUSEHOLD_STATUS = {
    "submitted": "visit_submitted",
    "checked": "checked",
    "has_issues": "has_issues",
    "approved": "verified",
    "rejected": "rejected",
    "revisit_requested": "revisit_requested",
}
POVERTY = (
    ["poor"] * 20
    + ["lifted_supported"] * 45
    + ["lifted_unsupported"] * 25
    + ["unstable", "marginal"] * 4
    + ["relapsed"] * 2
)
EVENTS_PER_HOUSEHOLD = 0.3  # lifecycle events this year (脱贫, 返贫, 纳入监测, 即时帮扶 ...) per household
CHECKS = [
    {"code": c, "passed": True, "severity": "info", "detail": "ok", **({"slot": s} if s else {})}
    for c, s in [
        ("answers_valid", None),
        ("evidence_complete", None),
        ("visit_location", None),
        *[(code, f"photo.{p}") for code in ("photo_time", "photo_location", "photo_reuse") for p in "abcd"],
        ("photo_duplicate_in_visit", None),
        ("signature_distinct", None),
        *[("signature_reuse", f"signature.{p}") for p in "abcd"],
    ]
]


class _Member:
    schooling = "小学"
    name = "某某"


def _assessment(rng: random.Random) -> dict:
    indicators = [
        {"code": c, "label_zh": c, "label_en": c, "passed": rng.random() > 0.08, "detail": ""}
        for c in INDICATORS
    ]
    income = next(i for i in indicators if i["code"] == "income")
    return {
        "indicators": indicators,
        "per_capita_income": round(rng.uniform(3000, 12000), 2),
        "threshold": 4500.0,
        "income_passed": income["passed"],
        "all_passed": all(i["passed"] for i in indicators),
        "satisfaction": rng.choice(["satisfied"] * 6 + ["basically_satisfied"] * 3 + ["dissatisfied"]),
    }


def generate_county(
    villages: list[str], start: int, count: int, rng: random.Random, visited_share: float, slim: bool = False
) -> list[tuple[Kind, Collection, list[list[dict]]]]:
    """Households `start`..`start+count` spread over the villages, their visits, events and problems, in
    insert batches, each batch's tallies claimed under one operation.
    `slim`: households without members, visits with only what a report counts (state, area, times), so the
    embedded server stores them ~2x faster; what the report counts is the same."""
    stamp = datetime.now(UTC)
    households, visits, problems, events = [], [], [], []
    members = [_Member(), _Member()]
    paths = {village: build_area(village, "").path for village in villages}
    for n in range(start, start + count):
        village = villages[n % len(villages)]
        path = paths[village]
        hid = ObjectId()
        household = {
            "_id": hid,
            "number": f"{village}{n:07d}",
            "village_code": village,
            "area_path": path,
            "head_name": "王建国",
            "id_number": f"371525198001{n % 10**6:06d}",
            "phone": "13800000000",
            "address": f"{n}号",
            "lat": 36.4 + rng.uniform(0, 0.2),
            "lon": 115.4 + rng.uniform(0, 0.2),
            "category": "with_labour",
            "poverty_causes": ["因病"],
            "members": [
                {
                    "name": "王建国",
                    "relation": "户主",
                    "id_number": "371525198001010011",
                    "schooling": "小学",
                },
                {
                    "name": "王秀英",
                    "relation": "配偶",
                    "id_number": "371525198201010022",
                    "schooling": "初中",
                },
            ],
            "helper_id": str(ObjectId()) if rng.random() < 0.9 else None,
            "status": "registered",
            "poverty_status": rng.choice(POVERTY),
            "version": 1,
            "created_at": stamp,
            "updated_at": stamp,
        }
        if rng.random() < visited_share:
            state = rng.choice(STATES)
            vid = ObjectId()
            assessment = {} if state == "submitted" else _assessment(rng)
            started = stamp - timedelta(days=rng.uniform(1, 30))
            household |= {
                "latest_visit_id": str(vid),
                "status": HOUSEHOLD_STATUS[state],
                "latest_assessment": assessment,
                "satisfaction": {
                    "answer": assessment.get("satisfaction"),
                    "visit_id": str(vid),
                    "at": started,
                }
                if assessment
                else {},
            }
            visits.append(
                {
                    "_id": vid,
                    "instance_id": str(ObjectId()) + str(n),
                    "content_digest": "0" * 64,
                    "form_id": "household_visit",
                    "form_version": 1,
                    "household_id": str(hid),
                    "household_number": household["number"],
                    "area_path": path,
                    "cadre_id": str(ObjectId()),
                    "cadre": "cadre",
                    "started_at": started,
                    "ended_at": started + timedelta(minutes=40),
                    "lat": household["lat"],
                    "lon": household["lon"],
                    "accuracy_m": 10.0,
                    "answers": {} if slim else sample_answers(type("H", (), {"members": members})(), rng),
                    "state": state,
                    "expected_slots": [f"photo.{p}" for p in "abcd"] + [f"signature.{p}" for p in "abcd"],
                    "checks": [] if state == "submitted" else CHECKS,
                    "assessment": assessment,
                    "history": [{"at": started, "state": "receiving", "actor": "cadre", "role": "cadre"}],
                    "submitted_at": started,
                    "queued_at": started,
                    "created_at": started,
                    "updated_at": started,
                }
            )
            if rng.random() < 0.03:
                problems.append(
                    {
                        "key": f"check:{vid}:photo_time",
                        "area_path": path,
                        "household_id": str(hid),
                        "visit_id": str(vid),
                        "source": "check",
                        "code": "photo_time",
                        "problem": "照片拍摄时间不在走访时段内",
                        "created_by": "checks",
                        "status": rng.choice(["open", "closed"]),
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                )
        if rng.random() < EVENTS_PER_HOUSEHOLD:
            event = rng.choice(["lift_out", "lift_out", "monitor", "assist", "relapse"])
            events.append(
                {
                    "household_id": str(hid),
                    "area_path": path,
                    "event": event,
                    "from_status": "poor",
                    "to_status": household["poverty_status"],
                    "actor_id": "x",
                    "actor": "county",
                    "role": "supervisor",
                    "at": stamp,
                    "year": stamp.year,
                }
            )
        if slim:
            household["members"] = []
            if visits and visits[-1]["household_id"] == str(hid):
                for field in ("checks", "history", "expected_slots", "assessment", "content_digest"):
                    visits[-1].pop(field)
        households.append(household)
    size = BATCH * 5 if slim else BATCH  # the server stores larger batches faster
    loads = []
    for kind, document, docs in (
        (HOUSEHOLDS, Household, households),
        (POVERTY_EVENTS, PovertyEvent, events),
        (VISITS, Visit, visits),
        (ITEMS, RectificationItem, problems),
    ):
        batches = []
        for i in range(0, len(docs), size):
            op = new_op(kind)
            batches.append([stamp_new(kind, d, op) for d in docs[i : i + size]])
        loads.append((kind, document._get_collection(), batches))
    return loads


def insert_generated(loads: list[tuple[Kind, Collection, list[list[dict]]]]) -> float:
    """Insert what `generate_county` made, each batch then added to the counters; returns seconds."""
    began = time.perf_counter()
    for kind, collection, batches in loads:
        for batch in batches:
            collection.insert_many(batch, ordered=False)
            finish(kind, batch[0][PENDING]["op"], batch)
    return time.perf_counter() - began


def load_county(villages: list[str], start: int, end: int, rng: random.Random, args) -> tuple[float, int]:
    """Households `start`..`end` in chunks, the next chunk generated while this one is inserted (the
    server and this process each have a core); returns (seconds spent inserting, visits inserted)."""

    def generate(at: int):
        count = min(CHUNK, end - at)
        return count, generate_county(villages, at, count, rng, args.visited, at >= args.slim_after)

    inserting, visits = 0.0, 0
    with ThreadPoolExecutor(1) as pool:  # one generator thread: the rng's sequence stays the same
        upcoming = pool.submit(generate, start)
        at = start
        while at < end:
            count, loads = upcoming.result()
            at += count
            if at < end:
                upcoming = pool.submit(generate, at)
            inserting += insert_generated(loads)
            visits += sum(len(b) for kind, _, batches in loads if kind is VISITS for b in batches)
    return inserting, visits


def drop_secondary_indexes() -> list[str]:
    """Drop every index but `_id` on the loaded collections, as a bulk load does; returns their names."""
    dropped = []
    for document in LOADED:
        collection = document._get_collection()
        for name in collection.index_information():
            if name != "_id_":
                collection.drop_index(name)
                dropped.append(f"{collection.name}.{name}")
    return dropped


def bare_count(code: str) -> int:
    rows = list(
        Household._get_collection().aggregate(
            [{"$match": {"area_path": code}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
        )
    )
    return rows[0]["n"] if rows else 0


def timed(fn, runs: int) -> tuple[float, list[float], object]:
    """(median seconds, every run's seconds, the last run's result) of `runs` calls of `fn`."""
    seconds, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), seconds, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="households, cumulative")
    parser.add_argument("--runs", default="5,5,5", help="timed runs per size (one number, or one per size)")
    parser.add_argument(
        "--recount-max",
        type=int,
        default=10000,
        help="time the pipelines' recount up to this many households",
    )
    parser.add_argument(
        "--bare-max",
        type=int,
        default=100000,
        help="time the bare scan up to this many households (1M: ~160 s, a third of the run)",
    )
    parser.add_argument(
        "--breakdown-max", type=int, default=10000, help="time each pipeline alone up to this many households"
    )
    parser.add_argument("--visited", type=float, default=0.8, help="share of households with a visit")
    parser.add_argument(
        "--slim-after",
        type=int,
        default=10000,
        help="households past this many are slim: no members, visits with only what a report counts",
    )
    parser.add_argument(
        "--keep-indexes", action="store_true", help="load with every index in place (hours for 1M)"
    )
    args = parser.parse_args()
    stop_on_sigterm()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    runs = [int(x) for x in args.runs.split(",") if x]
    runs = runs * len(sizes) if len(runs) == 1 else runs
    rng = random.Random(11)
    rows = []
    run_began = time.perf_counter()
    flags = () if args.keep_indexes else ("--standalone",)
    with Stack("bench-reports", mongo_flags=flags) as stack:
        db.connect_for_batch(stack.app.config["DOORSTEP"])  # the bare scan and the recount take minutes
        county = seed_county(stack.app, towns=10, villages_per_town=10, households_per_village=0)
        code = county.county_code
        dropped = []
        if not args.keep_indexes:
            with stack.app.app_context():
                dropped = drop_secondary_indexes()
            print(f"bulk load: {len(dropped)} secondary indexes dropped", flush=True)
        client = stack.app.test_client()
        supervisor = county.logins["supervisor"].username
        token = client.post("/api/v1/auth/token", json={"username": supervisor, "password": PASSWORD}).json
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        what = "GET /api/v1/reports/verification (area counters)"

        def report():
            resp = client.get(f"/api/v1/reports/verification?area={code}", headers=headers)
            if resp.status_code != 200:
                raise RuntimeError(f"report {resp.status_code}: {resp.json}")
            return resp.json

        stored, visits = 0, 0
        for size, n_runs in zip(sizes, runs, strict=True):
            with stack.app.app_context():
                if size > stored:
                    print(f"inserting {size - stored} households with visits ...", flush=True)
                    began = time.perf_counter()
                    inserting, added = load_county(county.villages, stored, size, rng, args)
                    visits += added
                    stored = size
                    took = time.perf_counter() - began
                    print(f"  {took:.1f}s, {inserting:.1f}s of it inserting ({added} visits)", flush=True)
                if not rows:
                    report()  # warm-up once: connections, code paths
                median, all_runs, body = timed(report, n_runs)
                bare_median = None
                if size <= args.bare_max:
                    bare_median, _, counted = timed(lambda: bare_count(code), 3 if size < 10**6 else 1)
                    assert counted == stored, (counted, stored)
                area = verification.Area.objects(code=code).first()
                recount_median = None
                if size <= args.recount_max:
                    began = time.perf_counter()
                    recounted = verification.recount_by_child(area, body["year"])
                    recount_median = time.perf_counter() - began
                    children = list(verification.Area.objects.children_of(code))
                    counted = verification.counters_by_child(area, children)
                    for key in counted.keys() | recounted.keys():
                        have = verification.row_figures(counted.get(key), body["year"])
                        assert have == verification.row_figures(recounted.get(key), body["year"]), key
                pipelines = {}
                if size <= args.breakdown_max:
                    depth = len(area.path)
                    for name, doc, pipeline in (
                        ("households", Household, verification.household_pipeline),
                        ("indicators", Household, verification.indicator_pipeline),
                        ("visits", Visit, verification.visit_pipeline),
                        ("problems", RectificationItem, verification.problem_pipeline),
                    ):
                        t, _, _ = timed(
                            lambda d=doc, p=pipeline, k=depth: list(d.objects.aggregate(p(code, k))), 1
                        )
                        pipelines[name] = round(1000 * t)
                    year = datetime.now(UTC).year
                    for name, doc, pipeline in (
                        ("lifecycle_statuses", Household, lifecycle.status_pipeline(code, depth)),
                        ("lifecycle_events", PovertyEvent, lifecycle.event_pipeline(code, depth, year)),
                    ):
                        t, _, _ = timed(lambda d=doc, p=pipeline: list(d.objects.aggregate(p)), 1)
                        pipelines[name] = round(1000 * t)
            total = body.get("total", {}) if isinstance(body, dict) else {}
            row = {
                "households": stored,
                "visits": visits,
                "runs": n_runs,
                "report_median_ms": round(1000 * median, 1),
                "report_runs_ms": [round(1000 * s, 1) for s in all_runs],
                "bare_group_median_ms": round(1000 * bare_median, 1) if bare_median else None,
                "ratio": round(median / bare_median, 4) if bare_median else None,
                "recount_ms": round(1000 * recount_median, 1) if recount_median else None,
                "pipelines_ms": pipelines,
                "report_total_row": {
                    k: total.get(k) for k in ("households", "visited", "coverage", "approved")
                },
            }
            rows.append(row)
            print(
                f"{stored:>7} households: report median {row['report_median_ms']} ms over {n_runs} runs | "
                f"bare $match+$group {row['bare_group_median_ms']} ms | ratio {row['ratio']}x | "
                f"pipelines' recount {row['recount_ms']} ms | "
                f"pipelines {pipelines}",
                flush=True,
            )
        first = rows[0]["report_median_ms"]
        for row in rows:
            row["vs_smallest"] = round(row["report_median_ms"] / first, 2)
        print("report time vs the smallest size:", [row["vs_smallest"] for row in rows])
        whole = time.perf_counter() - run_began
        print(f"whole run: {whole:.0f} s")
        loaded = {"secondary_indexes_dropped": dropped, "whole_run_seconds": round(whole)}
        path = write_results(
            "reports", {"measured": what, "county": code, "villages": 100, "load": loaded, "sizes": rows}
        )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
