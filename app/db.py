"""MongoDB connection. Every write is journaled (j=True): a visit acknowledged to a phone survives a crash."""

from __future__ import annotations

import mongoengine
from mongoengine.connection import get_db

ALIAS = "default"


def connect(uri: str, write_concern: str = "1") -> None:
    """(Re)connect mongoengine's default alias; safe to call again with a new URI (tests, drills)."""
    mongoengine.disconnect(alias=ALIAS)
    mongoengine.connect(
        host=uri,
        alias=ALIAS,
        uuidRepresentation="standard",
        tz_aware=True,
        w=int(write_concern) if write_concern.isdigit() else write_concern,
        journal=True,
        serverSelectionTimeoutMS=3000,
        connectTimeoutMS=3000,
        socketTimeoutMS=30000,
    )


def ping() -> None:
    get_db(ALIAS).command("ping")


def ensure_indexes(documents) -> None:
    """Create every document's declared indexes once, explicitly (start-up of `doorstep init`)."""
    for document in documents:
        document.ensure_indexes()
