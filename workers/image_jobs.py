"""Image jobs: thumbnails (240, 1024 px) beside each original, a perceptual hash per attachment and the
robust fingerprint (index keys + verification features) of each photo and signature."""

from __future__ import annotations

import io
import logging

from app.checks.reuse import print_of, save_print
from app.images.hashing import hash_bands, perceptual_hash
from app.images.thumbnails import THUMBNAIL_SIZES, make_thumbnail
from app.storage import ObjectStore
from app.visits.models import Attachment
from workers.runtime import services

log = logging.getLogger(__name__)


def process_visit_images(visit_id: str) -> int:
    """Derivatives for every attachment of the visit that lacks them. Returns images processed."""
    return derive_images(services().store, visit_id)


def derive_images(store: ObjectStore, visit_id: str) -> int:
    done = 0
    for attachment in Attachment.objects(visit_id=visit_id):
        wanted = {str(size) for size in THUMBNAIL_SIZES}
        needs_print = attachment.kind in ("photo", "signature") and not attachment.match_keys
        if attachment.phash and wanted <= set(attachment.thumbnails) and not needs_print:
            continue
        original = store.get(attachment.key)
        if needs_print:
            fingerprint = print_of(attachment.kind, original)
            if fingerprint is not None:
                save_print(attachment, fingerprint)
        if attachment.phash and wanted <= set(attachment.thumbnails):
            done += 1
            continue
        thumbnails = {}
        for size in THUMBNAIL_SIZES:
            key = f"{attachment.key.rsplit('.', 1)[0]}.t{size}.jpg"
            store.put(key, make_thumbnail(io.BytesIO(original), size), "image/jpeg")
            thumbnails[str(size)] = key
        phash = perceptual_hash(io.BytesIO(original))
        Attachment.objects(id=attachment.id, sha256=attachment.sha256).update_one(
            set__thumbnails=thumbnails, set__phash=phash, set__phash_bands=hash_bands(phash)
        )
        log.info("visit %s slot %s: thumbnails and phash %s", visit_id, attachment.slot, phash)
        done += 1
    return done
