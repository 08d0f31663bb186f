"""What login stores besides the user: per-user app tokens for phones."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, ListField, StringField


class AppToken(Document):
    """A phone's token for /openrosa/key/<token> (see app/login/app_tokens.py); only its hash is kept."""

    user_id = StringField(required=True)
    token_hash = StringField(required=True, unique=True)  # sha256 hex of the token
    label = StringField(max_length=100)
    area_paths = ListField(StringField())  # the user's, for scoping who may see the token
    created_by = StringField()
    created_at = DateTimeField(required=True)
    last_used_at = DateTimeField()
    revoked_at = DateTimeField()

    meta = {"collection": "app_tokens", "indexes": ["user_id"]}
