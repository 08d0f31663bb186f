"""A review-queue item: the visit as clients see it, plus what a verifier looks at first."""

from __future__ import annotations

from app.forms.registry import FormRegistry
from app.media.links import MediaLinks
from app.visits.models import Visit
from app.visits.presenter import visits_view


def failed_codes(checks: list[dict] | None) -> tuple[list[str], list[str]]:
    """Codes of the failed blocking checks, and of the failed non-blocking ones (warnings)."""
    failed = [c for c in checks or [] if not c.get("passed")]
    errors = sorted({c["code"] for c in failed if c.get("severity") == "error"})
    return errors, sorted({c["code"] for c in failed if c.get("severity") != "error"})


def summary(view: dict) -> dict:
    """Failed checks (blocking, then warnings) and each photo's links and EXIF, from a visit view."""
    errors, warnings = failed_codes(view["checks"])
    return {
        "failed_checks": errors,
        "warnings": warnings,
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


def queue_items(visits: list[Visit], forms: FormRegistry, links: MediaLinks) -> list[dict]:
    return [view | {"summary": summary(view)} for view in visits_view(visits, forms, links)]
