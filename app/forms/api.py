"""Forms: the published definitions phones render from, with strong ETags so unchanged forms cost a 304."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.errors import NotFound, UnknownForm
from app.forms.loader import canonical_json
from app.forms.registry import FormRegistry
from app.forms.schemas import FormDefinitionOut, FormSummaryOut
from app.forms.version import FormVersion

blp = Blueprint("forms", __name__, description="表单 Forms")
NOT_MODIFIED = "未修改 Not modified: the If-None-Match ETag is current"


@blp.route("")
class FormsView(MethodView):
    @blp.response(200, FormSummaryOut(many=True))
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self):
        """The published forms, each with its current version."""
        current_principal().require("forms.read")
        return _etagged(FormSummaryOut(many=True).dump(_registry().list()))


@blp.route("/<form_id>")
class FormView(MethodView):
    @blp.response(200, FormDefinitionOut)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self, form_id):
        """The current version of a form."""
        current_principal().require("forms.read")
        return _etagged(FormDefinitionOut().dump(_form(form_id).definition))


@blp.route("/<form_id>/versions/<int:version>")
class FormVersionView(MethodView):
    @blp.response(200, FormDefinitionOut)
    @blp.alt_response(304, description=NOT_MODIFIED)
    def get(self, form_id, version):
        """One published version of a form (old visits keep pointing at theirs)."""
        current_principal().require("forms.read")
        return _etagged(FormDefinitionOut().dump(_form(form_id, version).definition))


def _registry() -> FormRegistry:
    return current_app.extensions["forms"]


def _form(form_id: str, version: int | None = None) -> FormVersion:
    try:
        return _registry().get(form_id, version)
    except UnknownForm as err:  # as a resource that is not there, not as a bad reference in a submission
        raise NotFound(form_id=form_id, version=version) from err


def _etagged(payload: Any) -> Response:
    """`payload` as canonical JSON with a strong ETag (its sha256); 304 when If-None-Match holds it."""
    body = canonical_json(payload)
    etag = hashlib.sha256(body).hexdigest()
    if request.if_none_match.contains_weak(etag):
        response = current_app.response_class(status=304)
    else:
        response = current_app.response_class(body, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
