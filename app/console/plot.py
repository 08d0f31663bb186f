"""A small map of a visit without tiles (the offices are offline): the household, where the visit was
recorded and where each photo was taken, in metres around the household, with the allowed radius."""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.checks.geo import distance_m

SIZE = 240  # the plot is a SIZE x SIZE SVG
MARGIN = 18
METRES_PER_DEGREE_LAT = 110_540.0
METRES_PER_DEGREE_LON = 111_320.0


@dataclass(frozen=True)
class Point:
    kind: str  # household | visit | photo
    label: str
    mark: str  # the photo's number on the plot and in its legend
    x: float
    y: float
    distance_m: float | None
    outside: bool  # further than the allowed radius
    clipped: bool  # beyond the plot's edge, drawn on it


@dataclass(frozen=True)
class Plot:
    size: int
    centre: float
    radius: float  # the allowed distance, drawn as a circle
    allowed_m: float
    points: list[Point]
    scale_m: int  # the length the scale bar stands for
    scale_px: float


def _nice(metres: float) -> int:
    for step in (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000):
        if step >= metres:
            return step
    return 100_000


def location_plot(
    home: tuple[float, float] | None,
    visit: tuple[float, float] | None,
    photos: list[tuple[str, float, float]],
    allowed_m: float,
) -> Plot | None:
    """The plot's geometry, centred on the household (or the visit when the household has no location).

    Far points do not shrink the plot to a dot: it shows at most four times the allowed radius, and
    anything further is drawn on its edge in its direction, marked as clipped, with its distance.
    """
    origin = home or visit
    if origin is None:
        return None
    lat0, lon0 = origin
    raw = []
    if home is not None:
        raw.append(("household", "住户", *home))
    if visit is not None:
        raw.append(("visit", "走访定位", *visit))
    raw += [("photo", label, lat, lon) for label, lat, lon in photos]
    offsets = []
    for kind, label, lat, lon in raw:
        dx = (lon - lon0) * math.cos(math.radians(lat0)) * METRES_PER_DEGREE_LON
        dy = (lat - lat0) * METRES_PER_DEGREE_LAT
        d = distance_m(lat, lon, *home) if home is not None and kind != "household" else None
        offsets.append((kind, label, dx, dy, d))
    farthest = max((math.hypot(dx, dy) for _, _, dx, dy, _ in offsets), default=0.0)
    extent = min(max(allowed_m * 1.25, farthest * 1.1, 50.0), allowed_m * 4)
    centre = SIZE / 2
    scale = (centre - MARGIN) / extent
    points = []
    photo_number = 0
    for kind, label, dx, dy, d in offsets:
        photo_number += kind == "photo"
        r = math.hypot(dx, dy)
        clipped = r > extent
        if clipped:
            dx, dy = dx * extent / r, dy * extent / r
        points.append(
            Point(
                kind=kind,
                label=label,
                mark=str(photo_number) if kind == "photo" else "",
                x=round(centre + dx * scale, 1),
                y=round(centre - dy * scale, 1),  # north up
                distance_m=round(d) if d is not None else None,
                outside=d is not None and d > allowed_m,
                clipped=clipped,
            )
        )
    bar = _nice(extent / 3)
    return Plot(SIZE, centre, round(allowed_m * scale, 1), allowed_m, points, bar, round(bar * scale, 1))
