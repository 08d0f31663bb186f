"""Build visit payloads, real images and uploads for intake and worker tests."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta

from devkit.answers import VISIT_START, visit_json
from devkit.generate import SLOTS
from devkit.imagegen import make_photo, make_signature

PHOTO_SLOTS = [s for s, k in SLOTS.items() if k == "photo"]
SIGNATURE_SLOTS = [s for s, k in SLOTS.items() if k == "signature"]


def visit_payload(household, *, instance_id: str | None = None, seed: int = 1, **overrides) -> dict:
    return visit_json(household, instance_id=instance_id, seed=seed) | overrides


def evidence(household, seed: int, *, taken_at: datetime | None = None, gps=None, size=(800, 600)) -> dict:
    """Real JPEG photos (EXIF time and GPS at the household during the visit) and PNG signatures."""
    taken_at = taken_at or VISIT_START + timedelta(minutes=10)
    gps = gps or (household.lat, household.lon)
    files = {}
    for i, slot in enumerate(PHOTO_SLOTS):
        files[slot] = make_photo(seed * 100 + i, width=size[0], height=size[1], taken_at=taken_at, gps=gps)
    for i, slot in enumerate(SIGNATURE_SLOTS):
        files[slot] = make_signature(seed * 100 + 50 + i)
    return files


def put_attachment(
    client, headers, visit_id: str, slot: str, body: bytes, *, content_type=None, checksum=True
):
    extra = {"Content-Type": content_type or ("image/png" if body[:4] == b"\x89PNG" else "image/jpeg")}
    if checksum:
        extra["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
    return client.put(
        f"/api/v1/visits/{visit_id}/attachments/{slot}", data=body, headers={**headers, **extra}
    )
