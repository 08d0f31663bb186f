from marshmallow import Schema, fields

from app.users.schemas import UserOut


class TokenIn(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)
