"""POST /auth/token: exchange a username and password for an expiring bearer token."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from app.login.access import signer
from app.login.credentials import authenticate
from app.login.schemas import TokenIn, TokenOut

blp = Blueprint("login", __name__, description="登录 Authentication")


@blp.route("/token")
class TokenView(MethodView):
    @blp.doc(security=[])
    @blp.arguments(TokenIn)
    @blp.response(200, TokenOut)
    def post(self, credentials):
        cfg = current_app.config["DOORSTEP"]
        user = authenticate(
            credentials["username"],
            credentials["password"],
            max_failures=cfg.LOGIN_MAX_FAILURES,
            lock_seconds=cfg.LOGIN_LOCK_SECONDS,
        )
        token = signer().issue(str(user.id), user.token_version)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": cfg.TOKEN_TTL_SECONDS,
            "user": user,
        }
