"""Fingerprints of a signature that survive printing and photographing it again, yet tell one person's
genuine signatures apart.

The ink is separated from the paper (background divided out, Otsu threshold), cut to its bounding box
and turned so its principal axis lies flat, then drawn into a fixed frame. Index keys are the two
32-bit halves of a DCT hash of that frame and of its one-bit variants at its least sure bits (query
variants turned by a few degrees, with their own least sure bits flipped, cover a misjudged axis).
Verification aligns two frames (ECC, rotation + shift) and measures how far the strokes lie apart: a
re-scanned copy keeps every stroke in place to about a pixel, while the same hand never puts its
strokes back within a few pixels. The thresholds are measured in docs/EVIDENCE.md.
"""

from __future__ import annotations

import contextlib

import cv2
import numpy as np
from PIL import Image

from app.images.fingerprint import TAG_GLOBAL, PhotoPrint, bits_of, lowest_frequencies
from app.images.inspect import Source, open_source
from app.images.thumbnails import flatten_on_white

FRAME = (256, 96)  # width, height of the normalised ink frame
TAG_SIGNATURE = TAG_GLOBAL + 2
TURNS = (-6, -3, 0, 3, 6)  # degrees a query frame is turned by, around the principal axis
STORED_FLIPS = 12  # stored with each signature: its hash with one of its 12 least sure bits flipped ...
QUERY_FLIPS = 10  # ... and probed: each turned frame's hash with one of its 10 least sure bits flipped
COPY_DISTANCE_PX = 0.6  # mean stroke distance (frame pixels) below which two signatures are one image
_MASK32 = 0xFFFFFFFF


def decode_ink(source: Source) -> np.ndarray | None:
    """The ink of a signature image as a normalised FRAME-sized float mask (1 = ink), or None if blank."""
    with open_source(source) as fp, Image.open(fp) as img:
        return ink_of(flatten_on_white(img))


def ink_of(img: Image.Image) -> np.ndarray | None:
    """`decode_ink` for an image already decoded (the image job's one decode, flattened on white)."""
    if max(img.size) > 800:
        img = img.copy()
        img.thumbnail((800, 800))
    grey = np.asarray(img.convert("L"), np.float32)
    background = _paper(grey)
    level = np.clip(grey / np.maximum(background, 1) * 255, 0, 255).astype(np.uint8)
    _, ink = cv2.threshold(level, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if ink.sum() < 30 or level.min() > 200:
        return None
    return normalise(ink)


def _paper(grey: np.ndarray) -> np.ndarray:
    """The paper's brightness: a Gaussian blur of sigma 1/20 of the longest side, computed at a quarter
    of the size (it is that smooth) and scaled back: ~8x cheaper than blurring the full image."""
    h, w = grey.shape
    small = cv2.resize(grey, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (0, 0), max(h, w) / 80)
    return cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)


def normalise(ink: np.ndarray) -> np.ndarray:
    """Turn the ink so its principal axis is horizontal, cut to its extent, scale into FRAME."""
    ys, xs = np.nonzero(ink)
    pts = np.column_stack([xs, ys]).astype(np.float32)
    centre = pts.mean(axis=0)
    cov = np.cov((pts - centre).T)
    vals, vecs = np.linalg.eigh(cov)
    major = vecs[:, int(np.argmax(vals))]
    angle = float(np.degrees(np.arctan2(major[1], major[0])))
    angle = (angle + 90) % 180 - 90  # a flat axis either way round
    turn = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)
    h, w = ink.shape
    big = int(np.hypot(h, w)) + 2
    turn[:, 2] += (big / 2 - centre[0], big / 2 - centre[1])
    upright = cv2.warpAffine(ink.astype(np.float32), turn, (big, big), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(upright > 0.5)
    if not len(xs):
        return np.zeros(FRAME[::-1], np.float32)
    box = upright[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    scale = min((FRAME[0] - 8) / box.shape[1], (FRAME[1] - 8) / box.shape[0])
    size = (max(1, round(box.shape[1] * scale)), max(1, round(box.shape[0] * scale)))
    frame = np.zeros(FRAME[::-1], np.float32)
    y0, x0 = (FRAME[1] - size[1]) // 2, (FRAME[0] - size[0]) // 2
    frame[y0 : y0 + size[1], x0 : x0 + size[0]] = cv2.resize(box, size, interpolation=cv2.INTER_AREA)
    return frame


def _turned(frame: np.ndarray, angle: float) -> np.ndarray:
    if not angle:
        return frame
    turn = cv2.getRotationMatrix2D((FRAME[0] / 2, FRAME[1] / 2), angle, 1.0)
    return cv2.warpAffine(frame, turn, FRAME, flags=cv2.INTER_LINEAR)


def _keys(h: int) -> list[int]:
    return [(TAG_SIGNATURE << 33) | (h >> 32), (TAG_SIGNATURE << 33) | (1 << 32) | (h & _MASK32)]


def _near_keys(frame: np.ndarray, flips: int) -> set[int]:
    """The keys of a frame's hash and of the hashes with one of its `flips` least sure bits flipped (the
    coefficients nearest the median): a re-scanned copy's hash differs from its source's nearly only there,
    so flips on both sides reach copies two bits away at a fraction of the old 33 probes per half."""
    z = lowest_frequencies(cv2.GaussianBlur(frame, (0, 0), 5))
    median = np.median(z)
    h = bits_of(z > median)
    unsure = np.argsort(np.abs(z - median))[:flips]
    return {k for v in (h, *(h ^ (1 << (63 - int(i))) for i in unsure)) for k in _keys(v)}


def signature_print(frame: np.ndarray | None) -> PhotoPrint:
    """Index keys, probe keys and the packed ink frame (1 bit a pixel) of a normalised signature."""
    if frame is None:
        return PhotoPrint(keys=[], probes=[], features=b"", mirrored_features=b"")
    probes = sorted({k for a in TURNS for k in _near_keys(_turned(frame, a), QUERY_FLIPS)})
    packed = np.packbits(frame > 0.5).tobytes()
    keys = sorted(_near_keys(frame, STORED_FLIPS))
    return PhotoPrint(keys=keys, probes=probes, features=packed, mirrored_features=b"")


def unpack_frame(data: bytes) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(data, np.uint8))[: FRAME[0] * FRAME[1]]
    return bits.reshape(FRAME[::-1]).astype(np.float32)


def stroke_distance(a: bytes, b: bytes) -> float:
    """Mean distance in frame pixels between the strokes of two signatures after the best alignment."""
    fa, fb = unpack_frame(a), unpack_frame(b)
    if fa.sum() < 10 or fb.sum() < 10:
        return float("inf")
    warp = np.eye(2, 3, dtype=np.float32)
    blur_a, blur_b = cv2.GaussianBlur(fa, (0, 0), 2), cv2.GaussianBlur(fb, (0, 0), 2)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-4)
    with contextlib.suppress(cv2.error):  # no convergence: compare them as they are
        _, warp = cv2.findTransformECC(blur_a, blur_b, warp, cv2.MOTION_EUCLIDEAN, criteria, None, 5)
    aligned = cv2.warpAffine(fb, warp, FRAME, flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP) > 0.5
    return (_chamfer(fa > 0.5, aligned) + _chamfer(aligned, fa > 0.5)) / 2


def _chamfer(src: np.ndarray, dst: np.ndarray) -> float:
    """Mean distance from src's ink pixels to the nearest ink pixel of dst."""
    if not src.any() or not dst.any():
        return float("inf")
    far = cv2.distanceTransform((~dst).astype(np.uint8), cv2.DIST_L2, 3)
    return float(far[src].mean())
