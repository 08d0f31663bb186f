"""GET /media/<attachment>/<variant>: stream a visit's photo or signature named by a signed, live link."""

from __future__ import annotations

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.media.request import request_links
from app.visits.files import media_file

blp = Blueprint("media", __name__, description="照片与签字文件 Photo and signature files")


@blp.route("/<attachment_id>/<variant>")
class MediaView(MethodView):
    @blp.doc(
        security=[],
        responses={
            "200": {"description": "the file", "content": {"image/jpeg": {}, "image/png": {}}},
            "403": {"description": "the link was altered (link_invalid) or has expired (link_expired)"},
        },
    )
    def get(self, attachment_id, variant):
        """A file named by a link from a visit's `url`, `preview_url` or `thumbnail_url`.

        The link is the permission: it is issued only to callers who may see the visit, and stops
        working after PRESIGN_TTL_SECONDS. The browser may cache the file only until then.
        """
        left = request_links(absolute=False).verify(
            attachment_id, variant, request.args.get("e"), request.args.get("s")
        )
        found = media_file(attachment_id, variant)
        stream = current_app.extensions["store"].stream(found.key)
        return Response(
            stream.chunks,
            mimetype=found.content_type,
            direct_passthrough=True,
            headers={
                "Content-Length": str(stream.size),
                "Cache-Control": f"private, max-age={left}",
                "Content-Disposition": f'inline; filename="{found.name}"',
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "X-Content-Type-Options": "nosniff",
            },
        )
