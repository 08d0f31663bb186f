"""The one map from domain events to the jobs that follow them (jobs named by path: the API never
imports worker code). Jobs listed for an event run in order, each depending on the one before."""

from __future__ import annotations

from app.queue import JobQueue

EVENT_JOBS: dict[str, list[tuple[str, str]]] = {
    # event: [(job path, queue)]
    "visit.submitted": [
        ("workers.image_jobs.process_visit_images", "images"),
        ("workers.check_jobs.check_visit", "checks"),
    ],
    "export.requested": [("workers.export_jobs.build_export", "default")],
    # another household's visit turned out to hold a copy of a photo of this one: its checks run again
    "visit.copy_found": [("workers.check_jobs.check_visit", "checks")],
    "prints.stale": [("workers.image_jobs.process_visit_images", "images")],  # `doorstep reprint`
}


def dispatch(queue: JobQueue, event: str, object_id: str) -> list[str]:
    """Enqueue the jobs for `event`; job ids are derived from the object so a re-dispatch replaces them."""
    previous = None
    ids = []
    for path, queue_name in EVENT_JOBS[event]:
        job_id = f"{event.replace('.', '-')}-{path.rsplit('.', 1)[-1]}-{object_id}"
        job = queue.enqueue(
            path,
            object_id,
            queue=queue_name,
            job_id=job_id,
            depends_on=previous,
            description=f"{path}({object_id})",
        )
        previous = job
        ids.append(job.id)
    return ids
