"""A review-queue item: the visit as clients see it, plus what a verifier looks at first."""

from __future__ import annotations

from app.forms.registry import FormRegistry
from app.storage import ObjectStore
from app.visits.models import Visit
from app.visits.presenter import visits_view


def summary(view: dict) -> dict:
    """Failed checks (blocking, then warnings) and each photo's links and EXIF, from a visit view."""
    failed = [c for c in view["checks"] or [] if not c.get("passed")]
    return {
        "failed_checks": sorted({c["code"] for c in failed if c.get("severity") == "error"}),
        "warnings": sorted({c["code"] for c in failed if c.get("severity") != "error"}),
        "photos": [
            {
                "slot": a["slot"],
                "label": a.get("label"),
                "thumbnail_url": a.get("thumbnail_url"),
                "preview_url": a.get("preview_url"),
                "url": a.get("url"),
                "exif": a.get("exif") or {},
            }
            for a in view["attachments"]
            if a.get("kind") == "photo" and a.get("present")
        ],
    }


def queue_items(visits: list[Visit], forms: FormRegistry, store: ObjectStore) -> list[dict]:
    return [view | {"summary": summary(view)} for view in visits_view(visits, forms, store)]
