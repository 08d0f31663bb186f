"""A stable digest of structured data: tells a retry from a different submission, an unchanged import row
from a changed one."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def json_digest(data: Any) -> str:
    """SHA-256 of the data as canonical JSON (sorted keys; dates and ids as text)."""
    return hashlib.sha256(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()
