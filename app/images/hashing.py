"""Fingerprints for spotting reused photos: SHA-256 for exact copies, a 64-bit pHash for near copies.

A reused photo is rarely byte-identical: messaging apps re-encode and shrink it. pHash survives that,
and the band index turns "within Hamming distance t" into exact-match lookups on a multikey index:
each stored photo is indexed by its HASH_BANDS position-tagged 16-bit bands (`hash_bands`), and a new
photo probes every band together with its 16 one-bit neighbours (`probe_bands`). Pigeonhole: two
hashes differing in at most 2*HASH_BANDS - 1 = 7 bits differ in at most one bit in some band, so that
band is among the probes. Only the candidates found get a Hamming check.

Measured on devkit.imagegen photos at 1600x1200 (the pairs tests/test_images.py checks, and more):
  copies re-encoded at quality 30-95 and resized to 25-100% (800 copies of 40 photos): distance 0-4;
  distinct photos, 200 seeds (19,900 pairs): min 12, mean ~31, none within 7.
So NEAR_DUPLICATE_DISTANCE = 7 sits in the gap with margin on both sides. Exact 8-bit bands (the first
design) guarantee recall at 7 too, but ~3-4% of unrelated photos share one, so the candidates grow with
the store; 16-bit bands with neighbour probes match ~4*17/65536 = 0.1% of unrelated photos: 20 instead
of 621 candidates and 11x faster at 20k stored photos (bench/dup_alternatives.py).
"""

from __future__ import annotations

import hashlib

import imagehash
from PIL import Image, ImageOps

from app.images.inspect import Source, open_source
from app.images.thumbnails import flatten_on_white

HASH_BANDS = 4
NEAR_DUPLICATE_DISTANCE = 2 * HASH_BANDS - 1  # the largest distance the band probes are guaranteed to find
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


def probe_bands(h: str, bands: int = HASH_BANDS) -> list[str]:
    """The keys to look up for `h`: each of its bands and every band one bit away from it."""
    probes = []
    for tagged in hash_bands(h, bands):
        position, piece = tagged.split(":")
        value, width = int(piece, 16), len(piece)
        probes.append(tagged)
        probes += [f"{position}:{value ^ (1 << bit):0{width}x}" for bit in range(width * 4)]
    return probes


def sha256_file(source: Source) -> str:
    """Hex SHA-256 of the whole file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open_source(source) as fp:
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
