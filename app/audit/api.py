"""GET /audit: who did what, when (supervisors and admins, within their areas)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.audit import service
from app.auth.current import current_principal
from app.inputs import SINCE, Moment, Text
from app.pagination import PAGE, QuerySetPage

blp = Blueprint("audit", __name__, description="审计日志 Audit log")


class AuditQuery(Schema):
    area = Text(max_length=12, metadata={"description": "an area code: events in its subtree"})
    actor = Text(max_length=100)
    since = Moment(**SINCE)
    action = Text(max_length=100)
    object_id = Text(max_length=64)


class AuditOut(Schema):
    id = fields.String()
    at = fields.DateTime()
    actor = fields.String()
    actor_id = fields.String()
    role = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    area_path = fields.List(fields.String())
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    details = fields.Dict()


@blp.route("")
class AuditView(MethodView):
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        return service.search(current_principal(), **query)
