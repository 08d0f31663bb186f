"""Fingerprints for spotting reused photos: SHA-256 for exact copies, a 64-bit pHash for near copies.

A reused photo is rarely byte-identical: messaging apps re-encode and shrink it. pHash survives that,
and `hash_bands` turns "within Hamming distance t" into an exact-match index lookup (pigeonhole: split
the 64 bits into HASH_BANDS bands; two hashes differing in fewer than HASH_BANDS bits agree on at least
one whole band), so candidates come from a multikey index and only they get a Hamming check.

Measured on app.images.synthetic photos at 1600x1200 (the pairs tests/test_images.py checks, and more):
  copies re-encoded at quality 30-95 and resized to 25-100% (800 copies of 40 photos): distance 0-4;
  distinct photos, 200 seeds (19,900 pairs): min 12, mean ~31, none within 7.
So NEAR_DUPLICATE_DISTANCE = 7 sits in the gap with margin on both sides, and 8 bands of 8 bits is the
coarsest split that still guarantees recall at 7. The price: about 4% of unrelated pairs share some
8-bit band (measured 4.0%), i.e. ~25x fewer Hamming checks than a full scan; 4 bands of 16 bits would
cut that to ~0.03% but guarantee recall only up to distance 3, too tight for real re-shares.
"""

from __future__ import annotations

import hashlib

import imagehash
from PIL import Image, ImageOps

from app.images.inspect import Source, open_source
from app.images.thumbnails import flatten_on_white

HASH_BANDS = 8
NEAR_DUPLICATE_DISTANCE = HASH_BANDS - 1  # the largest distance the band index is guaranteed to find
_CHUNK = 1 << 20


def perceptual_hash(source: Source) -> str:
    """64-bit DCT pHash of the upright image, as 16 hex characters."""
    with open_source(source) as fp, Image.open(fp) as img:
        if img.format == "JPEG":
            img.draft("L", (256, 256))  # pHash looks at 32x32 grey; decode luma only, downscaled
        upright = flatten_on_white(ImageOps.exif_transpose(img))  # transparent ink must not read as black
        return str(imagehash.phash(upright, hash_size=8))


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two equal-length hex hashes."""
    if len(a) != len(b):
        raise ValueError(f"hash lengths differ: {len(a)} != {len(b)}")
    return (int(a, 16) ^ int(b, 16)).bit_count()


def hash_bands(h: str, bands: int = HASH_BANDS) -> list[str]:
    """Split a hex hash into `bands` position-tagged pieces, e.g. ["0:ab", "1:cd", ...], for indexing."""
    if bands < 1 or len(h) % bands:
        raise ValueError(f"{len(h)} hex digits do not split into {bands} bands")
    width = len(h) // bands
    return [f"{i}:{h[i * width : (i + 1) * width].lower()}" for i in range(bands)]


def sha256_file(source: Source) -> str:
    """Hex SHA-256 of the whole file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open_source(source) as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
