"""Export responses: a file streamed now, or 202 with the job that will build it; job views with their
signed download links; and the download a link names, streamed from the object store."""

from __future__ import annotations

from flask import Response, current_app, url_for

from app.auth.principal import Principal
from app.clock import now
from app.downloads import spooled, stream
from app.exports import service
from app.exports.links import DownloadLinks
from app.exports.models import ExportJob
from app.exports.visits import VisitFilter
from app.public_url import public_base_url


def links() -> DownloadLinks:
    cfg = current_app.config["DOORSTEP"]
    return DownloadLinks(cfg.SECRET_KEY, cfg.EXPORT_LINK_TTL_SECONDS, base=public_base_url())


def job_view(job: ExportJob) -> dict:
    """The job as its requester sees it; a finished one carries a fresh, short-lived download link."""
    view = {
        "id": str(job.id),
        "kind": job.kind,
        "format": job.format,
        "state": job.state,
        "total": job.total,
        "done": job.done,
        "percent": round(100 * job.done / job.total, 1)
        if job.total
        else (100.0 if job.state == "done" else 0.0),
        "filters": job.filters,
        "error": job.error,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "expires_at": job.expires_at,
        "size": job.size,
        "status_url": url_for("exports.ExportJobView", job_id=str(job.id), _external=True),
        "download_url": None,
        "download_expires_at": None,
    }
    if job.state == "done" and job.key and job.expires_at and job.expires_at > now():
        url, expires = links().url(str(job.id), not_after=job.expires_at.timestamp())
        view |= {"download_url": url, "download_expires_at": expires}
    return view


def export(principal: Principal, kind: str, fmt: str, filters: VisitFilter, *, as_job: bool):
    """The export as a file now, or (job view, 202, Location) when it is large or asked for as a job."""
    cfg, ext = current_app.config["DOORSTEP"], current_app.extensions
    query = service.visit_query(principal, filters)
    total = query.count()
    if as_job or total > cfg.EXPORT_SYNC_MAX_VISITS:
        job = service.request_job(principal, kind, fmt, filters, ext["queue"], total)
        view = job_view(job)
        return view, 202, {"Location": view["status_url"]}
    service.record(principal, kind, fmt, filters, total)
    filename, ascii_name = service.names(kind, filters, now())
    if kind == "media":
        return stream(service.media_zip(ext["store"], query), "zip", filename, ascii_name)
    if fmt == "csv":
        return stream(service.visits_csv(ext["forms"], query, filters.form_id), "csv", filename, ascii_name)
    about = service.notes(principal, filters, now())

    def write(fp) -> None:
        service.visits_xlsx(ext["forms"], query, filters.form_id, fp, about)

    return spooled(write, "xlsx", filename, ascii_name)


def job_download(job_id: str, expires: str | None, signature: str | None) -> Response:
    """The finished export a signed link names, streamed from the object store."""
    links().verify(job_id, expires, signature)
    job = service.downloadable(job_id)
    body = current_app.extensions["store"].stream(job.key)
    return stream(body.chunks, job.format, job.filename, job.ascii_name, body.size)
