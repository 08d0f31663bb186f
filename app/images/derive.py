"""Everything the image job derives from one upload, from ONE decode: both thumbnails, the pHash and
the robust fingerprint (photo or signature).

The original is decoded once, JPEGs in draft mode (libjpeg's DCT scaling) to the smallest scale that
still covers the largest thumbnail, shrunk to that thumbnail, turned upright once (EXIF orientation) and
flattened on white. The 240 px thumbnail and the pHash come from the 1024 px image, the fingerprint from
its grey copy (cut down to `fingerprint.WORK_SIDE`). Before, each of these decoded the original again:
four or five decodes of a 12 MP JPEG per photo (docs/PERFORMANCE.md, workers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import imagehash
import numpy as np
from PIL import ExifTags, Image

from app.images.fingerprint import PhotoPrint, photo_print, work_image
from app.images.signature_print import ink_of, signature_print
from app.images.thumbnails import THUMBNAIL_QUALITY, THUMBNAIL_SIZES, draft_box, flatten_on_white

LARGEST = max(THUMBNAIL_SIZES)
SEARCHED_KINDS = ("photo", "signature")  # kinds with a fingerprint (app.checks.reuse)
# What the fingerprints store and probe: raise it whenever fingerprint.py or signature_print.py changes
# their keys or features, so `doorstep reprint` re-derives the prints stored before (docs/EVIDENCE.md).
# 2: 24 central anchors with 2 least-sure flips, the small picture, signature flips on both sides.
# 3: photo probes flip each query anchor's 2 least sure bits too.
PRINT_VERSION = 3


@dataclass(frozen=True)
class Derivatives:
    """What the image job stores for one attachment."""

    thumbnails: dict[int, bytes]  # longest side -> JPEG
    phash: str
    fingerprint: PhotoPrint | None  # None for kinds that are never searched


def derive(kind: str, original: bytes) -> Derivatives:
    """Thumbnails, pHash and (for photos and signatures) the fingerprint of one accepted upload."""
    upright = decode_upright(original, LARGEST)
    sized = {LARGEST: upright}
    for side in sorted(THUMBNAIL_SIZES, reverse=True)[1:]:
        smaller = sized[min(sized)].copy()
        smaller.thumbnail((side, side), Image.Resampling.BICUBIC)  # ~5 ms from 1024 px
        sized[side] = smaller
    thumbnails = {side: encode_jpeg(img) for side, img in sized.items()}
    return Derivatives(thumbnails, phash_of(sized[min(sized)]), fingerprint_of(kind, upright))


def decode_upright(original: bytes, side: int) -> Image.Image:
    """The image as RGB on white, upright, longest side at most `side`: the only decode of the original.

    Draft mode leaves at most twice `side` (and at least `DRAFT_SLACK` of it), so a bilinear shrink reads
    every pixel (OpenCV's takes ~12 ms for 1600x1200, Pillow's BICUBIC ~45 ms). Shrinking before turning
    is the same picture (the box is square) and turns far fewer pixels.
    """
    with Image.open(io.BytesIO(original)) as img:
        if img.format == "JPEG":
            img.draft("RGB", draft_box(img.size, side))  # libjpeg scales by 1/2..1/8 while decoding
        orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
        rgb = img if img.mode == "RGB" else flatten_on_white(img)
        pixels = np.asarray(rgb)
    h, w = pixels.shape[:2]
    if max(h, w) > side:
        scale = side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        interpolation = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        pixels = cv2.resize(pixels, size, interpolation=interpolation)
    upright = Image.fromarray(pixels)
    method = _TURNS.get(orientation)
    return upright.transpose(method) if method is not None else upright


_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}  # EXIF orientation -> the turn that makes the picture upright


def encode_jpeg(img: Image.Image) -> bytes:
    """A review-screen JPEG without EXIF (so no GPS leaks); BICUBIC, no `optimize` (bench/thumbnails.py)."""
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def phash_of(img: Image.Image) -> str:
    """64-bit DCT pHash (looks at 32 x 32 grey, so a 240 px thumbnail gives the original's hash)."""
    return str(imagehash.phash(img, hash_size=8))


def fingerprint_of(kind: str, upright: Image.Image) -> PhotoPrint | None:
    """The robust search fingerprint of a photo or signature from its decoded image; None otherwise."""
    if kind == "photo":
        return photo_print(work_image(np.asarray(upright.convert("L"))))
    if kind == "signature":
        return signature_print(ink_of(upright))
    return None
