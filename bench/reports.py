"""Verification report latency as a county grows: 10k, 100k, 1M households with their visits.

    .venv/bin/python -m bench.reports                      # 10k, 100k, 1M (about ten minutes)
    .venv/bin/python -m bench.reports --sizes 1000,10000 --runs 5

Households (with members, a helper, a latest assessment for the visited ones), one visit per visited
household (states spread over the review pipeline) and a few rectification items are inserted in bulk into
one county of 10 towns x 10 villages, their tallies claimed in the insert and added to the area counters
as a household import does. Each size times GET /api/v1/reports/verification?area=<county> as the county
supervisor (in-process through the Flask test client: routing, auth, reading the counters, serialisation;
no HTTP server), the median of several runs, against a bare `$match + $group` count over the same
households, and (up to --recount-max) against the previous report: the aggregation pipelines' recount.
Households also carry a poverty status and a satisfaction answer, and ~0.3 lifecycle events each this
year. Every size checks that the counters equal that recount.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from app import db
from app.areas.service import build_area
from app.households.models import Household, PovertyEvent
from app.households.tally import HOUSEHOLDS, POVERTY_EVENTS
from app.rectification.models import RectificationItem
from app.rectification.tally import ITEMS
from app.reports import lifecycle, verification
from app.tallies.settle import finish, new_op, stamp_new
from app.visits.models import Visit
from app.visits.tally import VISITS
from bench.common import write_results
from devkit.answers import sample_answers
from devkit.stack import PASSWORD, Stack, seed_county, stop_on_sigterm

BATCH = 1000

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


def insert_county(
    villages: list[str], start: int, count: int, rng: random.Random, visited_share: float, slim: bool = False
) -> dict:
    """Insert households `start`..`start+count` spread over the villages, their visits and problems.
    `slim`: without members and answers (what the report counts is the same; inserts are faster)."""
    stamp = datetime.now(UTC)
    households, visits, problems, events = [], [], [], []
    members = [_Member(), _Member()]
    for n in range(start, start + count):
        village = villages[n % len(villages)]
        path = build_area(village, "").path
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
        households.append(household)
    began = time.perf_counter()
    for kind, collection, docs in (
        (HOUSEHOLDS, Household._get_collection(), households),
        (POVERTY_EVENTS, PovertyEvent._get_collection(), events),
        (VISITS, Visit._get_collection(), visits),
        (ITEMS, RectificationItem._get_collection(), problems),
    ):
        for i in range(0, len(docs), BATCH):
            op = new_op(kind)
            batch = [stamp_new(kind, d, op) for d in docs[i : i + BATCH]]
            collection.insert_many(batch, ordered=False)
            finish(kind, op, batch)
    return {"seconds": time.perf_counter() - began, "visits": len(visits), "problems": len(problems)}


def bare_count(code: str) -> int:
    rows = list(
        Household._get_collection().aggregate(
            [{"$match": {"area_path": code}}, {"$group": {"_id": None, "n": {"$sum": 1}}}]
        )
    )
    return rows[0]["n"] if rows else 0


def timed_report(fn, runs: int) -> tuple[float, list[float], dict]:
    seconds, body = [], {}
    for _ in range(runs):
        began = time.perf_counter()
        body = fn()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), seconds, body


def timed(fn, runs: int) -> tuple[float, list[float]]:
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds), seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000", help="households, cumulative")
    parser.add_argument("--runs", default="5,5,5", help="timed runs per size (one number, or one per size)")
    parser.add_argument(
        "--recount-max",
        type=int,
        default=100000,
        help="time the pipelines' recount up to this many households",
    )
    parser.add_argument(
        "--breakdown-max", type=int, default=10000, help="time each pipeline alone up to this many households"
    )
    parser.add_argument("--visited", type=float, default=0.8, help="share of households with a visit")
    parser.add_argument(
        "--slim-after", type=int, default=100000, help="households past this many have no members or answers"
    )
    args = parser.parse_args()
    stop_on_sigterm()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    runs = [int(x) for x in args.runs.split(",") if x]
    runs = runs * len(sizes) if len(runs) == 1 else runs
    rng = random.Random(11)
    rows = []
    with Stack("bench-reports") as stack:
        db.connect_for_batch(stack.app.config["DOORSTEP"])  # the bare scan and the recount take minutes
        county = seed_county(stack.app, towns=10, villages_per_town=10, households_per_village=0)
        code = county.county_code
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
                    slim = stored >= args.slim_after
                    inserted = insert_county(county.villages, stored, size - stored, rng, args.visited, slim)
                    visits += inserted["visits"]
                    stored = size
                    print(f"  {inserted['seconds']:.1f}s ({inserted['visits']} visits)", flush=True)
                if not rows:
                    report()  # warm-up once: connections, code paths
                median, all_runs, body = timed_report(report, n_runs)
                bare_median, _ = timed(lambda: bare_count(code), 3 if size < 10**6 else 1)
                assert bare_count(code) == stored
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
                        t, _ = timed(
                            lambda d=doc, p=pipeline, k=depth: list(d.objects.aggregate(p(code, k))), 1
                        )
                        pipelines[name] = round(1000 * t)
                    year = datetime.now(UTC).year
                    for name, doc, pipeline in (
                        ("lifecycle_statuses", Household, lifecycle.status_pipeline(code, depth)),
                        ("lifecycle_events", PovertyEvent, lifecycle.event_pipeline(code, depth, year)),
                    ):
                        t, _ = timed(lambda d=doc, p=pipeline: list(d.objects.aggregate(p)), 1)
                        pipelines[name] = round(1000 * t)
            total = body.get("total", {}) if isinstance(body, dict) else {}
            row = {
                "households": stored,
                "visits": visits,
                "runs": n_runs,
                "report_median_ms": round(1000 * median, 1),
                "report_runs_ms": [round(1000 * s, 1) for s in all_runs],
                "bare_group_median_ms": round(1000 * bare_median, 1),
                "ratio": round(median / bare_median, 4),
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
        path = write_results("reports", {"measured": what, "county": code, "villages": 100, "sizes": rows})
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
