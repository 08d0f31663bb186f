"""Signed, expiring bearer tokens carrying the user id and token version."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import TokenExpired, Unauthenticated

SALT = "doorstep-access-token"


class TokenSigner:
    def __init__(self, secret_key: str, ttl_seconds: int):
        self.ttl = ttl_seconds
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def issue(self, user_id: str, token_version: int) -> str:
        return self._serializer.dumps({"uid": user_id, "ver": token_version})

    def read(self, token: str) -> tuple[str, int]:
        try:
            data = self._serializer.loads(token, max_age=self.ttl)
        except SignatureExpired as err:
            raise TokenExpired() from err
        except BadSignature as err:
            raise Unauthenticated("令牌无效 Invalid token") from err
        return data["uid"], data["ver"]
