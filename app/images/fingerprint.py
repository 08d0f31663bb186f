"""Fingerprints of a photo that survive disguised reuse: index keys for finding candidates, ORB features
for verifying them.

A cadre who reuses another household's photo mirrors, crops, rotates, greys or screenshots it. One
decode gives a small grey image (JPEG draft mode), with uniform borders and screenshot bars trimmed.
From it:

- global keys: 64-bit DCT hashes of the whole frame and of two centre windows, each split into two
  32-bit halves. A search probes the halves of the query's own variants (as is, mirrored, rotated back
  by -10..10 degrees), so a mirrored, grey, re-encoded, screenshotted or rotated copy shares a half
  exactly with its source;
- anchor keys: hashes of patches around the largest SIFT blobs, turned to the blob's orientation and
  scaled to its size. A crop keeps the central blobs, so a cropped copy shares an anchor key;
- ORB keypoints and descriptors (as is and mirrored), packed into bytes: a candidate is a match only if
  enough of them agree on one rotation+scale+shift (RANSAC), which no merely similar scene does.

Keys are int64: a tag in the high bits, 32 hash bits below, so one multikey index holds all kinds and a
search is one `$in` query. See docs/EVIDENCE.md for the figures behind each constant.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from app.images.inspect import Source, open_source
from app.images.thumbnails import flatten_on_white

WORK_SIDE = 512  # longest side of the image every fingerprint is computed from
ANCHOR_SIDE = 320  # SIFT blobs are found at this size: coarse, stable structures only
HASH_SIDE = 256  # global hashes look at 32 x 32: windows and turns are cut from this size
WINDOWS = (1.0, 0.8, 0.64)  # centre windows hashed for the index (0.64 fits inside any 10-degree turn)
ROTATIONS = tuple(a for a in range(-10, 11, 2) if a)  # degrees a query is turned back by
ROTATION_WINDOWS = (0.64, 0.72)
STORED_ANCHORS = 24  # 12 left 14% of crops without a shared key (bench); 24 with 2 flips each: 2-3%
STORED_FLIPS = 2  # stored keys per anchor: its hash and the hashes with one of its 2 least sure bits flipped
QUERY_ANCHORS = 50
QUERY_FLIPS = 2  # ... and probed: ~226 probes, not ~129; 600 of 600 crops and turns share a key, not 594
ANCHOR_RADIUS = 3.0  # patch radius in units of the SIFT blob size
ORB_FEATURES = 300
TINY_FACTOR = 8  # the stored small picture is the work image scaled by 1/8
TAG_GLOBAL, TAG_ANCHOR = 1, 2
ANCHOR_BITS = 40  # anchor keys keep this many of the lowest frequencies: 32 collide on look-alike patches
_ORIENTATION = 0x0112
_MASK32 = 0xFFFFFFFF
_ZIGZAG = sorted(
    ((u, v) for u in range(12) for v in range(12) if (u, v) != (0, 0)), key=lambda t: (t[0] + t[1], t[0])
)[:64]
_ZR = np.array([u for u, _ in _ZIGZAG])
_ZC = np.array([v for _, v in _ZIGZAG])
_SIFT = cv2.SIFT_create(nfeatures=200)
_ORB = cv2.ORB_create(nfeatures=ORB_FEATURES, fastThreshold=10)


@dataclass(frozen=True)
class PhotoPrint:
    """What is stored for one photo: its index keys, the keys to probe for it, its packed features."""

    keys: list[int]
    probes: list[int]
    features: bytes
    mirrored_features: bytes
    tiny: bytes = b""  # the work image at 1/8: does a candidate show the same picture everywhere?


def decode_work_image(source: Source) -> np.ndarray:
    """The photo upright, grey, borders trimmed, longest side WORK_SIDE; JPEGs decode at a reduced scale."""
    with open_source(source) as fp, Image.open(fp) as img:
        if img.format == "JPEG":
            img.draft("L", (WORK_SIDE, WORK_SIDE))  # libjpeg scales by 1/2..1/8 while decoding
        orientation = img.getexif().get(_ORIENTATION, 1)
        grey = np.asarray(flatten_on_white(img).convert("L"))
    return work_image(_upright(grey, orientation))


def work_image(grey: np.ndarray) -> np.ndarray:
    """The fingerprint's input from an upright grey image: borders trimmed, longest side WORK_SIDE."""
    return resize_longest(trim_borders(grey), WORK_SIDE)


