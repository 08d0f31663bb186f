"""`python -m workers [--burst] [--fork]`: run an rq worker on Doorstep's queues, inside the app context.

Jobs run in the worker process itself: no fork, no new database connection and no cache warm-up per
job, 1.6x the visits per second of forking real worker processes (docs/PERFORMANCE.md, workers). A crash
takes the worker with it; its supervisor restarts it and rq's maintenance re-queues the job it held (the
kill_worker drill). Every upload was fully decoded by the intake gate before it was accepted, so an image
that crashes the decoder never reaches a worker. `--fork` runs each job in a forked child instead (rq's
work horse), for a job that might crash the interpreter or leak memory.
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
    parser.add_argument("--fork", action="store_true", help="each job in a forked child (work horse)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    worker = build_worker(create_app(), simple=not args.fork, name=args.name)
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
