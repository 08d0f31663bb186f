"""Which stored object a media link to an attachment names, and its type."""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId

from app.errors import NotFound
from app.visits.models import Attachment


@dataclass(frozen=True)
class MediaFile:
    key: str
    content_type: str
    name: str  # a file name for Content-Disposition: slot and variant


def media_file(attachment_id: str, variant: str) -> MediaFile:
    """The object behind one variant of an attachment; NotFound if it (or that thumbnail) does not exist."""
    attachment = Attachment.objects(id=attachment_id).first() if ObjectId.is_valid(attachment_id) else None
    if attachment is None:
        raise NotFound()
    if variant == "original":
        ext = "png" if attachment.content_type == "image/png" else "jpg"
        return MediaFile(attachment.key, attachment.content_type, f"{attachment.slot}.{ext}")
    key = (attachment.thumbnails or {}).get(variant)
    if not key:
        raise NotFound("缩略图尚未生成 Thumbnail not made yet")
    return MediaFile(key, "image/jpeg", f"{attachment.slot}.{variant}.jpg")
