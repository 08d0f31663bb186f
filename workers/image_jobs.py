"""Image jobs: thumbnails (240, 1024 px) beside each original, a perceptual hash per attachment and the
robust fingerprint (index keys + verification features) of each photo and signature, all from one
decode of the original (`app.images.derive`). The check job reads the stored fingerprint, never the image.

S3 reads and writes overlap with the decoding (a few threads: boto3 clients are thread-safe), and the
visit's database writes are two bulk writes: the features, then the attachments (thumbnail keys, pHash,
index keys), so a search never finds index keys whose features are missing.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from pymongo import UpdateOne

from app.checks.reuse import save_prints
from app.images.derive import PRINT_VERSION, SEARCHED_KINDS, derive
from app.images.hashing import hash_bands
from app.images.thumbnails import THUMBNAIL_SIZES
from app.storage import ObjectStore
from app.visits.models import Attachment
from workers.runtime import services

log = logging.getLogger(__name__)

S3_THREADS = 4


def process_visit_images(visit_id: str) -> int:
    """Derivatives for every attachment of the visit that lacks them. Returns images processed."""
    return derive_images(services().store, visit_id)


def _missing(attachment: Attachment) -> tuple[bool, bool]:
    """(needs a fingerprint: none yet, or one of an older scheme; needs thumbnails and pHash)."""
    wanted = {str(size) for size in THUMBNAIL_SIZES}
    needs_print = attachment.kind in SEARCHED_KINDS and attachment.print_version != PRINT_VERSION
    return needs_print, not attachment.phash or not wanted <= set(attachment.thumbnails)


def derive_images(store: ObjectStore, visit_id: str) -> int:
    """Thumbnails, pHash and fingerprint of each attachment still missing one; one decode per image."""
    todo = [a for a in Attachment.objects(visit_id=visit_id) if any(_missing(a))]
    if not todo:
        return 0
    prints, updates = [], []
    with ThreadPoolExecutor(S3_THREADS) as pool:
        originals = pool.map(store.get, [a.key for a in todo])  # fetched while earlier ones decode
        puts = []
        for attachment, original in zip(todo, originals, strict=True):
            needs_print, needs_rest = _missing(attachment)
            made = derive(attachment.kind, original)
            fields = {"print_version": PRINT_VERSION} if needs_print else {}
            if needs_print and made.fingerprint is not None:
                prints.append((attachment, made.fingerprint))
                fields["match_keys"] = made.fingerprint.keys
            if needs_rest:
                thumbnails = {}
                for size in THUMBNAIL_SIZES:
                    key = f"{attachment.key.rsplit('.', 1)[0]}.t{size}.jpg"
                    puts.append(pool.submit(store.put, key, made.thumbnails[size], "image/jpeg"))
                    thumbnails[str(size)] = key
                fields |= {"thumbnails": thumbnails, "phash": made.phash}
                fields["phash_bands"] = hash_bands(made.phash)
            if fields:
                which = {"_id": attachment.id, "sha256": attachment.sha256}
                updates.append(UpdateOne(which, {"$set": fields}))
        for put in puts:
            put.result()  # any S3 failure fails the job before an attachment names a missing thumbnail
    save_prints(prints)
    if updates:
        Attachment._get_collection().bulk_write(updates, ordered=False)
    log.info("visit %s: %d images derived", visit_id, len(todo))
    return len(todo)
