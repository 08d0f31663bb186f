"""Drill: many phones' retries of one submission arrive at once.

    .venv/bin/python -m scripts.drills.concurrent_identical [--clients 100]

`--clients` threads each open a connection to a real gunicorn server (2 workers x 4 threads), wait on a
barrier, then POST the identical visit at the same moment. Expected: exactly one visit with that
instance_id, one 201 and every other answer 200 with the same visit id, one `visit.create` audit entry.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter

from app.audit.models import AuditEvent
from app.visits.models import Visit
from devkit.answers import visit_json
from devkit.stack import Http, Stack, login, seed_county, stop_on_sigterm, verdict


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    stop_on_sigterm()
    with Stack("drill-identical") as stack:
        county = seed_county(stack.app, towns=1, villages_per_town=1, households_per_village=1)
        household = county.households[0]
        api = stack.start_api(workers=args.workers, threads=args.threads)
        headers = login(api.base, county.helpers[household.village_code].username)
        body = visit_json(household, seed=3)
        barrier = threading.Barrier(args.clients)
        answers: list[tuple[int, str | None]] = []
        errors: list[str] = []
        lock = threading.Lock()

        def fire() -> None:
            http = Http(api.base, timeout=120)
            try:
                http.request("GET", "/healthz")  # connect (and warm the keep-alive) before the barrier
                barrier.wait(timeout=60)
                resp = http.request("POST", "/api/v1/visits", json_body=body, headers=headers)
                with lock:
                    answers.append((resp.status, resp.json().get("id")))
            except Exception as err:  # noqa: BLE001 - reported in the verdict
                with lock:
                    errors.append(repr(err))
            finally:
                http.close()

        threads = [threading.Thread(target=fire) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        statuses = Counter(status for status, _ in answers)
        ids = {visit_id for _, visit_id in answers if visit_id}
        with stack.app.app_context():
            stored = Visit.objects(instance_id=body["instance_id"]).count()
            audited = AuditEvent.objects(action="visit.create").count()
        print(
            f"answers: {dict(sorted(statuses.items()))}; distinct visit ids: {len(ids)}; "
            f"errors: {len(errors)}"
        )
        print(f"visits stored with that instance_id: {stored}; visit.create audit entries: {audited}")

    failures = []
    if errors:
        failures.append(f"{len(errors)} client errors, e.g. {errors[0]}")
    if statuses != Counter({201: 1, 200: args.clients - 1}):
        failures.append(f"expected 1x201 + {args.clients - 1}x200, got {dict(statuses)}")
    if len(ids) != 1:
        failures.append(f"{len(ids)} distinct visit ids in the answers")
    if stored != 1:
        failures.append(f"{stored} visits stored")
    if audited != 1:
        failures.append(f"{audited} visit.create audit entries")
    return verdict(
        failures,
        f"{args.clients} concurrent identical POST /visits -> 1x201 + {args.clients - 1}x200, one visit, "
        "one audit entry",
    )


if __name__ == "__main__":
    sys.exit(main())
