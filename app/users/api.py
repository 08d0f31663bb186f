"""Users: /users (admins, and supervisors for their subtree)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.pagination import PAGE, QuerySetPage
from app.users import service
from app.users.schemas import UserIn, UserOut, UserPatch, UserQuery

blp = Blueprint("users", __name__, description="用户 Users")


@blp.route("")
class UsersView(MethodView):
    @blp.arguments(UserQuery, location="query")
    @blp.response(200, UserOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        return service.visible_users(current_principal(), **query)

    @blp.arguments(UserIn)
    @blp.response(201, UserOut)
    def post(self, data):
        return service.create_user(current_principal(), **data)


@blp.route("/<user_id>")
class UserView(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id):
        return service.get_user(current_principal(), user_id)

    @blp.arguments(UserPatch)
    @blp.response(200, UserOut)
    def patch(self, changes, user_id):
        return service.update_user(current_principal(), user_id, changes)
