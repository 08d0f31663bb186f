"""POST /auth/token: exchange a username and password for an expiring bearer token."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.error_handler import ErrorSchema

from app.login.access import log_in
from app.login.schemas import TokenIn, TokenOut

blp = Blueprint("login", __name__, description="登录 Authentication")


@blp.route("/token")
class TokenView(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenIn)
    @blp.response(200, TokenOut)
    @blp.alt_response(401, schema=ErrorSchema, description="wrong username or password, or account disabled")
    @blp.alt_response(429, schema=ErrorSchema, description="too many wrong passwords from this address")
    def post(self, credentials):
        user, token = log_in(credentials["username"], credentials["password"], channel="api")
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": current_app.config["DOORSTEP"].TOKEN_TTL_SECONDS,
            "user": user,
        }
