"""The caller of the current request, as set by `app.login.access` when the request was authenticated."""

from __future__ import annotations

from flask import g

from app.auth.principal import Principal
from app.errors import Unauthenticated


def current_principal() -> Principal:
    principal = g.get("principal")
    if principal is None:
        raise Unauthenticated()
    return principal
