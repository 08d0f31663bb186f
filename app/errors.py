"""The one catalogue of problems Doorstep reports, and their mapping to HTTP.

Domain code raises these; `register_error_handlers` turns every one (and every HTTP error flask-smorest
raises itself) into `{code, status, message, errors}`. `errors.reason` is a stable machine-readable
string clients can switch on.
"""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, jsonify
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException


class DoorstepError(Exception):
    """Base of every domain error: an HTTP status, a stable reason and a human message."""

    status = 400
    reason = "bad_request"
    message = "请求无效 Bad request"

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details

    def to_body(self) -> dict:
        return {
            "code": self.status,
            "status": HTTPStatus(self.status).phrase,
            "message": self.message,
            "errors": {"reason": self.reason, **self.details},
        }


def _error(name: str, status: int, reason: str, message: str) -> type[DoorstepError]:
    return type(name, (DoorstepError,), {"status": status, "reason": reason, "message": message})


# Authentication and access
Unauthenticated = _error("Unauthenticated", 401, "unauthenticated", "需要登录 Authentication required")
BadCredentials = _error(
    "BadCredentials", 401, "bad_credentials", "用户名或密码错误 Wrong username or password"
)
TokenExpired = _error("TokenExpired", 401, "token_expired", "登录已过期 Token expired")
AccountDisabled = _error("AccountDisabled", 401, "account_disabled", "账号已停用 Account disabled")
AccountLocked = _error(
    "AccountLocked", 429, "account_locked", "登录失败次数过多，请稍后再试 Too many failed logins"
)
Forbidden = _error("Forbidden", 403, "forbidden", "无权执行此操作 Not allowed for your role")
NotFound = _error("NotFound", 404, "not_found", "未找到 Not found")
LinkInvalid = _error("LinkInvalid", 403, "link_invalid", "链接无效 Invalid link")
LinkExpired = _error(
    "LinkExpired", 403, "link_expired", "链接已过期，请刷新页面 Link expired, reload the page"
)

# Input
ValidationFailed = _error("ValidationFailed", 422, "validation_failed", "数据校验未通过 Validation failed")
Conflict = _error("Conflict", 409, "conflict", "与已有数据冲突 Conflicts with existing data")
DuplicateSubmission = _error(
    "DuplicateSubmission",
    409,
    "instance_id_conflict",
    "同一 instance_id 已提交了不同内容 Same instance_id with different content",
)
AlreadyDecided = _error("AlreadyDecided", 409, "already_decided", "该走访已审核 Visit already decided")
InvalidTransition = _error(
    "InvalidTransition", 409, "invalid_transition", "状态不允许此操作 Not allowed in this state"
)
AlreadyRevised = _error(
    "AlreadyRevised", 409, "already_revised", "该走访已有复访纠正 Visit already corrected by another visit"
)
SlotLocked = _error(
    "SlotLocked",
    409,
    "slot_locked",
    "走访已完整提交，不能替换附件 Visit complete: attachment cannot be replaced",
)
UnknownSlot = _error("UnknownSlot", 404, "unknown_slot", "表单中没有这个附件位置 No such attachment slot")
UnknownForm = _error("UnknownForm", 422, "unknown_form", "表单或版本不存在 Unknown form or version")
MalformedJson = _error("MalformedJson", 400, "invalid_json", "JSON 格式无效 Malformed JSON")
JsonTooDeep = _error("JsonTooDeep", 400, "json_too_deep", "JSON 嵌套过深 JSON nested too deeply")
InvalidUnicode = _error(
    "InvalidUnicode", 400, "invalid_unicode", "文本含无效的 Unicode 字符 Text is not valid Unicode"
)
InvalidSubmission = _error(
    "InvalidSubmission", 400, "invalid_submission", "提交的表单数据无法读取 Submission cannot be read"
)
ImportFailed = _error(
    "ImportFailed", 422, "import_failed", "导入失败，未写入任何数据 Import failed, nothing written"
)

# Uploads
PayloadTooLarge = _error("PayloadTooLarge", 413, "too_large", "文件过大 Upload too large")
TooManyPixels = _error("TooManyPixels", 413, "too_many_pixels", "图片像素过多 Image has too many pixels")
NotAnImage = _error("NotAnImage", 415, "not_an_image", "不是 JPEG 或 PNG 图片 Not a JPEG or PNG image")
CorruptImage = _error("CorruptImage", 400, "corrupt_image", "图片已损坏 Image is corrupt or truncated")
ChecksumMismatch = _error("ChecksumMismatch", 400, "checksum_mismatch", "校验和不一致 Checksum mismatch")

# Infrastructure
StorageUnavailable = _error(
    "StorageUnavailable", 503, "storage_unavailable", "文件存储暂不可用，请重试 Storage unavailable, retry"
)
DatabaseUnavailable = _error(
    "DatabaseUnavailable", 503, "database_unavailable", "数据库暂不可用，请重试 Database unavailable, retry"
)


def _http_error_body(err: HTTPException) -> dict:
    body = {"code": err.code, "status": HTTPStatus(err.code).phrase, "message": err.description or err.name}
    data = getattr(err, "data", None) or {}
    errors = data.get("messages") or data.get("errors")
    if errors:
        body["errors"] = {"reason": "validation_failed", "fields": errors}
    return body


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DoorstepError)
    def _domain(err: DoorstepError):
        return jsonify(err.to_body()), err.status

    @app.errorhandler(ConnectionFailure)
    def _database_down(err: ConnectionFailure):
        # the phone retries with the same instance_id / bytes: nothing is duplicated
        error = DatabaseUnavailable(detail=type(err).__name__)
        return jsonify(error.to_body()), error.status, {"Retry-After": "5"}

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        headers = dict(getattr(err, "data", {}).get("headers", {}) or {})
        return jsonify(_http_error_body(err)), err.code, headers
