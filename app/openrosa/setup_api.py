"""Phone set-up for admins and supervisors: per-user app tokens and Collect QR codes.

Under /api/v1/users/{user_id}: `app-tokens` (create, list, revoke) and `collect-qr.png` (the QR code
with the server URL and username). Who may: admins, and supervisors for users they manage.
"""

from __future__ import annotations

import base64

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.auth.current import current_principal
from app.inputs import Text
from app.login import app_tokens
from app.login.models import AppToken
from app.openrosa import setup
from app.public_url import public_base_url

blp = Blueprint("phone_setup", __name__, description="手机设置 Phone set-up (ODK Collect, KoboCollect)")


class AppTokenIn(Schema):
    label = Text(load_default="", fits=AppToken.label)


class AppTokenOut(Schema):
    id = fields.String()
    label = fields.String()
    created_by = fields.String()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class NewAppTokenOut(AppTokenOut):
    token = fields.String(metadata={"description": "shown once; only its hash is stored"})
    server_url = fields.String(metadata={"description": "the URL to give Collect (it carries the token)"})
    qr_png = fields.String(metadata={"description": "data: URL of the Collect set-up QR code (PNG)"})


def server_url(*tail: str) -> str:
    """The public OpenRosa server URL (PUBLIC_URL when set, else as this request reached us)."""
    return public_base_url() + "/".join(["openrosa", *tail])


@blp.route("/<user_id>/app-tokens")
class AppTokensView(MethodView):
    @blp.response(200, AppTokenOut(many=True))
    def get(self, user_id):
        """The user's app tokens (never the tokens themselves)."""
        return app_tokens.app_tokens_of(current_principal(), user_id)

    @blp.arguments(AppTokenIn)
    @blp.response(201, NewAppTokenOut)
    def post(self, data, user_id):
        """A new app token, its server URL and a QR code to set a phone up with it."""
        record, token = app_tokens.create_app_token(current_principal(), user_id, data["label"])
        url = server_url("key", token)
        png = setup.qr_png(setup.collect_settings(url))
        return {
            **{k: getattr(record, k) for k in ("label", "created_by", "created_at")},
            "id": str(record.id),
            "token": token,
            "server_url": url,
            "qr_png": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        }


@blp.route("/<user_id>/app-tokens/<token_id>")
class AppTokenView(MethodView):
    @blp.response(200, AppTokenOut)
    def delete(self, user_id, token_id):
        """Revoke a token: phones using it are refused from the next request on."""
        return app_tokens.revoke_app_token(current_principal(), user_id, token_id)


@blp.route("/<user_id>/collect-qr.png")
class CollectQrView(MethodView):
    @blp.response(200, content_type="image/png", description="QR code: server URL and username")
    def get(self, user_id):
        """Collect set-up QR code: server URL and username (the password is typed on the phone)."""
        principal = current_principal()
        user = app_tokens.managed_user(principal, user_id)
        png = setup.qr_png(setup.collect_settings(server_url(), username=user.username))
        return Response(png, mimetype="image/png")
