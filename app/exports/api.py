"""Raw data exports (原始数据导出): visits as CSV/XLSX, photos and signatures as a ZIP, jobs when large."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.exports import downloads, service
from app.exports.schemas import ExportJobOut, VisitExportQuery, VisitFilterQuery
from app.exports.visits import VisitFilter

blp = Blueprint("exports", __name__, description="原始数据导出 Raw data exports")
files_blp = Blueprint("export_files", __name__, description="导出文件下载 Export downloads (signed links)")


def _filters(query: dict) -> VisitFilter:
    return VisitFilter(**{k: v for k, v in query.items() if k not in ("format", "job")})


def _answer(result):
    """A file response as it is; a job's 202 body written through ExportJobOut, as the spec says."""
    if isinstance(result, tuple):
        view, status, headers = result
        return ExportJobOut().dump(view), status, headers
    return result


@blp.route("/visits")
class VisitExportView(MethodView):
    @blp.arguments(VisitExportQuery, location="query")
    @blp.response(200, description="the CSV or XLSX file, streamed")
    @blp.alt_response(202, schema=ExportJobOut, description="large: an export job (see `status_url`)")
    def get(self, query):
        """Visits with one column per question (Chinese headers from the form's labels), their check
        results and review decisions, oldest first (verifiers, supervisors, admins; your areas only).

        CSV: one row per visit, then one row per repeat entry (行类型 names the repeat). XLSX: sheets 走访,
        one per repeat, 核查结果 and 说明. More visits than EXPORT_SYNC_MAX_VISITS, or `job=true`, make
        a job instead: 202 with its status URL; when done it gives a download link that expires."""
        principal = current_principal()
        return _answer(
            downloads.export(principal, "visits", query["format"], _filters(query), as_job=query["job"])
        )


@blp.route("/media")
class MediaExportView(MethodView):
    @blp.arguments(VisitFilterQuery, location="query")
    @blp.response(200, description="a ZIP, streamed: 村代码/户编号/走访ID/附件位置.jpg and 清单.csv")
    @blp.alt_response(202, schema=ExportJobOut, description="large: an export job (see `status_url`)")
    def get(self, query):
        """The photos and signatures of the selected visits as one ZIP with a manifest (清单.csv: file,
        visit, household, slot, SHA-256, size, upload and EXIF time and place), streamed as it is made."""
        principal = current_principal()
        return _answer(downloads.export(principal, "media", "zip", _filters(query), as_job=query["job"]))


@blp.route("/jobs/<job_id>")
class ExportJobView(MethodView):
    @blp.response(200, ExportJobOut)
    def get(self, job_id):
        """An export job you asked for: its progress, then a fresh short-lived download link."""
        return downloads.job_view(service.get_job(current_principal(), job_id))


@files_blp.route("/exports/<job_id>")
class ExportFileView(MethodView):
    @files_blp.doc(
        security=[],
        responses={
            "403": {"description": "the link was altered (link_invalid) or has expired (link_expired)"}
        },
    )
    @files_blp.response(200, description="the export's file")
    def get(self, job_id):
        """The file of a finished export, named by the signed link its job gave (no token needed)."""
        return downloads.job_download(job_id, request.args.get("e"), request.args.get("s"))
