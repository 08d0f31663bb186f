"""OpenRosa submissions (as ODK Collect sends them) against the JSON multipart path, in the same run.

    .venv/bin/python -m bench.openrosa                        # 1 and 4 clients, 1600x1200 and 12 MP photos
    .venv/bin/python -m bench.openrosa --clients 4 --visits 24 --photo-sizes 1600x1200

Each visit is sent two ways, interleaved round by round on the same server (gunicorn, the app's default
Argon2 profile so that Basic authentication costs what it costs in production):
- OpenRosa: a HEAD per client, then `POST /openrosa/submission` with HTTP Basic, the instance XML as
  `xml_submission_file`, the eight images and `audit.csv` as parts named by file name. A submission larger
  than the server's X-OpenRosa-Accept-Content-Length is split into several POSTs, marked `*isIncomplete*`,
  as Collect does (the 12 MP case).
- JSON: `POST /api/v1/visits` as multipart (the visit JSON plus one part per slot) with a bearer token.
Both go through the same intake. No worker runs while measuring: these are intake rates. Then one
rq worker drains what was submitted, which gives what one worker sustains (it decodes every image,
makes thumbnails and perceptual hashes, runs the checks; ODK Central does none of that).
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import time
from datetime import timedelta
from xml.etree.ElementTree import Element, SubElement, tostring

from urllib3 import encode_multipart_formdata

from app.forms.fields import Field
from app.openrosa.api import ACCEPT_CONTENT_LENGTH
from app.openrosa.xform import xform_for
from app.visits.models import Visit
from bench.common import summary_ms, write_results
from bench.intake import run_threads
from devkit.answers import VISIT_START, visit_json
from devkit.imagegen import make_photo
from devkit.stack import PASSWORD, Http, Stack, evidence, login, seed_county, stop_on_sigterm, tree_cpu

AUDIT_CSV = b"event,node,start,end,latitude,longitude,accuracy\nform start,,1763900000000,,36.45,115.45,8\n"


def photo_set(household, seed: int, size: tuple[int, int]) -> dict[str, bytes]:
    """Four photos and four signatures; phone-size photos (12 MP) at quality 92, i.e. 2-5 MB each."""
    files = evidence(household, seed, size=size)
    if size[0] * size[1] >= 8_000_000:
        taken = VISIT_START + timedelta(minutes=10)
        for i, slot in enumerate(s for s in files if s.startswith("photo")):
            gps = (household.lat, household.lon)
            files[slot] = make_photo(
                seed * 100 + i, width=size[0], height=size[1], taken_at=taken, gps=gps, quality=92
            )
    return files


def _sizes(text: str) -> list[tuple[int, int]]:
    return [tuple(int(v) for v in s.split("x")) for s in text.split(",") if s]


def instance_xml(form, xform, visit: dict, names: dict[str, str]) -> bytes:
    """The instance Collect would send for `visit` (the JSON a phone posts), files named by `names`."""
    root = Element(form.form_id, id=form.form_id, version=xform.version_string)
    loc = visit["location"]
    for tag, text in (
        ("start", visit["started_at"]),
        ("end", visit["ended_at"]),
        ("deviceid", "collect:bench"),
        ("household", visit["household_id"]),
        ("location", f"{loc['lat']} {loc['lon']} 30 {loc['accuracy_m']}"),
    ):
        SubElement(root, tag).text = text
    _fill(root, form.fields, visit["answers"], names)
    meta = SubElement(root, "meta")
    SubElement(meta, "audit").text = "audit.csv"
    SubElement(meta, "instanceID").text = f"uuid:{visit['instance_id']}"
    return tostring(root, encoding="utf-8")


def _fill(parent: Element, fields: tuple[Field, ...], answers: dict, names: dict[str, str]) -> None:
    for f in fields:
        if f.slot:
            SubElement(parent, f.name).text = names.get(f.slot)
            continue
        value = answers.get(f.name)
        if value is None or not f.has_answer:
            continue
        if f.type == "group":
            _fill(SubElement(parent, f.name), f.fields, value, names)
        elif f.type == "repeat":
            for item in value:
                _fill(SubElement(parent, f.name), f.fields, item, names)
        elif isinstance(value, bool):
            SubElement(parent, f.name).text = "true" if value else "false"
        elif isinstance(value, list):
            SubElement(parent, f.name).text = " ".join(value)
        else:
            SubElement(parent, f.name).text = str(value)


def _split(files: dict[str, bytes], limit: int) -> list[dict[str, bytes]]:
    """Collect's split: files packed into POSTs of at most `limit` bytes (a bigger file goes alone)."""
    posts: list[dict[str, bytes]] = [{}]
    for name, body in files.items():
        if posts[-1] and sum(map(len, posts[-1].values())) + len(body) > limit:
            posts.append({})
        posts[-1][name] = body
    return posts