def _upright(g: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to a pixel array: cheaper than ImageOps.exif_transpose's copy."""
    if orientation == 5:
        return np.ascontiguousarray(g.T)
    if orientation == 7:
        return np.ascontiguousarray(g[::-1, ::-1].T)
    if orientation in (2, 4):
        g = g[:, ::-1] if orientation == 2 else g[::-1]
    turns = {3: 2, 6: 3, 8: 1}.get(orientation, 0)
    return np.ascontiguousarray(np.rot90(g, turns))


def resize_longest(g: np.ndarray, side: int) -> np.ndarray:
    h, w = g.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(g, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def trim_borders(g: np.ndarray, tolerance: int = 16, content: float = 0.3) -> np.ndarray:
    """Cut flat borders, letterbox bars and a screenshot's status and navigation bars.

    Only when the outermost pixels are one flat black or white (a scene's edge is never that flat); then the
    longest run of rows, and within it of columns, where at least `content` of the pixels differ from
    that colour is the picture (sparse status-bar icons do not make a row content).
    """
    edge = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]]).astype(np.int16)
    ref = np.median(edge)
    if np.median(np.abs(edge - ref)) > 2 or 40 < ref < 215:  # bars are flat black or white; scenes are not
        return g
    far = np.abs(g.astype(np.int16) - ref) > tolerance
    r0, r1 = _longest_run(far.mean(axis=1) >= content)
    if r1 - r0 < g.shape[0] * 0.2:
        return g
    c0, c1 = _longest_run(far[r0:r1].mean(axis=0) >= content)
    if c1 - c0 < g.shape[1] * 0.2:
        return g
    return g[r0:r1, c0:c1]


def _longest_run(mask: np.ndarray) -> tuple[int, int]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    starts, ends = edges[::2], edges[1::2]
    if not len(starts):
        return 0, 0
    i = int(np.argmax(ends - starts))
    return int(starts[i]), int(ends[i])


def dct_hash(patch: np.ndarray) -> int:
    """64-bit hash: signs of the 64 lowest DCT frequencies (zig-zag order, DC left out) above their median."""
    z = lowest_frequencies(patch)
    return bits_of(z > np.median(z))


def lowest_frequencies(patch: np.ndarray) -> np.ndarray:
    """The 64 lowest DCT frequencies of a patch at 32 x 32, zig-zag order, DC left out."""
    d = cv2.dct(cv2.resize(patch.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA))
    return d[_ZR, _ZC]


def bits_of(flags: np.ndarray) -> int:
    """Booleans as an integer, the first one the most significant bit."""
    return int.from_bytes(np.packbits(flags).tobytes(), "big") >> (-len(flags) % 8)


def _window(g: np.ndarray, fraction: float) -> np.ndarray:
    """The centre `fraction` of the image, across and down."""
    h, w = g.shape
    cw, ch = max(1, round(w * fraction)), max(1, round(h * fraction))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    return g[y0 : y0 + ch, x0 : x0 + cw]


