"""整改台账 Rectification ledger: list overdue first or download, add, follow up with evidence, close."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.auth.current import current_principal
from app.downloads import table_download_doc
from app.pagination import PAGE, PageOrDownload
from app.rectification import evidence, service
from app.rectification.deadlines import today
from app.rectification.downloads import ledger_download
from app.rectification.schemas import (
    PhotoEvidenceQuery,
    RectificationIn,
    RectificationOut,
    RectificationPatch,
    RectificationQuery,
    VisitEvidenceIn,
)
from app.visits.upload import receive

blp = Blueprint("rectifications", __name__, description="整改台账 Rectification ledger")


@blp.route("")
class RectificationsView(MethodView):
    @blp.arguments(RectificationQuery, location="query")
    @blp.response(200, RectificationOut(many=True))
    @blp.doc(**table_download_doc(RectificationOut(many=True)))
    @blp.paginate(PageOrDownload, **PAGE)
    def get(self, query):
        """Items in your areas: open items past their deadline first (most overdue first), then the rest,
        newest first. Opened automatically by failed blocking checks and by rejections or revisit
        requests, or by hand. `format=csv` or `format=xlsx` downloads the whole list (filters apply)
        with Chinese headers, in the same order."""
        fmt = query.pop("format")
        principal = current_principal()
        items = service.ledger(principal, **query)
        if fmt == "json":
            return items
        return ledger_download(items, fmt, today(), principal.username)

    @blp.arguments(RectificationIn)
    @blp.response(201, RectificationOut)
    def post(self, data):
        """Add a problem by hand (verifiers, supervisors, admins). Without a deadline it is due at the end
        of the running campaign's rectification phase, else after RECTIFICATION_DEFAULT_MONTHS (two)."""
        return service.create_item(current_principal(), data)


@blp.route("/<item_id>")
class RectificationView(MethodView):
    @blp.response(200, RectificationOut)
    def get(self, item_id):
        return service.get_item(current_principal(), item_id)

    @blp.arguments(RectificationPatch)
    @blp.response(200, RectificationOut)
    @blp.alt_response(409, schema=ErrorSchema, description="the item is already closed (销号)")
    def patch(self, changes, item_id):
        """Set measure, deadline or responsible person; `status: closed` with a `close_note` closes it (销号).

        The responsible cadre may set the measure of their own items. Closing needs evidence and is for
        whoever opened the item or someone of their level or above (items the checks open: town level)."""
        return service.update_item(current_principal(), item_id, changes)


@blp.route("/<item_id>/evidence")
class VisitEvidenceView(MethodView):
    @blp.arguments(VisitEvidenceIn)
    @blp.response(201, RectificationOut)
    @blp.alt_response(200, schema=RectificationOut, description="the visit was already evidence")
    def post(self, data, item_id):
        """A follow-up visit (复查走访) of the household as evidence (keepers and the responsible cadre)."""
        item, added = evidence.add_visit(current_principal(), item_id, data["visit_id"], data.get("note"))
        return item, 201 if added else 200


@blp.route("/<item_id>/evidence/photo")
class PhotoEvidenceView(MethodView):
    @blp.arguments(PhotoEvidenceQuery, location="query")
    @blp.doc(
        requestBody={
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            }
        }
    )
    @blp.response(201, RectificationOut)
    @blp.alt_response(200, schema=RectificationOut, description="the same photo again: nothing changed")
    def put(self, query, item_id):
        """A photo of a document (验收单、证明材料) as the raw body; the same bytes again change nothing."""
        cfg, store = current_app.config["DOORSTEP"], current_app.extensions["store"]
        upload = receive(
            request.stream, max_bytes=cfg.MAX_UPLOAD_BYTES, content_length=request.content_length
        )
        try:
            item, added = evidence.add_photo(
                current_principal(), item_id, upload, store,
                max_bytes=cfg.MAX_UPLOAD_BYTES, max_pixels=cfg.MAX_IMAGE_PIXELS, note=query.get("note"),
            )  # fmt: skip
        finally:
            upload.close()
        return item, 201 if added else 200


@blp.route("/<item_id>/evidence/photo/<sha256>")
class PhotoEvidenceFileView(MethodView):
    @blp.response(200, description="the photo (image/jpeg or image/png)")
    def get(self, item_id, sha256):
        """An evidence photo of an item in your areas, by the `sha256` its evidence entry lists."""
        found = evidence.photo(current_principal(), item_id, sha256)
        body = current_app.extensions["store"].stream(found.key)
        return Response(
            body.chunks,
            mimetype=found.content_type,
            direct_passthrough=True,
            headers={"Content-Length": str(body.size), "Cache-Control": "private, no-store"},
        )
