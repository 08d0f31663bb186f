from marshmallow import Schema, fields

from app.inputs import Text
from app.users.schemas import UserOut


class TokenIn(Schema):
    username = Text(required=True, max_length=100)
    password = Text(required=True, load_only=True, max_length=200)


class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)
