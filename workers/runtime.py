"""The one wrapper through which jobs enter the app context, and the services jobs may use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import cv2
from flask import Flask, current_app
from rq import SimpleWorker, Worker

from app.checks.policy import POLICY_FILE, CheckPolicy, load_policy
from app.forms.registry import FormRegistry
from app.queue import JobQueue
from app.review.chains import Chain
from app.storage import ObjectStore


@dataclass(frozen=True)
class Services:
    store: ObjectStore
    queue: JobQueue
    forms: FormRegistry
    check_policy: CheckPolicy
    review_chain: Chain  # the default chain, for areas that have none of their own


def services() -> Services:
    """What a job needs from the app, read inside the app context the worker set up."""
    ext, cfg = current_app.extensions, current_app.config["DOORSTEP"]
    policy_file = Path(cfg.FORMS_DIR) / POLICY_FILE
    changed = policy_file.stat().st_mtime_ns if policy_file.exists() else 0
    policy = _check_policy(
        str(cfg.FORMS_DIR), changed, cfg.CHECK_TIME_TOLERANCE_MINUTES, cfg.CHECK_MAX_DISTANCE_M
    )
    return Services(
        store=ext["store"],
        queue=ext["queue"],
        forms=ext["forms"],
        check_policy=policy,
        review_chain=ext["review_chain"],
    )


@lru_cache(maxsize=4)
def _check_policy(forms_dir: str, _changed: int, minutes: float, metres: float) -> CheckPolicy:
    """The check policy, read and validated again only when its file changes (~7 ms a read, per job)."""
    base = CheckPolicy(time_tolerance=timedelta(minutes=minutes), max_distance_m=metres)
    return load_policy(forms_dir, base)


class AppContextMixin:
    """Runs every job inside `app.app_context()`; the app is built once per worker process."""

    app: Flask

    def perform_job(self, job, queue):
        with self.app.app_context():
            return super().perform_job(job, queue)


class AppWorker(AppContextMixin, Worker):
    def __init__(self, *args, app: Flask, **kwargs):
        self.app = app
        super().__init__(*args, **kwargs)


class AppSimpleWorker(AppContextMixin, SimpleWorker):
    """In-process worker (no fork): what `python -m workers` runs, and tests and drills."""

    def __init__(self, *args, app: Flask, **kwargs):
        self.app = app
        super().__init__(*args, **kwargs)


def build_worker(app: Flask, *, simple: bool = False, name: str | None = None) -> Worker:
    queue: JobQueue = app.extensions["queue"]
    # One worker process uses one core: OpenCV's own thread pool made the fingerprint ~2.5x slower on these
    # 2-core machines (thread hand-offs on tiny images); scale out with more worker processes instead.
    cv2.setNumThreads(1)
    with app.app_context():
        services()  # read once here, so forked work horses inherit it instead of reading it per job
    cls = AppSimpleWorker if simple else AppWorker
    queues = [queue.queue(n) for n in ("checks", "images", "default")]
    # rq re-checks abandoned jobs and the scheduler lock at each maintenance pass; its default of
    # 10 minutes would hold retries of a crashed worker's jobs that long.
    return cls(queues, connection=queue.connection, app=app, name=name, maintenance_interval=60)
