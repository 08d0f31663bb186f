"""Second stage of the photo search: is a candidate really the same picture? ORB matches that agree on
one rotation + scale + shift (RANSAC), as is or mirrored.

Different scenes share a few similar corners, never dozens consistent with one geometric transform;
the thresholds and their margins are in docs/EVIDENCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from app.images.fingerprint import unpack_features

RATIO = 0.8  # Lowe's ratio test: keep a match only if clearly better than the second best
MIN_INLIERS = 50  # random synthetic scenes reach 38 at most (3,160 pairs); true copies 100+
MIN_INLIER_SHARE = 0.25  # of the ratio-test matches
MIN_SPREAD = 0.5  # inliers span this share of the query's keypoint extent, across and down ...
SURE_INLIERS = 120  # ... unless this many agree: a neighbour's photo sharing the skyline reached 88
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

    def to_dict(self) -> dict:
        return {
            "inliers": self.inliers,
            "matches": self.matches,
            "mirrored": self.mirrored,
            "angle_deg": round(self.angle, 1),
            "scale": round(self.scale, 2),
            "spread": round(self.spread, 2),
        }


def agreement(a: bytes, b: bytes) -> tuple[int, int, float, float, float]:
    """(inliers, ratio-test matches, angle, scale, spread) of the best similarity transform from a to b;
    spread: the smaller of the inliers' width and height over those of all of a's keypoints."""
    if not a or not b:
        return 0, 0, 0.0, 1.0, 0.0
    pa, da = unpack_features(a)
    pb, db = unpack_features(b)
    if len(da) < 3 or len(db) < 3:
        return 0, 0, 0.0, 1.0, 0.0
    good = [
        m[0] for m in _MATCHER.knnMatch(da, db, k=2) if len(m) == 2 and m[0].distance < RATIO * m[1].distance
    ]
    if len(good) < 4:
        return 0, len(good), 0.0, 1.0, 0.0
    src = np.float32([pa[m.queryIdx] for m in good])
    dst = np.float32([pb[m.trainIdx] for m in good])
    transform, mask = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=REPROJECTION_PX, maxIters=2000, confidence=0.995
    )
    if transform is None:
        return 0, len(good), 0.0, 1.0, 0.0
    scale = float(np.hypot(transform[0, 0], transform[1, 0]))
    angle = float(np.degrees(np.arctan2(transform[1, 0], transform[0, 0])))
    inliers = src[mask.ravel() == 1]
    extent = np.maximum(pa.max(axis=0) - pa.min(axis=0), 1.0)
    spread = float(np.min((inliers.max(axis=0) - inliers.min(axis=0)) / extent)) if len(inliers) else 0.0
    return int(mask.sum()), len(good), angle, scale, spread


def verify(query: bytes, query_mirrored: bytes, stored: bytes) -> Verified | None:
    """The stored photo's match with the query (or its mirror), or None if it is not the same picture."""
    best = None
    for mirrored, features in ((False, query), (True, query_mirrored)):
        inliers, matches, angle, scale, spread = agreement(features, stored)
        strong = inliers >= MIN_INLIERS and inliers >= MIN_INLIER_SHARE * matches
        strong = strong and (spread >= MIN_SPREAD or inliers >= SURE_INLIERS)  # one picture, not one part
        if strong and (best is None or inliers > best.inliers):
            best = Verified(inliers, matches, mirrored, angle, scale, spread)
    return best
