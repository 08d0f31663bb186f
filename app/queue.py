"""A small adapter around rq: the project's queues, enqueue by job path, failed-job registry."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq import Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry

QUEUE_NAMES = ("default", "images", "checks")


@dataclass
class JobQueue:
    """Enqueues jobs by dotted path, so the API never imports worker code."""

    connection: Redis
    prefix: str = "doorstep"
    retry_intervals: tuple[int, ...] = (5, 30, 120)  # seconds before each retry of a failed job

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "doorstep", retry_intervals: tuple[int, ...] = (5, 30, 120)
    ) -> JobQueue:
        return cls(Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2), prefix, retry_intervals)

    def queue(self, name: str = "default") -> Queue:
        return Queue(f"{self.prefix}-{name}", connection=self.connection)

    def enqueue(
        self,
        func_path: str,
        *args,
        queue: str = "default",
        job_id: str | None = None,
        retry: Retry | None = None,
        **kwargs,
    ) -> Job:
        return self.queue(queue).enqueue(
            func_path,
            *args,
            job_id=job_id,
            retry=retry or Retry(max=len(self.retry_intervals), interval=list(self.retry_intervals)),
            failure_ttl=30 * 24 * 3600,  # a failed job stays visible (and re-runnable) for a month
            result_ttl=3600,  # nothing reads a finished job's result: an hour keeps Redis small (SCALING.md)
            **kwargs,
        )

    def failed(self) -> list[Job]:
        jobs: list[Job] = []
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=self.queue(name))
            jobs += [j for j in Job.fetch_many(registry.get_job_ids(), connection=self.connection) if j]
        return jobs

    def requeue_failed(self) -> int:
        count = 0
        for name in QUEUE_NAMES:
            registry = FailedJobRegistry(queue=self.queue(name))
            for job_id in registry.get_job_ids():
                registry.requeue(job_id)
                count += 1
        return count

    def ping(self) -> None:
        self.connection.ping()