def openrosa_visit(base: str, item: tuple, state: dict) -> dict:
    form, xform, household, auth, files = item
    http = state.setdefault("http", Http(base))
    if "head" not in state:
        state["head"] = http.request("HEAD", "/openrosa/submission", headers=auth).status
    visit = visit_json(household)
    names = {
        slot: slot.replace(".", "_") + (".png" if b[:4] == b"\x89PNG" else ".jpg")
        for slot, b in files.items()
    }
    xml = instance_xml(form, xform, visit, names)
    parts = {names[s]: b for s, b in files.items()} | {"audit.csv": AUDIT_CSV}
    posts = _split(parts, ACCEPT_CONTENT_LENGTH)
    began, seconds = time.perf_counter(), []
    for i, post in enumerate(posts):
        fields = {"xml_submission_file": ("submission.xml", xml, "text/xml")}
        fields |= {name: (name, body, "application/octet-stream") for name, body in post.items()}
        if i < len(posts) - 1:
            fields["*isIncomplete*"] = "yes"
        body, content_type = encode_multipart_formdata(fields)
        headers = {**auth, "Content-Type": content_type, "X-OpenRosa-Version": "1.0"}
        resp = http.request("POST", "/openrosa/submission", body=body, headers=headers)
        if resp.status != 201:
            raise RuntimeError(f"OpenRosa POST {resp.status}: {resp.body[:300]!r}")
        seconds.append(resp.seconds)
    return {"visit": time.perf_counter() - began, "post": seconds}


def json_visit(base: str, item: tuple, state: dict) -> dict:
    _form, _xform, household, token, files = item
    http = state.setdefault("http", Http(base))
    fields = {"visit": json.dumps(visit_json(household))}
    fields |= {slot: (slot, body, "application/octet-stream") for slot, body in files.items()}
    body, content_type = encode_multipart_formdata(fields)
    resp = http.request("POST", "/api/v1/visits", body=body, headers={**token, "Content-Type": content_type})
    if resp.status != 201 or resp.json().get("state") != "submitted":
        raise RuntimeError(f"POST /visits {resp.status}: {resp.body[:300]!r}")
    return {"visit": resp.seconds, "post": [resp.seconds]}


def measure(clients: int, work: list, do_one, pid: int) -> dict:
    cpu = tree_cpu(pid)
    wall, results, errors = run_threads(clients, work, do_one)
    return {
        "visits": len(results),
        "errors": len(errors),
        "error_samples": errors[:2],
        "seconds": round(wall, 2),
        "visits_per_s": round(len(results) / wall, 2) if wall else None,
        "gunicorn_cpu_ms_per_visit": round(1000 * (tree_cpu(pid) - cpu) / max(1, len(results)), 1),
        "latency_ms": {
            "visit": summary_ms([r["visit"] for r in results]),
            "post": summary_ms([s for r in results for s in r["post"]]),
        },
    }


