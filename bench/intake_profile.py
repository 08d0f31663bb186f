"""Where one visit's intake requests spend their time, in-process: MongoDB commands per request and a
cProfile of the app's functions (Flask test client; no HTTP server, so only the app's own work).

Three ways a phone sends a visit are counted: step by step (POST /visits, then one PUT per file: weak
connections), one multipart POST /visits with every file, and one OpenRosa POST (ODK Collect).

    .venv/bin/python -m bench.intake_profile [--visits 10]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import pstats
import sys
from collections import Counter

from pymongo import monitoring
from urllib3 import encode_multipart_formdata

from app.openrosa.xform import xform_for
from bench.common import write_results
from bench.openrosa import instance_xml
from devkit.answers import visit_json
from devkit.stack import (
    PASSWORD,
    SLOTS,
    Stack,
    evidence,
    seed_county,
    stop_on_sigterm,
    upload_headers,
)


class CommandCounter(monitoring.CommandListener):
    """Counts the MongoDB commands this process sends, by name."""

    def __init__(self):
        self.counts: Counter = Counter()

    def started(self, event):
        collection = event.command.get(event.command_name)
        where = f" {collection}" if isinstance(collection, str) else ""
        self.counts[f"{event.command_name}{where}"] += 1

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=10)
    parser.add_argument("--top", type=int, default=25, help="app functions to list")
    args = parser.parse_args()
    stop_on_sigterm()
    counter = CommandCounter()
    monitoring.register(counter)  # before the app's MongoClient is created
    with Stack("bench-intake-profile") as stack:
        county = seed_county(stack.app, towns=1, villages_per_town=1, households_per_village=args.visits + 3)
        households = county.households
        files = evidence(households[0], 5)
        client = stack.app.test_client()
        cadre = county.helpers[households[0].village_code].username
        token = client.post("/api/v1/auth/token", json={"username": cadre, "password": PASSWORD}).json
        headers = {"Authorization": f"Bearer {token['access_token']}"}

        def one(household, per_request: list | None = None) -> None:
            counter.counts.clear()
            visit = client.post("/api/v1/visits", json=visit_json(household), headers=headers).json
            if per_request is not None:
                per_request.append(("POST /visits", dict(counter.counts)))
            for slot in SLOTS:
                counter.counts.clear()
                resp = client.put(
                    f"/api/v1/visits/{visit['id']}/attachments/{slot}",
                    data=files[slot],
                    headers={**headers, **upload_headers(files[slot])},
                )
                if resp.status_code != 201:
                    raise RuntimeError(f"PUT {slot}: {resp.status_code} {resp.json}")
                if per_request is not None:
                    per_request.append((f"PUT {slot}", dict(counter.counts)))

        one(households[-1])  # warm-up
        per_request: list = []
        one(households[0], per_request)
        total = 0
        for name, counts in per_request:
            total += sum(counts.values())
            print(f"{name:<40} {sum(counts.values()):>3} MongoDB commands {counts}")
        print(f"{'one visit, step by step':<40} {total:>3} MongoDB commands")

        def one_shot(label: str, path: str, body, content_type: str, extra: dict) -> int:
            counter.counts.clear()
            resp = client.post(path, data=body, headers={**extra, "Content-Type": content_type})
            if resp.status_code != 201:
                raise RuntimeError(f"{label}: {resp.status_code} {resp.data[:300]!r}")
            count = sum(counter.counts.values())
            print(f"{label:<40} {count:>3} MongoDB commands {dict(counter.counts)}")
            return count

        fields = {"visit": json.dumps(visit_json(households[-2]))}
        fields |= {slot: (slot, body, "application/octet-stream") for slot, body in files.items()}
        multipart = one_shot(
            "one visit, multipart POST /visits", "/api/v1/visits", *encode_multipart_formdata(fields), headers
        )
        with stack.app.app_context():
            form = stack.app.extensions["forms"].get("household_visit")
            xform = xform_for(form)
        names = {
            slot: slot.replace(".", "_") + (".png" if b[:4] == b"\x89PNG" else ".jpg")
            for slot, b in files.items()
        }
        xml = instance_xml(form, xform, visit_json(households[-3]), names)
        parts = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
        parts |= {names[s]: (names[s], b, "application/octet-stream") for s, b in files.items()}
        basic = {"Authorization": "Basic " + base64.b64encode(f"{cadre}:{PASSWORD}".encode()).decode()}
        client.head("/openrosa/submission", headers=basic)  # Collect's HEAD: the credentials are checked once
        openrosa = one_shot(
            "one visit, OpenRosa POST", "/openrosa/submission", *encode_multipart_formdata(parts),
            {**basic, "X-OpenRosa-Version": "1.0"},
        )  # fmt: skip

        profile = cProfile.Profile()
        profile.enable()
        for household in households[1 : args.visits]:
            one(household)
        profile.disable()
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
        stats.print_stats(r"/app/", args.top)
        print(out.getvalue())
        path = write_results(
            "intake_profile",
            {
                "mongodb_commands_per_request": per_request,
                "mongodb_commands_per_visit": total,
                "mongodb_commands_per_visit_multipart": multipart,
                "mongodb_commands_per_visit_openrosa": openrosa,
                "profile_top_app_functions": out.getvalue().splitlines()[-(args.top + 2) :],
            },
        )
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
