"""OpenRosa 1.0 endpoints for ODK Collect and KoboCollect, laid out as ODK Central does: the server URL is
`/openrosa`, or `/openrosa/key/<app token>` for a phone set up with a per-user token.

XML, not JSON: a plain Flask blueprint outside the OpenAPI spec. Authentication happens before any view
(app/login/access.py); errors become OpenRosa messages in app/openrosa/responses.py.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, request, url_for

from app.auth.current import current_principal
from app.errors import InvalidSubmission
from app.openrosa import documents, household_list
from app.openrosa import service as phones
from app.openrosa.responses import received_message, register_openrosa_responses, xml_response
from app.public_url import public_base_url
from app.visits.intake import Intake
from app.visits.upload import ReceivedUpload, receive

PREFIX = "/openrosa"
TOKEN_PREFIX = "/key/<app_token>"
SUBMISSION_FILE = "xml_submission_file"
ACCEPT_CONTENT_LENGTH = 10 * 1024 * 1024  # Collect splits larger submissions into several POSTs

blp = Blueprint("openrosa", __name__)
register_openrosa_responses(blp)


def route(rule: str, **options):
    """Register a view at `rule` under both server URLs: /openrosa and /openrosa/key/<app_token>."""

    def decorator(view):
        blp.add_url_rule(rule, view_func=view, **options)
        blp.add_url_rule(TOKEN_PREFIX + rule, view_func=view, **options)
        return view

    return decorator


def _url(endpoint: str, **values) -> str:
    """An absolute link for the phone, under the server URL it called (PUBLIC_URL behind a proxy)."""
    token = (request.view_args or {}).get("app_token")
    path = url_for(endpoint, **values, **({"app_token": token} if token else {}))
    return public_base_url() + path.lstrip("/")


@route("/formList")
def form_list(app_token: str | None = None):
    wanted = request.args.get("formID")
    xforms = [
        (x, _url(".form_download", form_id=x.form_id), _url(".form_manifest", form_id=x.form_id))
        for x in phones.phone_forms(current_principal(), current_app.extensions["forms"])
        if not wanted or x.form_id == wanted
    ]
    return xml_response(documents.form_list(xforms))


@route("/forms/<form_id>.xml")
def form_download(form_id: str, app_token: str | None = None):
    xform = phones.phone_form(current_principal(), current_app.extensions["forms"], form_id)
    return xml_response(xform.xml)


@route("/forms/<form_id>/manifest")
def form_manifest(form_id: str, app_token: str | None = None):
    principal, forms = current_principal(), current_app.extensions["forms"]
    xform = phones.phone_form(principal, forms, form_id)
    files = [
        documents.MediaFile(
            name=name,
            md5=household_list.md5_of(phones.media_file(principal, forms, form_id, name)),
            url=_url(".form_media", form_id=form_id, name=name),
        )
        for name in xform.media
    ]
    return xml_response(documents.manifest(files))


@route("/forms/<form_id>/media/<name>")
def form_media(form_id: str, name: str, app_token: str | None = None):
    data = phones.media_file(current_principal(), current_app.extensions["forms"], form_id, name)
    return xml_response(data, content_type="text/csv; charset=utf-8")


@route("/submission", methods=["HEAD", "POST"])
def submission(app_token: str | None = None):
    if request.method == "HEAD":
        current_principal()  # Collect's HEAD checks the credentials before it sends anything
        response = xml_response(b"", 204)
        response.headers["X-OpenRosa-Accept-Content-Length"] = str(ACCEPT_CONTENT_LENGTH)
        return response
    intake = Intake.from_extensions(current_app.extensions, current_app.config["DOORSTEP"])
    xml_part = request.files.get(SUBMISSION_FILE)
    if xml_part is None:
        raise InvalidSubmission(f"缺少 {SUBMISSION_FILE} Missing the {SUBMISSION_FILE} part")
    xml = xml_part.read()
    parts: dict[str, ReceivedUpload] = {}
    try:
        for key, part in request.files.items(multi=True):
            if key != SUBMISSION_FILE:
                parts[part.filename or key] = receive(part.stream, max_bytes=intake.max_bytes)
        received = phones.receive_submission(intake, current_principal(), xml, parts)
    finally:
        for upload in parts.values():
            upload.close()
    return received_message(str(received.visit.id), received.visit.state, received.missing, received.changed)


def register_openrosa(app: Flask) -> None:
    """Mount the OpenRosa endpoints (outside the JSON API and its OpenAPI spec)."""
    app.register_blueprint(blp, url_prefix=PREFIX)
