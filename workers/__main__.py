"""`python -m workers [--burst] [--no-fork]`: run an rq worker on Doorstep's queues, inside the app context.

By default each job runs in a forked child (rq's work horse): a job that crashes the interpreter or
leaks memory takes only its child with it. `--no-fork` runs jobs in the worker process itself: no fork,
connection set-up or cache warm-up per job (see docs/PERFORMANCE.md, workers, for what that saves); a
crash then takes the worker, and rq's maintenance re-queues the job it held (the kill_worker drill).
"""

from __future__ import annotations

import argparse
import logging

from app import create_app
from workers.runtime import build_worker


def main() -> None:
    parser = argparse.ArgumentParser(description="Doorstep rq worker")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--name", default=None)
    parser.add_argument("--no-fork", action="store_true", help="run jobs in this process (no work horse)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    worker = build_worker(create_app(), simple=args.no_fork, name=args.name)
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
