"""The web console's pages against the JSON API for the same data, with 2,000 visits in the queue.

    .venv/bin/python -m bench.console [--visits 2000] [--runs 30]

One town with 2,000 households and one visit each, all waiting for review (70 % checked, 30 %
has_issues with a failed check on a slot), each with its eight attachment records. The same verifier
asks, in the same process and alternating request by request:

- queue, first page: GET /console/queue vs GET /api/v1/review/queue (50 per page each);
- queue, deep page: the console's keyset page starting at the 1,000th visit vs the API's page 21;
- one visit: GET /console/visits/{id} vs GET /api/v1/visits/{id}, the same visits.

The console's queue page also counts the queue per state and per failed check and lists the villages,
which the API does not; its visit page also loads the household, the matched files, the neighbours in
the queue and the history. p50/p95 in ms and the console/API ratios go to bench/results/console.json.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from app.visits.models import Attachment, Visit
from bench.common import summary_ms, write_results
from devkit.generate import SLOTS
from devkit.stack import PASSWORD, Stack, seed_county, stop_on_sigterm

PAGE = 50


def insert_queue(households: list, cadre_of: dict, count: int, rng: random.Random) -> list[str]:
    """`count` visits waiting for review, one per household, oldest first, with attachment records."""
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    visits, attachments = [], []
    for n, household in enumerate(households[:count]):
        vid = ObjectId()
        at = start + timedelta(minutes=n)
        issues = rng.random() < 0.3
        checks = [
            {"code": "answers_valid", "passed": True, "severity": "info", "detail": "ok"},
            {"code": "evidence_complete", "passed": True, "severity": "info", "detail": "ok"},
        ]
        if issues:
            checks.append(
                {
                    "code": "photo_reuse",
                    "passed": False,
                    "severity": "error",
                    "slot": "photo.stove",
                    "detail": "reused",
                    "data": {"other_visit_id": str(ObjectId()), "other_slot": "photo.stove", "distance": 0},
                }
            )
        cadre = cadre_of[household.village_code]
        visits.append(
            {
                "_id": vid,
                "instance_id": str(vid),
                "content_digest": str(vid),
                "form_id": "household_visit",
                "form_version": 1,
                "household_id": str(household.id),
                "household_number": household.number,
                "area_path": household.area_path,
                "cadre_id": str(cadre.id),
                "cadre": cadre.username,
                "started_at": at - timedelta(minutes=45),
                "ended_at": at - timedelta(minutes=5),
                "lat": household.lat,
                "lon": household.lon,
                "accuracy_m": 10.0,
                "answers": {"record_check": {"record_matches": True}, "talk": {"satisfaction": "satisfied"}},
                "state": "has_issues" if issues else "checked",
                "expected_slots": list(SLOTS),
                "checks": checks,
                "assessment": {"indicators": [], "per_capita_income": 6000.0, "threshold": 4500.0},
                "review": {},
                "history": [],
                "submitted_at": at,
                "checked_at": at,
                "created_at": at,
                "updated_at": at,
            }
        )
        for slot, kind in SLOTS.items():
            key = f"bench/{vid}/{slot}"
            attachments.append(
                {
                    "visit_id": str(vid),
                    "household_id": str(household.id),
                    "area_path": household.area_path,
                    "slot": slot,
                    "kind": kind,
                    "key": key,
                    "thumbnails": {"240": key + ".t240", "1024": key + ".t1024"} if kind == "photo" else {},
                    "sha256": f"{n:08d}{slot}",
                    "size": 300_000,
                    "content_type": "image/jpeg" if kind == "photo" else "image/png",
                    "width": 1600,
                    "height": 1200,
                    "exif": {"taken_at": (at - timedelta(minutes=30)).isoformat()} if kind == "photo" else {},
                    "uploaded_by": cadre.username,
                    "uploaded_at": at,
                }
            )
    Visit._get_collection().insert_many(visits)
    for i in range(0, len(attachments), 5000):
        Attachment._get_collection().insert_many(attachments[i : i + 5000])
    for household, visit in zip(households, visits, strict=False):
        household.update(set__latest_visit_id=str(visit["_id"]), set__status=visit["state"])
    return [str(v["_id"]) for v in visits]


def timed(call) -> float:
    started = time.perf_counter()
    resp = call()
    elapsed = time.perf_counter() - started
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.request.path}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=30, help="requests per page and side")
    args = parser.parse_args()
    stop_on_sigterm()
    rng = random.Random(5)
    with Stack("bench-console") as stack:
        per_village = -(-args.visits // 4)
        county = seed_county(stack.app, towns=1, villages_per_town=4, households_per_village=per_village)
        verifier = county.logins["verifier"]
        print(f"inserting {args.visits} visits waiting for review ...", flush=True)
        ids = insert_queue(county.households, county.helpers, args.visits, rng)
        ordered = sorted(
            Visit.objects(id__in=ids).only("id", "submitted_at"), key=lambda v: (v.submitted_at, v.id)
        )

        api = stack.app.test_client()
        token = api.post(
            "/api/v1/auth/token", json={"username": verifier.username, "password": PASSWORD}
        ).json
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        web = stack.app.test_client()
        html = web.get("/console/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        login = {"username": verifier.username, "password": PASSWORD, "csrf_token": csrf}
        assert web.post("/console/login", data=login).status_code == 302

        middle = ordered[len(ordered) // 2 - 1]
        cursor = f"{round(middle.submitted_at.timestamp() * 1000)}-{middle.id}"
        deep_api_page = len(ordered) // 2 // PAGE + 1
        pages = {
            "queue_first_page": (
                lambda: web.get("/console/queue"),
                lambda: api.get(f"/api/v1/review/queue?page=1&page_size={PAGE}", headers=headers),
            ),
            "queue_deep_page": (
                lambda: web.get(f"/console/queue?after={cursor}"),
                lambda: api.get(
                    f"/api/v1/review/queue?page={deep_api_page}&page_size={PAGE}", headers=headers
                ),
            ),
        }
        sample = rng.sample(ids, min(args.runs, len(ids)))
        results = {}
        for name, (console_call, api_call) in pages.items():
            timed(console_call), timed(api_call)  # warm up
            console_s, api_s = [], []
            for _ in range(args.runs):
                console_s.append(timed(console_call))
                api_s.append(timed(api_call))
            results[name] = {"console": summary_ms(console_s), "api": summary_ms(api_s)}
            print(f"{name}: console {results[name]['console']} api {results[name]['api']}", flush=True)
        console_s, api_s = [], []
        for visit_id in sample:
            console_s.append(timed(lambda v=visit_id: web.get(f"/console/visits/{v}")))
            api_s.append(timed(lambda v=visit_id: api.get(f"/api/v1/visits/{v}", headers=headers)))
        results["visit_page"] = {"console": summary_ms(console_s), "api": summary_ms(api_s)}

    print(f"{'page':<18} {'console p50':>12} {'p95':>8} {'API p50':>9} {'p95':>8} {'ratio p50':>10}")
    for name, r in results.items():
        c, a = r["console"], r["api"]
        r["ratio_p50"] = round(c["p50"] / a["p50"], 2)
        r["ratio_p95"] = round(c["p95"] / a["p95"], 2)
        figures = f"{c['p50']:>10.1f}ms {c['p95']:>6.1f}ms {a['p50']:>7.1f}ms {a['p95']:>6.1f}ms"
        print(f"{name:<18} {figures} {r['ratio_p50']:>9.2f}x")
    path = write_results(
        "console", {"visits_in_queue": args.visits, "runs": args.runs, "page_size": PAGE, "results": results}
    )
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
