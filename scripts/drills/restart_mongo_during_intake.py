"""Drill: the MongoDB-wire server goes away and comes back while phones are submitting.

    .venv/bin/python -m scripts.drills.restart_mongo_during_intake            # SIGTERM, restart
    .venv/bin/python -m scripts.drills.restart_mongo_during_intake --kill     # kill -9, restart

Client threads submit visits step by step (POST JSON, eight PUTs) to a real gunicorn server. Once a few
visits are through, the database server is stopped, left down for `--down` seconds (longer than the
app's 3 s server-selection timeout, so requests fail) and started again on the same port and data. Clients
behave like the phone app: on a 5xx or a connection error they wait and send the same request again (same
instance_id, same bytes), up to a deadline. Afterwards every visit the API acknowledged (2xx) must be in
the database with every attachment it acknowledged (and the object in S3), each instance_id once, and
every visit must have reached `submitted`.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import sys
import threading
import time
from collections import Counter

from app.audit.models import AuditEvent
from app.households.models import Household
from app.visits.models import Attachment, Visit
from devkit.answers import visit_json
from devkit.stack import (
    SLOTS,
    Http,
    Response,
    Stack,
    evidence,
    login,
    seed_county,
    stop_on_sigterm,
    upload_headers,
    verdict,
)


class Phone:
    """Retries like the app: 5xx or no answer -> wait, same request again; 4xx -> give up."""

    def __init__(self, base: str, deadline: float, stats: Counter, lock: threading.Lock):
        self.http = Http(base, timeout=30)
        self.deadline, self.stats, self.lock = deadline, stats, lock

    def send(self, method: str, path: str, **kwargs) -> Response:
        attempt = 0
        while True:
            try:
                resp = self.http.request(method, path, **kwargs)
                if resp.status < 500:
                    return resp
                outcome = f"http {resp.status}"
            except (OSError, http.client.HTTPException) as err:
                outcome = type(err).__name__
            attempt += 1
            with self.lock:
                self.stats["retries"] += 1
                self.stats[f"retry after {outcome}"] += 1
            if time.monotonic() > self.deadline:
                raise TimeoutError(f"{method} {path}: still failing after {attempt} attempts ({outcome})")
            time.sleep(min(0.25 * attempt, 2.0))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--visits", type=int, default=24)
    parser.add_argument("--kill", action="store_true", help="kill -9 the server instead of SIGTERM")
    parser.add_argument("--down", type=float, default=6, help="seconds the server stays down")
    parser.add_argument("--after", type=int, default=3, help="acknowledged visits before the outage")
    parser.add_argument("--deadline", type=float, default=300, help="seconds the clients keep retrying")
    args = parser.parse_args()
    stop_on_sigterm()
    failures: list[str] = []
    stats: Counter = Counter()
    lock = threading.Lock()
    acknowledged: dict[str, dict] = {}  # instance_id -> {"visit": id, "slots": set(), "state": ...}
    errors: list[str] = []
    with Stack("drill-mongo-restart") as stack:
        villages = 4
        county = seed_county(
            stack.app,
            towns=2,
            villages_per_town=villages // 2,
            households_per_village=-(-args.visits // villages),
        )
        households = county.households[: args.visits]
        sets = [evidence(households[0], 700 + i, size=(800, 600)) for i in range(4)]
        api = stack.start_api()
        tokens = {v: login(api.base, u.username) for v, u in county.helpers.items()}
        deadline = time.monotonic() + args.deadline
        todo = list(enumerate(households))
        done_visits = threading.Semaphore(0)

        def client() -> None:
            phone = Phone(api.base, deadline, stats, lock)
            while True:
                with lock:
                    if not todo:
                        return
                    i, household = todo.pop(0)
                headers = tokens[household.village_code]
                body = visit_json(household, seed=i)
                files = sets[i % len(sets)]
                try:
                    resp = phone.send("POST", "/api/v1/visits", json_body=body, headers=headers)
                    if resp.status not in (200, 201):
                        raise RuntimeError(f"POST answered {resp.status} {resp.json()}")
                    record = {"visit": resp.json()["id"], "slots": set(), "state": resp.json()["state"]}
                    with lock:
                        acknowledged[body["instance_id"]] = record
                    for slot in SLOTS:
                        data = files[slot]
                        resp = phone.send(
                            "PUT",
                            f"/api/v1/visits/{record['visit']}/attachments/{slot}",
                            body=data,
                            headers={**headers, **upload_headers(data)},
                        )
                        if resp.status not in (200, 201):
                            raise RuntimeError(f"PUT {slot} answered {resp.status} {resp.json()}")
                        with lock:
                            record["slots"].add(slot)
                            record["state"] = resp.json()["state"]
                except Exception as err:  # noqa: BLE001 - reported in the verdict
                    with lock:
                        errors.append(f"{household.number}: {err!r}")
                finally:
                    done_visits.release()

        threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for _ in range(args.after):
            done_visits.acquire()
        server = stack.services.servers["mongodb"]
        began = time.monotonic()
        if args.kill:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait(10)
        else:
            server.stop()
        time.sleep(args.down)
        stack.services.restart("mongodb")
        outage = time.monotonic() - began
        how = "kill -9" if args.kill else "SIGTERM"
        with lock:
            in_flight = len(acknowledged)
        print(
            f"MongoDB-wire {how} + restart on the same port: {outage:.1f}s ({in_flight} visits begun)",
            flush=True,
        )
        for t in threads:
            t.join()

        with stack.app.app_context():
            for instance_id, record in acknowledged.items():
                visits = Visit.objects(instance_id=instance_id)
                if visits.count() != 1:
                    failures.append(f"{instance_id}: {visits.count()} visits stored")
                    continue
                visit = visits.first()
                stored = {a.slot: a for a in Attachment.objects(visit_id=str(visit.id))}
                missing = record["slots"] - set(stored)
                if missing:
                    failures.append(f"visit {visit.id}: acknowledged slots missing {sorted(missing)}")
                store = stack.app.extensions["store"]
                lost = [s for s in record["slots"] & set(stored) if not store.exists(stored[s].key)]
                if lost:
                    failures.append(f"visit {visit.id}: objects missing in S3 for {sorted(lost)}")
                if len(record["slots"]) == len(SLOTS) and visit.state != "submitted":
                    failures.append(f"visit {visit.id}: all slots acknowledged but state {visit.state}")
            total = Visit.objects.count()
            states = Counter(v.state for v in Visit.objects.only("state"))
            # side effects written after the acknowledging write: reported, not failed on (the sweeper
            # re-queues unqueued visits; the others are worth knowing about)
            submitted = list(Visit.objects(state="submitted"))
            side = {
                "not queued (sweeper's work)": sum(v.queued_at is None for v in submitted),
                "household not pointing at its visit": sum(
                    Household.objects(id=v.household_id).only("latest_visit_id").first().latest_visit_id
                    != str(v.id)
                    for v in submitted
                ),
                "no visit.submit audit entry": sum(
                    not AuditEvent.objects(action="visit.submit", object_id=str(v.id)).count()
                    for v in submitted
                ),
            }
    complete = sum(len(r["slots"]) == len(SLOTS) for r in acknowledged.values())
    print(
        f"visits acknowledged: {len(acknowledged)}; complete: {complete}; stored: {total}; "
        f"states: {dict(states)}",
        flush=True,
    )
    print(
        f"client retries: {stats['retries']} ({ {k: v for k, v in stats.items() if k != 'retries'} })",
        flush=True,
    )
    print(f"after-acknowledgement side effects missing: {side}", flush=True)
    if errors:
        failures.append(f"{len(errors)} visits gave up, e.g. {errors[0]}")
    if complete != args.visits:
        failures.append(f"{complete} of {args.visits} visits completed")
    if total != len(acknowledged):
        failures.append(f"{total} visits stored for {len(acknowledged)} instance_ids")
    return verdict(
        failures,
        f"MongoDB {how} + restart ({outage:.1f}s) during intake: all {complete} visits acknowledged and "
        f"stored with every attachment, no duplicates; {stats['retries']} client retries",
    )


if __name__ == "__main__":
    sys.exit(main())