def drain_with_one_worker(stack: Stack) -> dict:
    """Start one rq worker and time it through every visit still waiting for its checks."""
    with stack.app.app_context():
        submitted = Visit.objects(state="submitted").count()
    stack.start_worker()
    began = time.perf_counter()
    with stack.app.app_context():
        while Visit.objects(state="submitted").count() and time.perf_counter() - began < 1800:
            time.sleep(1)
        left = Visit.objects(state="submitted").count()
    drain = time.perf_counter() - began
    rate = round((submitted - left) / drain, 2) if drain else None
    print(f"one worker checked {submitted - left} visits in {drain:.0f} s: {rate} visits/s", flush=True)
    return {"visits": submitted - left, "seconds": round(drain, 1), "visits_per_s": rate}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", default="1,4")
    parser.add_argument("--visits", type=int, default=12, help="visits per path, level, size and round")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved OpenRosa/JSON rounds")
    parser.add_argument("--photo-sizes", default="1600x1200,4000x3000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--no-drain", action="store_true", help="skip the worker drain (intake rates only)")
    parser.add_argument("--results", default="openrosa", help="name of the bench/results/*.json file")
    args = parser.parse_args()
    stop_on_sigterm()
    levels = [int(c) for c in args.clients.split(",")]
    sizes = _sizes(args.photo_sizes)
    per_size = 2 * args.rounds * args.visits * len(levels) + 4 * args.workers
    rows = []
    with Stack("bench-openrosa", env={"PASSWORD_HASH_PROFILE": "standard"}) as stack:
        county = seed_county(
            stack.app, towns=2, villages_per_town=2, households_per_village=-(-per_size * len(sizes) // 4)
        )
        with stack.app.app_context():
            form = stack.app.extensions["forms"].get("household_visit")
            xform = xform_for(form)
        api = stack.start_api(workers=args.workers, threads=args.threads)
        tokens = {v: login(api.base, u.username) for v, u in county.helpers.items()}
        basic = {
            v: {"Authorization": "Basic " + base64.b64encode(f"{u.username}:{PASSWORD}".encode()).decode()}
            for v, u in county.helpers.items()
        }
        households = iter(county.households)
        for width, height in sizes:
            sets = [photo_set(county.households[0], 2000 + i, (width, height)) for i in range(4)]
            photo_kib = [round(len(b) / 1024) for s, b in sets[0].items() if s.startswith("photo")]
            # each gunicorn process checks a phone's Basic credentials with Argon2 once, then caches them:
            # HEADs on fresh connections reach both processes, so the runs below measure the steady state
            for auth in basic.values():
                for _ in range(4 * args.workers):
                    Http(api.base).request("HEAD", "/openrosa/submission", headers=auth)
            for _path, do_one, creds in (("openrosa", openrosa_visit, basic), ("json", json_visit, tokens)):
                # warm-up, not counted: each gunicorn process builds its XForms and verifies the Basic
                # credentials once (Argon2) before its cache answers
                warm = [next(households) for _ in range(2 * args.workers)]
                work = [(form, xform, h, creds[h.village_code], sets[0]) for h in warm]
                run_threads(args.workers, work, lambda item, st, f=do_one: f(api.base, item, st))
            for clients in levels:
                runs: dict[str, list[dict]] = {"openrosa": [], "json": []}
                for _ in range(args.rounds):
                    for path, do_one, creds in (
                        ("openrosa", openrosa_visit, basic),
                        ("json", json_visit, tokens),
                    ):
                        work = []
                        for i in range(args.visits):
                            household = next(households)
                            work.append(
                                (form, xform, household, creds[household.village_code], sets[i % len(sets)])
                            )
                        runs[path].append(
                            measure(
                                clients, work, lambda item, st, f=do_one: f(api.base, item, st), api.proc.pid
                            )
                        )
                rates = {p: sum(r["visits_per_s"] or 0 for r in rs) / len(rs) for p, rs in runs.items()}
                ratio = round(rates["openrosa"] / rates["json"], 3) if rates["json"] else None
                rows.append(
                    {
                        "photo_size": f"{width}x{height}",
                        "photo_kib": photo_kib,
                        "clients": clients,
                        "openrosa_visits_per_s": round(rates["openrosa"], 2),
                        "json_visits_per_s": round(rates["json"], 2),
                        "ratio_openrosa_to_json": ratio,
                        "runs": runs,
                    }
                )
                print(
                    f"{width}x{height} ({photo_kib} KiB photos), {clients} clients: OpenRosa "
                    f"{rates['openrosa']:.2f} visits/s vs JSON {rates['json']:.2f} visits/s, ratio {ratio}; "
                    f"OpenRosa POST p50 {runs['openrosa'][-1]['latency_ms']['post'].get('p50')} ms, errors "
                    f"{sum(r['errors'] for r in runs['openrosa'])}/{sum(r['errors'] for r in runs['json'])}",
                    flush=True,
                )
        one_worker = None if args.no_drain else drain_with_one_worker(stack)
        result = {
            "setup": {
                "gunicorn": f"{args.workers} workers x {args.threads} threads",
                "password_hash_profile": "standard (Argon2id, RFC 9106 low-memory)",
                "accept_content_length": ACCEPT_CONTENT_LENGTH,
                "visits_per_run": args.visits,
                "rounds": args.rounds,
                "worker": "none while measuring intake; then one rq worker drains everything",
            },
            "levels": rows,
            "one_worker": one_worker,
        }
        print(f"wrote {write_results(args.results, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
