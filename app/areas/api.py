"""Areas: /areas?parent=CODE, /areas/CODE, POST /areas (admin), POST /areas/import (admin)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.areas import service
from app.areas.schemas import AreaIn, AreaOut, AreaQuery
from app.auth.current import current_principal
from app.uploads import uploaded_file

blp = Blueprint("areas", __name__, description="行政区划 Areas")


@blp.route("")
class AreasView(MethodView):
    @blp.arguments(AreaQuery, location="query")
    @blp.response(200, AreaOut(many=True))
    def get(self, query):
        return service.list_areas(current_principal(), query.get("parent"))

    @blp.arguments(AreaIn)
    @blp.response(201, AreaOut)
    def post(self, data):
        return service.create_area(current_principal(), data["code"], data["name"])


@blp.route("/import")
class AreaImportView(MethodView):
    @blp.response(200)
    def post(self):
        stream, filename = uploaded_file(request)
        return service.load_areas(current_principal(), stream, filename)


@blp.route("/<code>")
class AreaView(MethodView):
    @blp.response(200, AreaOut)
    def get(self, code):
        return service.get_area(current_principal(), code)
