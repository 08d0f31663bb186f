"""MongoDB connection. Every write is journaled (j=True): a visit acknowledged to a phone survives a crash."""

from __future__ import annotations

import mongoengine
from mongoengine.connection import get_db

ALIAS = "default"


# Requests fail fast when the database does not answer. Batch commands (reconcile, migrate) run
# aggregations over whole collections: on a single-threaded server such as the embedded one, a busy
# server also leaves the driver's heartbeat unanswered, and with request timeouts the driver would give
# up on the server and cancel the long operation midway.
REQUEST_TIMEOUTS_MS = {"connectTimeoutMS": 3000, "socketTimeoutMS": 30000}
BATCH_TIMEOUTS_MS = {"connectTimeoutMS": 600_000, "socketTimeoutMS": 3_600_000}


def connect(uri: str, write_concern: str = "1", *, batch: bool = False) -> None:
    """(Re)connect mongoengine's default alias; safe to call again with a new URI (tests, drills).
    `batch`: timeouts for long whole-collection work instead of a request's."""
    mongoengine.disconnect(alias=ALIAS)
    mongoengine.connect(
        host=uri,
        alias=ALIAS,
        uuidRepresentation="standard",
        tz_aware=True,
        w=int(write_concern) if write_concern.isdigit() else write_concern,
        journal=True,
        serverSelectionTimeoutMS=3000,
        **(BATCH_TIMEOUTS_MS if batch else REQUEST_TIMEOUTS_MS),
    )


def connect_for_batch(config) -> None:
    """Reconnect with batch timeouts (a CLI command about to scan whole collections)."""
    connect(config.MONGODB_URI, config.MONGODB_WRITE_CONCERN, batch=True)


def ping() -> None:
    get_db(ALIAS).command("ping")


def ensure_indexes(documents) -> None:
    """Create every document's declared indexes once, explicitly (start-up of `doorstep init`)."""
    for document in documents:
        document.ensure_indexes()
