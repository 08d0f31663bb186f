"""Second stage of the photo search: is a candidate really the same picture? ORB matches that agree on
one rotation + scale + shift (RANSAC), as is or mirrored.

Different scenes share a few similar corners, never dozens consistent with one geometric transform;
the thresholds and their margins are in docs/EVIDENCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.images.fingerprint import TINY_FACTOR, unpack_features, unpack_tiny

RATIO = 0.8  # Lowe's ratio test: keep a match only if clearly better than the second best
MIN_INLIERS = 50  # without small pictures: random synthetic scenes reach 38 at most (3,160 pairs)
MIN_PIXEL_INLIERS = 20  # with them, the pixels decide: crops came down to 23 inliers, all agreeing fully
MIN_INLIER_SHARE = 0.25  # of the ratio-test matches
MIN_PIXEL_AGREEMENT = 0.85  # the small pictures agree over this share of the query's cells, or (old prints)
MIN_SPREAD = 0.5  # the inliers span this share of the query's keypoint extent, across and down, ...
SURE_INLIERS = 120  # ... unless this many agree
GRID, FLAT, CELL_CORRELATION, MIN_CELLS = 4, 3.0, 0.6, 4  # skylines reached 0.75 of cells, copies 0.92+
REPROJECTION_PX = 5.0  # at the 512 px work size
_MATCHER = cv2.BFMatcher(cv2.NORM_HAMMING)


@dataclass(frozen=True)
class Verified:
    """A geometric match: how many keypoints agree, and the transform they agree on."""

    inliers: int
    matches: int
    mirrored: bool
    angle: float
    scale: float
    spread: float  # share of the query's keypoint extent the inliers span (the smaller of across, down)
    pixels: float | None = None  # share of the query's cells whose pixels agree (None: an old print)

    def to_dict(self) -> dict:
        return {
            "inliers": self.inliers,
            "matches": self.matches,
            "mirrored": self.mirrored,
            "angle_deg": round(self.angle, 1),
            "scale": round(self.scale, 2),
            "spread": round(self.spread, 2),
            **({} if self.pixels is None else {"pixel_agreement": round(self.pixels, 2)}),
        }


def fit(a: bytes, b: bytes) -> tuple[int, int, float, float, float, np.ndarray | None]:
    """(inliers, ratio-test matches, angle, scale, spread, 2 x 3 transform) of the best similarity
    transform from a to b (work-image coordinates); spread: the smaller of the inliers' width and height
    over those of all of a's keypoints."""
    if not a or not b:
        return 0, 0, 0.0, 1.0, 0.0, None
    pa, da = unpack_features(a)
    pb, db = unpack_features(b)
    if len(da) < 3 or len(db) < 3:
        return 0, 0, 0.0, 1.0, 0.0, None
    good = [
        m[0] for m in _MATCHER.knnMatch(da, db, k=2) if len(m) == 2 and m[0].distance < RATIO * m[1].distance
    ]
    if len(good) < 4:
        return 0, len(good), 0.0, 1.0, 0.0, None
    src = np.float32([pa[m.queryIdx] for m in good])
    dst = np.float32([pb[m.trainIdx] for m in good])
    transform, mask = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION_PX, maxIters=2000, confidence=0.995
    )
    if transform is None:
        return 0, len(good), 0.0, 1.0, 0.0, None
    scale = float(np.hypot(transform[0, 0], transform[1, 0]))
    angle = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    inliers = src[mask.ravel() == 1]
    extent = np.maximum(pa.max(axis=0) - pa.min(axis=0), 1.0)
    spread = float(np.min((inliers.max(axis=0) - inliers.min(axis=0)) / extent)) if len(inliers) else 0.0
    return int(mask.sum()), len(good), angle, scale, spread, transform


def pixel_agreement(query: np.ndarray, stored: np.ndarray, transform: np.ndarray) -> float | None:
    """Share of the query's GRID x GRID cells (those the stored picture covers and that are not flat)
    whose pixels correlate with the stored picture's under the transform: ~1 for a copy, however few
    keypoints matched; low for a photo that only shares a part (the neighbour's skyline above another
    yard). None when too few cells can be compared."""
    to_tiny = transform.astype(np.float32).copy()
    to_tiny[:, 2] /= TINY_FACTOR
    h, w = query.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    seen = cv2.warpAffine(stored.astype(np.float32), to_tiny, (w, h), flags=flags, borderValue=-1.0)
    covered = cv2.warpAffine(np.ones(stored.shape, np.float32), to_tiny, (w, h), flags=flags) > 0.99
    q = query.astype(np.float32)
    agree = compared = 0
    for rows in np.array_split(np.arange(h), GRID):
        for cols in np.array_split(np.arange(w), GRID):
            cell = np.ix_(rows, cols)
            if covered[cell].mean() < 0.9:
                continue
            a, b = q[cell] - q[cell].mean(), seen[cell] - seen[cell].mean()
            if a.std() < FLAT or b.std() < FLAT:
                continue
            compared += 1
            agree += float((a * b).mean() / (a.std() * b.std())) >= CELL_CORRELATION
    return agree / compared if compared >= MIN_CELLS else None


def verify(
    query: bytes,
    query_mirrored: bytes,
    stored: bytes,
    query_tiny: bytes | None = None,
    stored_tiny: bytes | None = None,
) -> Verified | None:
    """The stored photo's match with the query (or its mirror), or None if it is not the same picture.
    With both small pictures, every match must also agree in pixels over the whole query (a neighbour's
    front under the same skyline matches well in one part only), and then MIN_PIXEL_INLIERS suffice;
    without them (prints stored before), a match needs MIN_INLIERS, and SURE_INLIERS if its inliers cover
    only part of the query."""
    q_tiny, s_tiny = unpack_tiny(query_tiny), unpack_tiny(stored_tiny)
    best = None
    for mirrored, features in ((False, query), (True, query_mirrored)):
        inliers, matches, angle, scale, spread, transform = fit(features, stored)
        with_pixels = q_tiny is not None and s_tiny is not None
        least = MIN_PIXEL_INLIERS if with_pixels else MIN_INLIERS
        strong = inliers >= least and inliers >= MIN_INLIER_SHARE * matches
        pixels = None
        if strong and with_pixels:  # the same picture everywhere?
            pixels = pixel_agreement(q_tiny[:, ::-1] if mirrored else q_tiny, s_tiny, transform)
            strong = pixels is not None and pixels >= MIN_PIXEL_AGREEMENT
        elif strong and spread < MIN_SPREAD:  # prints stored before the small picture: one part only?
            strong = inliers >= SURE_INLIERS
        if strong and (best is None or inliers > best.inliers):
            best = Verified(inliers, matches, mirrored, angle, scale, spread, pixels)
    return best
