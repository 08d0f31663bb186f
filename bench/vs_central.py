"""Doorstep's OpenRosa intake against ODK Central's, runs interleaved on the same machine.

    # once: start the peer (shared/peers/odk-central/start.sh, with CENTRAL_MIRROR set)
    .venv/bin/python -m bench.vs_central                                  # 1 client, 1600x1200, C D D C
    .venv/bin/python -m bench.vs_central --photo 4000x3000 --photo-kb 2500 --visits 16

Central is measured by the peer's own load generator (`bench_central.sh`, which runs `bench.py`: a
time-boxed run after 10 warm-up submissions, byte-unique photos, Central's async backlog drained after);
Doorstep by `bench.openrosa` (Collect's HEAD + multipart POST with HTTP Basic, warm credentials, no worker
running), each in turn in the order Central, Doorstep, Doorstep, Central... so that background load on
this shared machine falls on both alike. Reports submissions per second of each run and the ratio of
the means, Doorstep / Central.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from bench.common import RESULTS, write_results

PEER = Path(os.environ.get("CENTRAL_PEER", Path(__file__).resolve().parents[2] / "shared/peers/odk-central"))
PYTHON = Path(sys.executable)


def central_run(args: argparse.Namespace, label: str, out: Path) -> dict:
    """One run of the peer's bench against the running Central; returns its result line."""
    env = os.environ | {"OUT": str(out), "CENTRAL_MIRROR": os.environ.get("CENTRAL_MIRROR", "unused")}
    subprocess.run(
        [
            *("bash", str(PEER / "bench_central.sh"), "--levels", str(args.clients)),
            *("--duration", str(args.duration), "--photo", args.photo, "--photo-kb", str(args.photo_kb)),
            *("--label", label),
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads(out.read_text().splitlines()[-1])


def doorstep_run(args: argparse.Namespace, label: str) -> dict:
    """One run of bench.openrosa (OpenRosa path only counts here); returns its level row."""
    subprocess.run(
        [
            *(
                str(PYTHON),
                "-m",
                "bench.openrosa",
                "--clients",
                str(args.clients),
                "--visits",
                str(args.visits),
            ),
            *("--rounds", "1", "--photo-sizes", args.photo, "--no-drain", "--results", label),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return json.loads((RESULTS / f"{label}.json").read_text())["levels"][0]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2, help="Central/Doorstep pairs, alternating order")
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--duration", type=float, default=30, help="seconds per Central run")
    parser.add_argument("--visits", type=int, default=40, help="visits per Doorstep run")
    parser.add_argument("--photo", default="1600x1200")
    parser.add_argument("--photo-kb", type=int, default=300, help="Central's photo size target")
    args = parser.parse_args()
    if not (PEER / "bench_central.sh").exists():
        print(f"no ODK Central peer at {PEER} (set CENTRAL_PEER)", file=sys.stderr)
        return 2
    out = RESULTS / "vs_central_central.jsonl"
    RESULTS.mkdir(parents=True, exist_ok=True)
    runs: list[dict] = []
    order = []
    for pair in range(args.pairs):
        order += (
            [("central", pair), ("doorstep", pair)]
            if pair % 2 == 0
            else [("doorstep", pair), ("central", pair)]
        )
    for server, pair in order:
        label = f"vs_central_{server}_{pair}"
        if server == "central":
            row = central_run(args, label, out)
            rate = row["subs_per_s"]
            cpu = f"app CPU {row['app_cpu_s_per_sub']:.3f} s/sub, db CPU {row['db_cpu_s_per_sub']:.3f} s/sub"
            extra = f"p50 {row['lat_p50_ms']} ms, {cpu}"
        else:
            row = doorstep_run(args, label)
            rate = row["openrosa_visits_per_s"]
            last = row["runs"]["openrosa"][-1]
            extra = f"POST p50 {last['latency_ms']['post'].get('p50')} ms, errors {last['errors']}"
        runs.append({"server": server, "pair": pair, "per_s": rate, "detail": row})
        print(f"{server:9s} run {pair}: {rate:.2f} submissions/s ({extra})", flush=True)
    mean = {s: statistics.mean(r["per_s"] for r in runs if r["server"] == s) for s in ("central", "doorstep")}
    ratio = round(mean["doorstep"] / mean["central"], 3) if mean["central"] else None
    print(
        f"{args.photo}, {args.clients} client(s): Central {mean['central']:.2f}/s, "
        f"Doorstep {mean['doorstep']:.2f}/s, Doorstep / Central = {ratio}"
    )
    setup = {k: getattr(args, k) for k in ("pairs", "clients", "duration", "visits", "photo", "photo_kb")}
    path = write_results(
        f"vs_central_{args.photo}", {"setup": setup, "mean_per_s": mean, "ratio": ratio, "runs": runs}
    )
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
