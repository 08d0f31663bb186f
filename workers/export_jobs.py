"""Export jobs: build a large export's file into the object store, then remove expired exports' files.

Idempotent: a finished job is left as it is; a failed or interrupted one is built again from the start.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.exports.service import purge_expired, run_job
from workers.runtime import services

log = logging.getLogger(__name__)


def build_export(job_id: str) -> str:
    """Build the export and return its state; housekeeping of expired files follows each build."""
    svc = services()
    keep = timedelta(hours=current_app.config["DOORSTEP"].EXPORT_KEEP_HOURS)
    job = run_job(job_id, svc.forms, svc.store, keep)
    removed = purge_expired(svc.store)
    if removed:
        log.info("removed %d expired export files", removed)
    return job.state
