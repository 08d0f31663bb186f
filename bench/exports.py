"""Peak memory of the raw data exports as they grow: CSV, XLSX and the photo ZIP at 1k, 3k and 10k visits.

    .venv/bin/python -m bench.exports
    .venv/bin/python -m bench.exports --sizes 1000,10000 --zip-max 3000   # quicker: ZIP up to 3,000 visits

Visits (with answers, checks and assessments) are inserted in bulk into one county, cumulatively; for the
ZIP, each visit gets eight attachment records pointing at eight real images stored once. Each export runs
in a fresh child process that builds the app, reads every visit of the county through the export code
(`app.exports.service`, as the API and the export job do) and throws the bytes away. The child reports
its peak RSS during the export (VmHWM, reset just before) against its RSS just before the export: the
baseline measured in the same run. The naive export (every visit loaded as a document, then one CSV
built in memory) is measured the same way to show what flat memory saves. Nothing here asserts a time
or a size.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

from bson import ObjectId

from bench.common import write_results
from bench.reports import insert_county
from devkit.imagegen import make_photo, make_signature
from devkit.stack import BIN, Stack, seed_county, stop_on_sigterm

KINDS = ("csv", "xlsx", "zip", "naive_csv")
SLOTS = [("photo.front_of_house", "photo"), ("photo.stove", "photo"), ("photo.bedroom", "photo")]
SLOTS += [("photo.living_room", "photo"), ("signature.household_head", "signature")]
SLOTS += [(f"signature.{s}", "signature") for s in ("village_secretary", "first_secretary", "township_cadre")]


def _status_mib(field: str) -> float:
    """A memory figure of this process from /proc (ru_maxrss would carry the parent's peak over exec)."""
    with open("/proc/self/status") as fp:
        kib = next(int(line.split()[1]) for line in fp if line.startswith(field + ":"))
    return round(kib / 1024, 1)


def peak_mib() -> float:
    return _status_mib("VmHWM")


def reset_peak() -> None:
    """Start the peak (VmHWM) again from the current RSS (Linux 4.0+), so the export's own peak shows."""
    with open("/proc/self/clear_refs", "w") as fp:
        fp.write("5")


def current_mib() -> float:
    return _status_mib("VmRSS")


def child(kind: str, area: str) -> dict:
    """Run one export in this process and report its bytes, time and memory."""
    from app import create_app  # noqa: PLC0415 - the child builds the app after its arguments are read
    from app.auth.principal import SYSTEM  # noqa: PLC0415
    from app.exports import service  # noqa: PLC0415
    from app.exports.visits import VisitFilter  # noqa: PLC0415
    from app.spreadsheets.writing import csv_bytes  # noqa: PLC0415
    from app.visits.models import Visit  # noqa: PLC0415

    app = create_app()
    with app.app_context():
        forms, store = app.extensions["forms"], app.extensions["store"]
        query = service.export_query(SYSTEM, VisitFilter(area=area))
        visits = query.count()
        startup_peak = peak_mib()
        reset_peak()
        base_current, base_peak = current_mib(), peak_mib()
        began = time.perf_counter()
        size = 0
        if kind == "csv":
            size = sum(len(chunk) for chunk in service.visits_csv(forms, query, None))
        elif kind == "zip":
            size = sum(len(chunk) for chunk in service.media_zip(store, query))
        elif kind == "xlsx":
            with tempfile.TemporaryFile() as fp:
                service.visits_xlsx(forms, query, None, fp, [])
                size = fp.tell()
        else:  # every visit as a document, the table built in memory: what streaming avoids
            loaded = list(Visit.objects(area_path=area))
            rows = [
                [str(v.id), v.household_number, json.dumps(v.answers, ensure_ascii=False)] for v in loaded
            ]
            size = len(csv_bytes(["id", "number", "answers"], rows))
        seconds = time.perf_counter() - began
    return {
        "kind": kind,
        "visits": visits,
        "bytes": size,
        "seconds": round(seconds, 2),
        "startup_peak_mib": startup_peak,
        "baseline_rss_mib": base_current,
        "baseline_peak_mib": base_peak,
        "peak_rss_mib": peak_mib(),
        "growth_mib": round(peak_mib() - base_current, 1),
    }


def store_images(store) -> list[tuple[str, str, int, str]]:
    """Eight real images stored once: (slot, key, size, content type) for the attachment records."""
    stored = []
    for i, (slot, kind) in enumerate(SLOTS):
        body = make_photo(i, width=800, height=600) if kind == "photo" else make_signature(i)
        content_type = "image/jpeg" if kind == "photo" else "image/png"
        key = f"bench/{slot}.{'jpg' if kind == 'photo' else 'png'}"
        store.put(key, io.BytesIO(body), content_type)
        stored.append((slot, key, len(body), content_type))
    return stored


def attach_all(visits, images, done: set) -> int:
    """Attachment records for the visits that have none yet, inserted in bulk."""
    from app.visits.models import Attachment  # noqa: PLC0415 - only the parent inserts

    docs = []
    stamp = datetime.now(UTC)
    for v in visits:
        if str(v["_id"]) in done:
            continue
        done.add(str(v["_id"]))
        for slot, key, size, content_type in images:
            docs.append(
                {
                    "_id": ObjectId(),
                    "visit_id": str(v["_id"]),
                    "household_id": v["household_id"],
                    "area_path": v["area_path"],
                    "slot": slot,
                    "kind": slot.split(".")[0],
                    "key": key,
                    "thumbnails": {},
                    "sha256": "0" * 64,
                    "size": size,
                    "content_type": content_type,
                    "exif": {},
                    "uploaded_by": "bench",
                    "uploaded_at": stamp,
                }
            )
    for i in range(0, len(docs), 5000):
        Attachment._get_collection().insert_many(docs[i : i + 5000], ordered=False)
    return len(docs)


def run_child(stack: Stack, kind: str, area: str, attempts: int = 2) -> dict:
    """One export in a fresh process; tried again once if the (shared, busy) embedded server timed out."""
    for attempt in range(1, attempts + 1):
        try:
            return _child_once(stack, kind, area)
        except RuntimeError as err:
            if attempt == attempts:
                raise
            print(
                f"  {kind}: attempt {attempt} failed ({str(err).splitlines()[-1][:120]}); again", flush=True
            )
    raise AssertionError("unreachable")


def _child_once(stack: Stack, kind: str, area: str) -> dict:
    out = subprocess.run(
        [str(BIN / "python"), "-m", "bench.exports", "--child", kind, "--area", area],
        env=stack.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} export failed:\n{out.stderr[-12000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,3000,10000", help="visits, cumulative")
    parser.add_argument(
        "--zip-max", type=int, default=10000, help="run the ZIP export up to this many visits"
    )
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--area", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.area)))
        return 0
    stop_on_sigterm()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    rng = random.Random(5)
    rows = []
    with Stack("bench-exports") as stack:
        county = seed_county(stack.app, towns=4, villages_per_town=5, households_per_village=0)
        stored, attached = 0, set()
        with stack.app.app_context():
            images = store_images(stack.app.extensions["store"])
        for size in sizes:
            with stack.app.app_context():
                from app.visits.models import Visit  # noqa: PLC0415 - after the stack connected

                print(f"inserting {size - stored} visits ...", flush=True)
                for start in range(stored, size, 1000):  # small batches: the embedded server may be busy
                    insert_county(county.villages, start, min(1000, size - start), rng, visited_share=1.0)
                stored = size
                if size <= args.zip_max:
                    visits = Visit._get_collection().find({}, {"household_id": 1, "area_path": 1})
                    print(f"  {attach_all(visits, images, attached)} attachment records", flush=True)
            for kind in KINDS:
                if kind == "zip" and size > args.zip_max:
                    continue
                row = run_child(stack, kind, county.county_code)
                rows.append(row)
                print(
                    f"{row['visits']:>6} visits {kind:>9}: {row['bytes'] / 1024**2:8.1f} MiB"
                    f" in {row['seconds']:6.1f}s | RSS before {row['baseline_rss_mib']:6.1f} MiB,"
                    f" peak {row['peak_rss_mib']:6.1f} MiB, growth {row['growth_mib']:6.1f} MiB",
                    flush=True,
                )
    summary = {}
    for kind in KINDS:
        mine = [r for r in rows if r["kind"] == kind]
        if len(mine) >= 2:
            first, last = mine[0], mine[-1]
            summary[kind] = {
                "visits": [first["visits"], last["visits"]],
                "output_ratio": round(last["bytes"] / max(first["bytes"], 1), 1),
                "peak_rss_ratio": round(last["peak_rss_mib"] / first["peak_rss_mib"], 2),
                "growth_mib": [first["growth_mib"], last["growth_mib"]],
            }
            print(
                f"{kind:>9}: {first['visits']} -> {last['visits']} visits,"
                f" output x{summary[kind]['output_ratio']}, peak RSS x{summary[kind]['peak_rss_ratio']}"
                f" ({first['peak_rss_mib']} -> {last['peak_rss_mib']} MiB)"
            )
    path = write_results("exports", {"county": county.county_code, "runs": rows, "summary": summary})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
