"""整改佐证: evidence that a ledger item's problem was fixed, a follow-up visit or a photo of a document.

The keepers of the ledger and the item's responsible cadre add evidence while the item is open. A photo
is checked like a visit's photo (a real JPEG or PNG within the limits), stored once per content (the same
bytes again change nothing) and listed with its hash; a follow-up visit must be a submitted visit of the
same household.
"""

from __future__ import annotations

from bson import ObjectId

from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import NotFound, ValidationFailed
from app.images.inspect import inspect_image
from app.rectification.models import Evidence, RectificationItem
from app.rectification.service import get_item, open_item_for_follow_up
from app.storage import ObjectStore
from app.visits.models import Visit
from app.visits.upload import ReceivedUpload


def _push(item: RectificationItem, evidence: Evidence, **unless) -> bool:
    """Add evidence to the still-open item (unless an entry matching `unless` is there already)."""
    condition = {f"evidence__{name}__ne": value for name, value in unless.items()}
    added = RectificationItem.objects(id=item.id, status="open", **condition).update_one(
        push__evidence=evidence, set__updated_at=evidence.added_at
    )
    return bool(added)


def add_visit(
    principal: Principal, item_id: str, visit_id: str, note: str | None = None
) -> tuple[RectificationItem, bool]:
    """A follow-up visit (复查走访) as evidence. Returns (item, added); the same visit again adds nothing."""
    item = open_item_for_follow_up(principal, item_id)
    visit = (
        Visit.objects(id=visit_id).only("household_id", "state").first()
        if ObjectId.is_valid(visit_id)
        else None
    )
    if visit is None or visit.household_id != item.household_id:
        raise ValidationFailed(errors={"visit_id": ["不是该户的走访 Not a visit of this household"]})
    if visit.state == "receiving":
        raise ValidationFailed(errors={"visit_id": ["走访尚未提交 The visit is not submitted yet"]})
    evidence = Evidence(
        kind="visit", visit_id=visit_id, note=note, added_by=principal.username,
        added_by_id=principal.user_id, added_at=now(),
    )  # fmt: skip
    added = _push(item, evidence, visit_id=visit_id)
    if added:
        audit.record(
            principal, "rectification.evidence", "rectification", str(item.id), item.area_path,
            kind="visit", visit_id=visit_id,
        )  # fmt: skip
    return RectificationItem.objects.get(id=item.id), added


def photo_key(item: RectificationItem, sha256: str, content_type: str) -> str:
    """county/town/village/household/rectifications/item/hash.ext, beside the household's visit files."""
    county, town, village = (item.area_path + [""] * 5)[2:5]
    ext = "png" if content_type == "image/png" else "jpg"
    return f"{county}/{town}/{village}/{item.household_id}/rectifications/{item.id}/{sha256[:16]}.{ext}"


def add_photo(
    principal: Principal,
    item_id: str,
    upload: ReceivedUpload,
    store: ObjectStore,
    *,
    max_bytes: int,
    max_pixels: int,
    note: str | None = None,
) -> tuple[RectificationItem, bool]:
    """A photo of a document (验收单, 证明材料) as evidence. Returns (item, added)."""
    item = open_item_for_follow_up(principal, item_id)
    if any(e.sha256 == upload.sha256 for e in item.evidence):
        return item, False  # a retry
    upload.file.seek(0)
    info = inspect_image(upload.file, max_bytes=max_bytes, max_pixels=max_pixels)
    key = photo_key(item, upload.sha256, info.content_type)
    upload.file.seek(0)
    store.put(
        key,
        upload.file,
        info.content_type,
        sha256_hex=upload.sha256,
        metadata={"rectification": str(item.id)},
    )
    evidence = Evidence(
        kind="photo", key=key, sha256=upload.sha256, size=upload.size, content_type=info.content_type,
        note=note, added_by=principal.username, added_by_id=principal.user_id, added_at=now(),
    )  # fmt: skip
    added = _push(item, evidence, sha256=upload.sha256)
    if added:
        audit.record(
            principal, "rectification.evidence", "rectification", str(item.id), item.area_path,
            kind="photo", sha256=upload.sha256,
        )  # fmt: skip
    return RectificationItem.objects.get(id=item.id), added


def photo(principal: Principal, item_id: str, sha256: str) -> Evidence:
    """A document photo of an item the caller can see, by its hash (to look at before closing it)."""
    item = get_item(principal, item_id)
    found = next((e for e in item.evidence if e.kind == "photo" and e.sha256 == sha256), None)
    if found is None:
        raise NotFound("没有这张佐证照片 No such evidence photo")
    return found