def _turned_windows(g: np.ndarray, angle: float, fractions: tuple[float, ...]) -> list[np.ndarray]:
    """The centre windows of the image turned by `angle` degrees: one warp, of the largest window only."""
    h, w = g.shape
    cw, ch = max(1, round(w * max(fractions))), max(1, round(h * max(fractions)))
    y0, x0 = (h - ch) // 2, (w - cw) // 2
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turn[:, 2] -= (x0, y0)  # the largest window's corner becomes the output's origin
    turned = cv2.warpAffine(g, turn, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    out = []
    for f in fractions:
        fw, fh = max(1, round(w * f)), max(1, round(h * f))
        top, left = (h - fh) // 2 - y0, (w - fw) // 2 - x0
        out.append(turned[top : top + fh, left : left + fw])
    return out


def _global_keys(hashes: list[int]) -> list[int]:
    keys = []
    for h in hashes:
        keys += [(TAG_GLOBAL << 33) | (h >> 32), (TAG_GLOBAL << 33) | (1 << 32) | (h & _MASK32)]
    return keys


def sift_blobs(g: np.ndarray) -> tuple[np.ndarray, list]:
    """The ANCHOR_SIDE image and its strong SIFT blobs, largest first: one detection serves both the
    stored anchors and the probes."""
    small = resize_longest(g, ANCHOR_SIDE)
    blobs = sorted(_SIFT.detect(small, None), key=lambda k: -k.size * math.sqrt(k.response))
    return small, [k for k in blobs if ANCHOR_RADIUS * k.size >= 8]


def anchor_hashes(
    small: np.ndarray, blobs: list, count: int, *, central: bool
) -> list[tuple[int, list[int]]]:
    """(ANCHOR_BITS-bit hash, its bits least sure first) of oriented, scale-normalised patches around the
    first `count` blobs: patches turned to the blob's orientation and scaled to its size."""
    h, w = small.shape
    if central:  # stored anchors come from the middle, which any crop of up to 15% a side keeps
        blobs = [k for k in blobs if 0.2 * w < k.pt[0] < 0.8 * w and 0.2 * h < k.pt[1] < 0.8 * h]
    out: dict[int, list[int]] = {}
    for k in blobs:
        radius = ANCHOR_RADIUS * k.size
        warp = cv2.getRotationMatrix2D(k.pt, k.angle, 32 / (2 * radius))
        warp[0, 2] += 16 - k.pt[0]
        warp[1, 2] += 16 - k.pt[1]
        patch = cv2.warpAffine(small, warp, (32, 32), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        z = lowest_frequencies(patch)
        median = np.median(z)  # of all 64, as dct_hash: the key is the hash's ANCHOR_BITS lowest frequencies
        h = bits_of(z[:ANCHOR_BITS] > median)
        if h not in out:
            unsure = np.argsort(np.abs(z[:ANCHOR_BITS] - median))
            out[h] = [ANCHOR_BITS - 1 - int(i) for i in unsure]  # bit positions, least sure first
        if len(out) >= count:
            break
    return list(out.items())


def _anchor_keys(anchors: list[tuple[int, list[int]]], flips: int) -> list[int]:
    """Each anchor's key and the keys with one of its `flips` least sure bits flipped: a copy's patch
    rarely hashes exactly the same, but mostly differs only where a coefficient sat near the median."""
    keys = []
    for h, unsure in anchors:
        for variant in (h, *(h ^ (1 << bit) for bit in unsure[:flips])):
            keys.append((TAG_ANCHOR << 56) | variant)
    return keys


def index_keys(g: np.ndarray, anchors: tuple[np.ndarray, list] | None = None) -> list[int]:
    """The keys stored with a photo: global window halves and anchor keys (with their least sure flips)."""
    small = resize_longest(g, HASH_SIDE)
    keys = _global_keys([dct_hash(_window(small, f)) for f in WINDOWS])
    stored = anchor_hashes(*(anchors or sift_blobs(g)), STORED_ANCHORS, central=True)
    return sorted(set(keys + _anchor_keys(stored, STORED_FLIPS)))


def probe_keys(g: np.ndarray, anchors: tuple[np.ndarray, list] | None = None) -> list[int]:
    """The keys to look up for a photo: those of its mirror, grey, turned-back and cropped variants.
    Anchors are probed unmirrored (a mirrored copy is found by its global keys), each with its
    QUERY_FLIPS least sure bits flipped."""
    hashes = []
    small = resize_longest(g, HASH_SIDE)
    for img in (small, np.ascontiguousarray(small[:, ::-1])):
        hashes += [dct_hash(_window(img, f)) for f in WINDOWS]
        hashes += [dct_hash(t) for a in ROTATIONS for t in _turned_windows(img, a, ROTATION_WINDOWS)]
    probed = anchor_hashes(*(anchors or sift_blobs(g)), QUERY_ANCHORS, central=False)
    return sorted(set(_global_keys(hashes) + _anchor_keys(probed, QUERY_FLIPS)))


def orb_features(g: np.ndarray) -> bytes:
    """Up to ORB_FEATURES keypoints as packed bytes: x, y (uint16, 1/64 px) and the 32-byte descriptor."""
    points, descriptors = _ORB.detectAndCompute(g, None)
    if descriptors is None:
        return b""
    xy = np.array([[p.pt[0] * 64, p.pt[1] * 64] for p in points], dtype=np.uint16)
    return np.concatenate([xy.view(np.uint8).reshape(-1, 4), descriptors], axis=1).tobytes()


def unpack_features(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(points as float32 N x 2, descriptors as uint8 N x 32) from `orb_features` bytes."""
    rows = np.frombuffer(data, dtype=np.uint8).reshape(-1, 36)
    xy = np.ascontiguousarray(rows[:, :4]).view(np.uint16).reshape(-1, 2).astype(np.float32) / 64
    return xy, np.ascontiguousarray(rows[:, 4:])


def tiny_image(g: np.ndarray) -> bytes:
    """The work image at 1/TINY_FACTOR (64 x 48 for 4:3), as uint16 width and height then grey bytes."""
    h, w = g.shape
    small = cv2.resize(
        g, (max(1, round(w / TINY_FACTOR)), max(1, round(h / TINY_FACTOR))), interpolation=cv2.INTER_AREA
    )
    return np.array(small.shape[::-1], dtype=np.uint16).tobytes() + small.astype(np.uint8).tobytes()


def unpack_tiny(data: bytes | None) -> np.ndarray | None:
    """`tiny_image` bytes back to a grey array (None for prints stored before it existed)."""
    if not data or len(data) < 4:
        return None
    w, h = np.frombuffer(data[:4], dtype=np.uint16)
    return np.frombuffer(data[4:], dtype=np.uint8).reshape(int(h), int(w))


def photo_print(g: np.ndarray) -> PhotoPrint:
    """Everything stored for one decoded work image."""
    mirrored = np.ascontiguousarray(g[:, ::-1])
    anchors = sift_blobs(g)
    return PhotoPrint(
        keys=index_keys(g, anchors),
        probes=probe_keys(g, anchors),
        features=orb_features(g),
        mirrored_features=orb_features(mirrored),
        tiny=tiny_image(g),
    )


def decode_bytes(data: bytes) -> np.ndarray:
    return decode_work_image(io.BytesIO(data))
