"""Visits from phones: create (JSON or multipart), upload attachments, read and list."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app import jsonguard
from app.auth.current import current_principal
from app.errors import ValidationFailed
from app.media.request import request_links
from app.pagination import PAGE, QuerySetPage, RenderedQuery
from app.visits import intake as service
from app.visits.attachments import attachments_of
from app.visits.presenter import visit_view, visits_view
from app.visits.queries import get_visit_with_files, visible_visits
from app.visits.schemas import VisitIn, VisitOut, VisitQuery, load_visit
from app.visits.upload import ReceivedUpload, receive

blp = Blueprint("visits", __name__, description="入户走访 Visits")


def _intake() -> service.Intake:
    return service.Intake.from_extensions(current_app.extensions, current_app.config["DOORSTEP"])


def _show(visit, files: dict | None = None) -> dict:
    return visit_view(
        visit,
        attachments_of(visit) if files is None else files,
        current_app.extensions["forms"].get(visit.form_id, visit.form_version),
        request_links(absolute=True),
    )


def _multipart_submission(max_bytes: int) -> tuple[dict, dict[str, ReceivedUpload]]:
    """The `visit` JSON part and one received upload per slot part."""
    raw = request.form.get("visit")
    if not raw:
        raise ValidationFailed(errors={"visit": ["缺少 visit JSON 部分 Missing the visit JSON part"]})
    data = load_visit(jsonguard.loads(raw))
    uploads: dict[str, ReceivedUpload] = {}
    try:
        for slot, part in request.files.items():
            uploads[slot] = receive(part.stream, max_bytes=max_bytes)
    except Exception:
        for upload in uploads.values():
            upload.close()
        raise
    return data, uploads


@blp.route("")
class VisitsView(MethodView):
    @blp.arguments(VisitQuery, location="query")
    @blp.response(200, VisitOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        return RenderedQuery(visible_visits(current_principal(), **query), _render_visits)

    @blp.doc(
        requestBody={
            "content": {
                "application/json": {"schema": VisitIn},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"visit": {"type": "string", "description": "the visit as JSON"}},
                        "additionalProperties": {
                            "type": "string",
                            "format": "binary",
                            "description": "one part per slot",
                        },
                    }
                },
            }
        }
    )
    @blp.response(201, VisitOut)
    @blp.alt_response(200, schema=VisitOut, description="a retry of the same submission")
    @blp.alt_response(409, schema=ErrorSchema, description="same instance_id, different content")
    def post(self):
        """Create a visit; as multipart, with its attachments in the same request."""
        intake = _intake()
        if request.mimetype == "multipart/form-data":
            data, uploads = _multipart_submission(intake.max_bytes)
        else:
            data, uploads = load_visit(request.get_json(silent=True) or {}), {}
        try:
            stored = service.submit(intake, current_principal(), data, uploads)
        finally:
            for upload in uploads.values():
                upload.close()
        return _show(stored.visit, stored.files), 201 if stored.created else 200


def _render_visits(visits: list) -> list[dict]:
    return visits_view(visits, current_app.extensions["forms"], request_links(absolute=True))


@blp.route("/<visit_id>")
class VisitView(MethodView):
    @blp.response(200, VisitOut)
    def get(self, visit_id):
        return _show(*get_visit_with_files(current_principal(), visit_id))


@blp.route("/<visit_id>/attachments/<path:slot>")
class AttachmentView(MethodView):
    @blp.doc(
        requestBody={
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            }
        },
        parameters=[
            {"in": "header", "name": "Content-MD5", "schema": {"type": "string"}},
            {"in": "header", "name": "X-Content-SHA256", "schema": {"type": "string"}},
        ],
    )
    @blp.response(201, VisitOut)
    @blp.alt_response(200, schema=VisitOut, description="the same bytes again: nothing changed")
    def put(self, visit_id, slot):
        """Upload one slot's image as the raw body; retries with the same bytes are harmless."""
        intake = _intake()
        upload = receive(
            request.stream,
            max_bytes=intake.max_bytes,
            content_length=request.content_length,
            content_md5=request.headers.get("Content-MD5"),
            content_sha256=request.headers.get("X-Content-SHA256"),
        )
        try:
            stored = service.attach(intake, current_principal(), visit_id, slot, upload)
        finally:
            upload.close()
        return _show(stored.visit, stored.files), 201 if stored.created else 200
