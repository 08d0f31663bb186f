"""Attachment files: which slot a file may fill, whether it is an acceptable image, where it is stored.

Storing is an insert or a conditional replacement per (visit, slot) that says what was there before, so
of concurrent identical uploads exactly one records the file (201 and one audit entry) and the others
see a retry.
"""

from __future__ import annotations

from bson import ObjectId
from mongoengine import NotUniqueError

from app.area_codes import county_code
from app.errors import UnknownSlot, ValidationFailed
from app.forms.fields import AttachmentSlot
from app.forms.version import FormVersion
from app.images.inspect import ImageInfo, inspect_image
from app.visits.models import Attachment, Visit
from app.visits.upload import ReceivedUpload

# fields the image job fills from the stored file; cleared when a slot's file is replaced
DERIVED = {"thumbnails": {}, "phash": None, "phash_bands": [], "match_keys": [], "print_version": None}


def slot_spec(form: FormVersion, slot: str) -> AttachmentSlot:
    spec = next((s for s in form.attachment_slots if s.slot == slot), None)
    if spec is None:
        raise UnknownSlot(slot=slot, slots=[s.slot for s in form.attachment_slots])
    return spec


def accept_image(
    spec: AttachmentSlot, upload: ReceivedUpload, *, max_bytes: int, max_pixels: int
) -> ImageInfo:
    """The image's facts, or a clear refusal: not an image, a bomb, too large, too small, wrong type."""
    upload.file.seek(0)
    info = inspect_image(
        upload.file, max_bytes=min(max_bytes, spec.max_bytes or max_bytes), max_pixels=max_pixels
    )
    if spec.content_types and info.content_type not in spec.content_types:
        raise ValidationFailed(
            f"此位置只接受 {', '.join(spec.content_types)} Wrong image type for slot",
            slot=spec.slot,
            content_type=info.content_type,
        )
    if (spec.min_width and info.width < spec.min_width) or (
        spec.min_height and info.height < spec.min_height
    ):
        raise ValidationFailed(
            f"图片太小，至少 {spec.min_width}x{spec.min_height} Image too small",
            slot=spec.slot,
            width=info.width,
            height=info.height,
        )
    return info


EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "text/csv": "csv"}


def storage_key(visit: Visit, slot: str, sha256: str, content_type: str) -> str:
    """county/town/village/household/visit/slot-hash.ext: a county's objects stay together."""
    county, town, village = (visit.area_path + [""] * 5)[2:5]
    ext = EXTENSIONS.get(content_type, "bin")
    return f"{county}/{town}/{village}/{visit.household_id}/{visit.id}/{slot}-{sha256[:16]}.{ext}"


def record(
    visit: Visit, spec: AttachmentSlot, key: str, upload: ReceivedUpload, info: ImageInfo, **fields
) -> tuple[str | None, Attachment]:
    """Store the slot's attachment. Returns the sha256 that was there before (None: the slot was empty)
    and the attachment as now stored (built from what was written, not read back).

    An insert (the unique (visit_id, slot) index lets exactly one of concurrent uploads in), else a
    replacement conditional on different bytes (exactly one of concurrent replacements matches). A twin
    that finds its bytes already there gets them back as "before", which callers read as a retry.
    """
    values = dict(
        visit_oid=visit.id,
        household_id=visit.household_id,
        area_path=visit.area_path,
        county_code=county_code(visit.area_path),
        kind=spec.kind,
        key=key,
        sha256=upload.sha256,
        size=upload.size,
        content_type=info.content_type,
        width=info.width,
        height=info.height,
        exif=info.exif.to_dict(),
        **DERIVED,
        **fields,
    )
    attachment = Attachment(id=ObjectId(), visit_id=str(visit.id), slot=spec.slot, **values)
    try:
        attachment.save(force_insert=True)
        return None, attachment
    except NotUniqueError:
        pass  # the slot holds a file: replace it, unless it is already these bytes
    changes = {f"set__{k}": v for k, v in values.items()}
    others = Attachment.objects(visit_id=str(visit.id), slot=spec.slot, sha256__ne=upload.sha256)
    before = others.modify(new=False, **changes)
    if before is None:  # a concurrent twin stored these very bytes first
        return upload.sha256, Attachment.objects(visit_id=str(visit.id), slot=spec.slot).first()
    attachment.id = before.id
    return before.sha256, attachment


def attachments_of(visit: Visit) -> dict[str, Attachment]:
    return {a.slot: a for a in Attachment.objects(visit_id=str(visit.id))}
