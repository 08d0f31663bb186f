"""OpenRosa responses: every one carries `X-OpenRosa-Version: 1.0`, and every error from the one
catalogue (app/errors.py) is rendered as an OpenRosa response message here, in one place, with the same
status and its Chinese and English message, so that Collect shows the cadre why a submission failed."""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formatdate
from http import HTTPStatus
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from flask import Blueprint, Response
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

from app.errors import DatabaseUnavailable, DoorstepError

RESPONSE_NS = "http://openrosa.org/http/response"
XML = "text/xml; charset=utf-8"
REALM = 'Basic realm="Doorstep OpenRosa", charset="UTF-8"'


def message(text: str, status: int = 201, nature: str = "submit_success") -> Response:
    """An `<OpenRosaResponse>` with one message."""
    root = Element("OpenRosaResponse", xmlns=RESPONSE_NS)
    SubElement(root, "message", nature=nature).text = text
    return xml_response(tostring(root, encoding="utf-8", xml_declaration=True), status)


def received_message(visit_id: str, state: str, missing: list[str], changed: bool) -> Response:
    """201 for every accepted POST (Collect counts only 201/202 as sent), saying what is still to come."""
    text = f"已收到 Received: 走访 visit {visit_id}，状态 state {state}"
    if missing:
        text += f"；待上传 still to come: {', '.join(missing)}"
    if not changed:
        text += "（重复提交，未作更改 already received, nothing changed）"
    return message(text, 201)


def xml_response(body: bytes, status: int = 200, content_type: str = XML) -> Response:
    return Response(body, status=status, content_type=content_type)


def error_text(err: DoorstepError) -> str:
    """The error's message followed by what it names (fields, slots, limits), on one readable line."""
    details = {k: v for k, v in err.details.items() if k != "reason"}
    lines = [f"{path}: {text}" if path else text for path, text in _flatten(details)]
    return err.message + ("。" + "; ".join(lines) if lines else "")


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested error details as (dotted path, text); the wrapping "errors"/"answers" keys are dropped."""
    if isinstance(value, Mapping):
        out = []
        for key, inner in value.items():
            skip = not prefix and key in ("errors", "answers")
            out += _flatten(inner, prefix if skip else f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(value, list | tuple):
        return [(prefix, ", ".join(str(v) for v in value))]
    return [(prefix, str(value))]


def _error_response(err: DoorstepError, headers: Mapping[str, str] | None = None) -> Response:
    response = message(error_text(err), err.status, nature="error")
    response.headers.update(headers or {})
    if err.status == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


def register_openrosa_responses(blp: Blueprint) -> None:
    """Errors raised while serving this blueprint become OpenRosa messages; every response is stamped."""

    @blp.errorhandler(DoorstepError)
    def _domain(err: DoorstepError):
        retry = err.details.get("retry_after")
        return _error_response(err, {"Retry-After": str(retry)} if retry else None)

    @blp.errorhandler(ConnectionFailure)
    def _database_down(err: ConnectionFailure):
        return _error_response(DatabaseUnavailable(detail=type(err).__name__), {"Retry-After": "5"})

    @blp.errorhandler(HTTPException)
    def _http(err: HTTPException):
        text = f"{HTTPStatus(err.code).phrase}: {err.description or err.name}"
        response = message(text, err.code, nature="error")
        if err.code == 401:
            response.headers["WWW-Authenticate"] = REALM
        return response

    @blp.after_request
    def _stamp(response: Response) -> Response:
        response.headers["X-OpenRosa-Version"] = "1.0"
        response.headers.setdefault("Date", formatdate(usegmt=True))
        return response
