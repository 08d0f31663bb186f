"""整改台账 Rectification ledger: list, add by hand, follow up and close."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.auth.current import current_principal
from app.pagination import PAGE, QuerySetPage
from app.rectification import service
from app.rectification.schemas import (
    RectificationIn,
    RectificationOut,
    RectificationPatch,
    RectificationQuery,
)

blp = Blueprint("rectifications", __name__, description="整改台账 Rectification ledger")


@blp.route("")
class RectificationsView(MethodView):
    @blp.arguments(RectificationQuery, location="query")
    @blp.response(200, RectificationOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Items in your areas, newest first. Opened automatically by failed blocking checks and by
        rejections or revisit requests, or by hand."""
        return service.visible_items(current_principal(), **query)

    @blp.arguments(RectificationIn)
    @blp.response(201, RectificationOut)
    def post(self, data):
        """Add a problem by hand (verifiers, supervisors, admins)."""
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
        """Set measure, deadline or responsible person; `status: closed` with a `close_note` closes it."""
        return service.update_item(current_principal(), item_id, changes)
