"""Households: list, read, create, change, import."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.auth.current import current_principal
from app.households import service
from app.households.importer import import_households
from app.households.presenter import household_view, households_view
from app.households.schemas import HouseholdIn, HouseholdOut, HouseholdPatch, HouseholdQuery
from app.pagination import PAGE, QuerySetPage, RenderedQuery
from app.uploads import uploaded_file

blp = Blueprint("households", __name__, description="建档立卡户 Households")


@blp.route("")
class HouseholdsView(MethodView):
    @blp.arguments(HouseholdQuery, location="query")
    @blp.response(200, HouseholdOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        principal = current_principal()
        return RenderedQuery(
            service.visible_households(principal, **query), lambda page: households_view(page, principal)
        )

    @blp.arguments(HouseholdIn)
    @blp.response(201, HouseholdOut)
    def post(self, data):
        principal = current_principal()
        return household_view(service.create_household(principal, data), principal)


@blp.route("/import")
class HouseholdImportView(MethodView):
    @blp.response(200)
    @blp.alt_response(
        422, schema=ErrorSchema, description="Row errors: errors.errors = {row: {column: [message]}}"
    )
    def post(self):
        """Import a CSV or XLSX file (multipart part `file`); all rows or none. Headers as in the README;
        贫困状态 sets a new household's poverty status (default 贫困户), never an existing one's."""
        stream, filename = uploaded_file(request)
        return import_households(current_principal(), stream, filename)


@blp.route("/<household_id>")
class HouseholdView(MethodView):
    @blp.response(200, HouseholdOut)
    def get(self, household_id):
        principal = current_principal()
        return household_view(service.get_household(principal, household_id), principal)

    @blp.arguments(HouseholdPatch)
    @blp.response(200, HouseholdOut)
    def patch(self, changes, household_id):
        principal = current_principal()
        return household_view(service.update_household(principal, household_id, changes), principal)
