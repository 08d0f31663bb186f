"""Module-level job functions. Each takes ids, is idempotent, and lets exceptions propagate."""

from __future__ import annotations

from app import db
from workers.runtime import services


def heartbeat(token: str) -> dict:
    """A round trip through the real worker: touches MongoDB and S3 from inside the app context."""
    db.ping()
    svc = services()
    svc.store.ping()
    return {"token": token, "bucket": svc.store.bucket}
