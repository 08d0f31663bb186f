"""Exports of raw data: what a caller may export, the files' names and notes, and exports run as jobs.

Small exports stream at once. One with more visits than the configured limit (or asked for as a job) is
recorded as an ExportJob and built by a worker (`build_export`, idempotent) into the object store, with its
progress on the job; its requester then gets short-lived download links until the file expires. Every
export is written to the audit log with its filters and size.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import BinaryIO

from bson import ObjectId

from app.area_codes import ancestors
from app.areas.service import area_in_scope
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import CHINA_TZ, now
from app.errors import NotFound
from app.events import dispatch
from app.exports import files, media
from app.exports.models import ExportJob
from app.exports.visits import VisitFilter, batches, export_query, tables_for
from app.forms.registry import FormRegistry
from app.queue import JobQueue
from app.storage import ObjectStore

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}
TITLES = {"visits": ("原始数据_走访", "visits"), "media": ("照片签字", "media")}


def visit_query(principal: Principal, filters: VisitFilter):
    """The visits the caller may export with these filters (404 for an area outside their scope)."""
    principal.require("exports.read")
    if filters.area:
        area_in_scope(principal, filters.area)
    return export_query(principal, filters)


def names(kind: str, filters: VisitFilter, at: datetime) -> tuple[str, str]:
    """The file's Chinese name and its ASCII fallback, without extension."""
    title, plain = TITLES[kind]
    local = at.astimezone(CHINA_TZ)
    scope = filters.area or "all"
    return f"{title}_{scope}_{local:%Y%m%d_%H%M}", f"{plain}_{scope}_{local:%Y%m%d_%H%M}"


def notes(principal: Principal, filters: VisitFilter, at: datetime) -> list[tuple[str, str]]:
    return [
        ("生成时间 Generated", f"{at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} (UTC+8)"),
        ("生成人 By", principal.username),
        ("筛选条件 Filters", ", ".join(f"{k}={v}" for k, v in filters.as_dict().items()) or "无 none"),
        ("时间 Times", "中国标准时间 China time (UTC+8)"),
        ("走访 Visits", "一行一次走访，一列一个问题；选择题显示选项名称，是非题显示 是/否"),
        ("重复组 Repeats", "每个重复组（如适龄儿童）单独一张表，一行一项，以走访ID关联"),
        ("核查结果 Checks", "一行一个自动核查结果；走访表中列出未通过项和警告"),
    ]


def record(
    principal: Principal, kind: str, fmt: str, filters: VisitFilter, count: int, job_id: str | None = None
):
    codes = [filters.area] if filters.area else principal.area_codes
    area_path = sorted({a for code in codes for a in ancestors(code)})
    audit.record(
        principal, f"export.{kind}", "export", job_id, area_path,
        format=fmt, filters=filters.as_dict(), visits=count, job=bool(job_id),
    )  # fmt: skip


def visits_csv(
    forms: FormRegistry, query, form_id: str | None, progress: files.Progress | None = None
) -> Iterator[bytes]:
    return files.csv_export(tables_for(forms, form_id), batches(query), progress)


def visits_xlsx(
    forms: FormRegistry,
    query,
    form_id: str | None,
    target: BinaryIO,
    about: list[tuple[str, str]],
    progress: files.Progress | None = None,
) -> None:
    files.xlsx_export(tables_for(forms, form_id), batches(query), target, about, progress)


def media_zip(store: ObjectStore, query, progress: files.Progress | None = None) -> Iterator[bytes]:
    return media.media_zip(store, batches(query), progress)


# Jobs


def request_job(
    principal: Principal, kind: str, fmt: str, filters: VisitFilter, queue: JobQueue, total: int
) -> ExportJob:
    """Record the export as a job and hand it to the workers."""
    stamp = now()
    filename, ascii_name = names(kind, filters, stamp)
    job = ExportJob(
        kind=kind, format=fmt, filters=filters.as_dict(), requested_by=principal.username,
        requested_by_id=principal.user_id, role=principal.role, area_codes=list(principal.area_codes),
        total=total, filename=filename, ascii_name=ascii_name, created_at=stamp,
    )  # fmt: skip
    job.save()
    record(principal, kind, fmt, filters, total, str(job.id))
    dispatch(queue, "export.requested", str(job.id))
    return job


def get_job(principal: Principal, job_id: str) -> ExportJob:
    """A job its requester (or an admin) asked for; anyone else's is reported missing."""
    principal.require("exports.read")
    job = ExportJob.objects(id=job_id).first() if ObjectId.is_valid(job_id) else None
    if job is None or not (principal.is_admin or job.requested_by_id == principal.user_id):
        raise NotFound()
    return job


def job_principal(job: ExportJob) -> Principal:
    """The requester with the scope they had when they asked."""
    return Principal(job.requested_by_id, job.requested_by, job.role, tuple(job.area_codes))


def _write(job: ExportJob, forms: FormRegistry, store: ObjectStore, fp: BinaryIO, progress) -> None:
    principal = job_principal(job)
    filters = VisitFilter.from_dict(job.filters)
    query = export_query(principal, filters)
    if job.format == "xlsx":
        visits_xlsx(forms, query, filters.form_id, fp, notes(principal, filters, job.created_at), progress)
        return
    if job.kind == "visits":
        chunks = visits_csv(forms, query, filters.form_id, progress)
    else:
        chunks = media_zip(store, query, progress)
    for chunk in chunks:
        fp.write(chunk)


def run_job(job_id: str, forms: FormRegistry, store: ObjectStore, keep: timedelta) -> ExportJob:
    """Build the job's file into the object store (idempotent: a finished job is left as it is)."""
    job = ExportJob.objects(id=job_id).first()
    if job is None:
        raise LookupError(f"export job {job_id} not found")
    if job.state == "done":
        return job
    ExportJob.objects(id=job.id).update_one(
        set__state="running", set__started_at=now(), set__done=0, unset__error=True
    )
    progress: Callable[[int], None] = lambda done: ExportJob.objects(id=job.id).update_one(set__done=done)  # noqa: E731
    key = f"exports/{job.id}/{job.ascii_name}.{job.format}"
    try:
        with tempfile.TemporaryFile() as fp:
            _write(job, forms, store, fp, progress)
            size = fp.tell()
            fp.seek(0)
            store.upload(key, fp, CONTENT_TYPES[job.format])
    except Exception as err:
        ExportJob.objects(id=job.id).update_one(
            set__state="failed", set__error=f"{type(err).__name__}: {err}"[:500]
        )
        raise
    stamp = now()
    ExportJob.objects(id=job.id).update_one(
        set__state="done", set__key=key, set__size=size, set__finished_at=stamp, set__expires_at=stamp + keep
    )
    return ExportJob.objects.get(id=job.id)


def purge_expired(store: ObjectStore, at: datetime | None = None) -> int:
    """Remove the files of exports past their expiry (the job record stays, without its file)."""
    removed = 0
    for job in ExportJob.objects(expires_at__lt=at or now(), key__ne=None).only("key"):
        store.delete(job.key)
        removed += ExportJob.objects(id=job.id, key=job.key).update_one(unset__key=True)
    return removed


def downloadable(job_id: str) -> ExportJob:
    """The finished, unexpired job a download link names."""
    job = ExportJob.objects(id=job_id).first() if ObjectId.is_valid(job_id) else None
    if job is None or job.state != "done" or not job.key or (job.expires_at and job.expires_at <= now()):
        raise NotFound("导出文件不存在或已过期 Export not found or expired")
    return job
