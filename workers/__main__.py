"""`python -m workers [--burst]`: run an rq worker on Doorstep's queues, inside the app context."""

from __future__ import annotations

import argparse
import logging

from app import create_app
from workers.runtime import build_worker


def main() -> None:
    parser = argparse.ArgumentParser(description="Doorstep rq worker")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    worker = build_worker(create_app(), name=args.name)
    worker.work(burst=args.burst, with_scheduler=True, logging_level="INFO")


if __name__ == "__main__":
    main()
