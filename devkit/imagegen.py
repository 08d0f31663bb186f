"""Deterministic, real JPEG photos and PNG signatures for tests, demo data and benchmarks.

Each seed draws a different "village scene" (sky and ground, houses, trees, wires, a sign with
text-like marks, sensor noise), so perceptual hashes of different seeds are far apart while a copy of
the same photo re-encoded or resized stays a near-duplicate. Photos carry the EXIF a phone writes.
"""

from __future__ import annotations

import io
import math
import random
from datetime import datetime

import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageOps
from PIL.TiffImagePlugin import IFDRational

from app.clock import CHINA_TZ

_Color = tuple[int, int, int]
_Point = tuple[float, float]


def make_photo(
    seed: int,
    *,
    width: int = 1600,
    height: int = 1200,
    taken_at: datetime | None = None,
    gps: tuple[float, float] | None = None,
    device: str = "HUAWEI P30",
    quality: int = 85,
    orientation: int | None = None,
) -> bytes:
    """A JPEG scene for `seed` with phone-like EXIF; a naive `taken_at` is China local time."""
    img = _scene(seed, width, height)
    exif = _photo_exif(taken_at, gps, device, orientation)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def make_signature(seed: int, *, width: int = 600, height: int = 240, transparent: bool = True) -> bytes:
    """A PNG of dark handwriting-like strokes for `seed`, on transparent (default) or white ground."""
    rng = random.Random(seed)
    scale = 2  # draw at twice the size, then downsample: cheap anti-aliasing
    canvas = Image.new("RGBA", (width * scale, height * scale), (255, 255, 255, 0 if transparent else 255))
    draw = ImageDraw.Draw(canvas)
    ink = (rng.randint(0, 40), rng.randint(0, 40), rng.randint(40, 110), 255)
    right = 0.95 * width * scale
    x = rng.uniform(0.05, 0.15) * width * scale
    for _ in range(rng.randint(2, 4)):  # a few pen-down runs, left to right like a name
        points = [(x, rng.uniform(0.3, 0.7) * height * scale)]
        for _ in range(rng.randint(3, 6)):
            x0, y0 = points[-1]
            if x0 >= right - 20:
                break
            x3 = min(x0 + rng.uniform(0.04, 0.12) * width * scale, right)
            end = (x3, rng.uniform(0.2, 0.8) * height * scale)
            c1, c2 = ((rng.uniform(x0 - 40, x3 + 40), rng.uniform(0.05, 0.95) * height * scale) for _ in "ab")
            points += _bezier((x0, y0), c1, c2, end)[1:]
        if len(points) > 1:
            draw.line(points, fill=ink, width=rng.randint(3, 6) * scale, joint="curve")
        x = points[-1][0] + rng.uniform(0.01, 0.05) * width * scale
    return _png(canvas.resize((width, height), Image.Resampling.LANCZOS))


def reencode(data: bytes, *, quality: int, scale: float = 1.0) -> bytes:
    """Re-save a photo as JPEG at `quality`, resized by `scale`, rotation baked in and EXIF dropped."""
    with Image.open(io.BytesIO(data)) as src:
        img = ImageOps.exif_transpose(src).convert("RGB")
    if scale != 1.0:
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _scene(seed: int, width: int, height: int) -> Image.Image:
    rng = random.Random(seed)
    img = Image.fromarray(_background(rng, width, height))
    draw = ImageDraw.Draw(img)
    horizon = int(rng.uniform(0.3, 0.65) * height)
    for _ in range(rng.randint(2, 4)):  # far hills
        cx, r = rng.uniform(0, width), rng.uniform(0.15, 0.45) * width
        draw.ellipse([cx - r, horizon - r * 0.35, cx + r, horizon + r * 0.35], fill=_earthy(rng))
    for _ in range(rng.randint(3, 7)):
        _house(draw, rng, width, height, horizon)
    for _ in range(rng.randint(2, 6)):  # trees
        cx, cy = rng.uniform(0, width), rng.uniform(horizon - 0.1 * height, height)
        r = rng.uniform(0.04, 0.12) * width
        draw.rectangle([cx - r * 0.1, cy, cx + r * 0.1, cy + r * 1.2], fill=(90, 60, 30))
        draw.ellipse([cx - r, cy - r * 1.4, cx + r, cy + r * 0.4], fill=(20, rng.randint(80, 150), 30))
    for _ in range(rng.randint(2, 5)):  # wires and paths
        pts = [(rng.uniform(0, width), rng.uniform(0, height)) for _ in range(2)]
        draw.line(pts, fill=_random_color(rng), width=rng.randint(2, 12))
    _sign(draw, rng, width, height)
    return Image.fromarray(_noisy(np.asarray(img), seed))


def _background(rng: random.Random, width: int, height: int) -> np.ndarray:
    """Two-colour gradient along a random direction."""
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = xx / width * math.cos(angle) + yy / height * math.sin(angle)
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    c0, c1 = np.array(_random_color(rng), np.float32), np.array(_random_color(rng), np.float32)
    return (c0 + (c1 - c0) * t[..., None]).astype(np.uint8)


def _house(draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int, horizon: int) -> None:
    w, h = rng.uniform(0.1, 0.3) * width, rng.uniform(0.1, 0.25) * height
    x, y = rng.uniform(-0.05, 0.9) * width, horizon + rng.uniform(-0.1, 0.3) * height
    draw.rectangle([x, y, x + w, y + h], fill=_random_color(rng), outline=(40, 40, 40), width=3)
    draw.polygon([(x - 10, y), (x + w / 2, y - h * 0.5), (x + w + 10, y)], fill=_random_color(rng))
    for _ in range(rng.randint(1, 3)):
        wx, wy = x + rng.uniform(0.1, 0.7) * w, y + rng.uniform(0.15, 0.5) * h
        draw.rectangle([wx, wy, wx + w * 0.15, wy + h * 0.25], fill=(30, 40, 60))


def _sign(draw: ImageDraw.ImageDraw, rng: random.Random, width: int, height: int) -> None:
    """A red or white board with rows of glyph-sized marks, like a slogan painted on a wall."""
    w, h = rng.uniform(0.2, 0.4) * width, rng.uniform(0.08, 0.15) * height
    x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
    red = rng.random() < 0.5
    draw.rectangle([x, y, x + w, y + h], fill=(190, 30, 30) if red else (235, 235, 225))
    glyph = h / 3
    for row in range(2):
        gx = x + glyph * 0.3
        while gx + glyph < x + w:
            gy = y + glyph * (0.4 + row * 1.3)
            for _ in range(rng.randint(2, 4)):  # strokes of one glyph
                a = (gx + rng.uniform(0, glyph), gy + rng.uniform(0, glyph))
                b = (gx + rng.uniform(0, glyph), gy + rng.uniform(0, glyph))
                draw.line([a, b], fill=(250, 220, 60) if red else (20, 20, 20), width=3)
            gx += glyph * 1.15


def _noisy(pixels: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0.0, 7.0, pixels.shape)
    return np.clip(pixels.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _random_color(rng: random.Random) -> _Color:
    return rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)


def _earthy(rng: random.Random) -> _Color:
    return rng.randint(40, 120), rng.randint(70, 140), rng.randint(30, 80)


def _bezier(p0: _Point, p1: _Point, p2: _Point, p3: _Point, steps: int = 24) -> list[_Point]:
    out = []
    for i in range(steps + 1):
        t = i / steps
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        out.append(
            (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])
        )
    return out


def _photo_exif(
    taken_at: datetime | None, gps: tuple[float, float] | None, device: str, orientation: int | None
) -> Image.Exif:
    exif = Image.Exif()
    make, _, model = device.partition(" ")
    exif[ExifTags.Base.Make] = make
    exif[ExifTags.Base.Model] = model or make
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if taken_at is not None:
        local = (
            taken_at.replace(tzinfo=CHINA_TZ) if taken_at.tzinfo is None else taken_at.astimezone(CHINA_TZ)
        )
        stamp = local.strftime("%Y:%m:%d %H:%M:%S")
        exif[ExifTags.Base.DateTime] = stamp
        sub = exif.get_ifd(ExifTags.IFD.Exif)
        sub[ExifTags.Base.DateTimeOriginal] = stamp
        sub[ExifTags.Base.OffsetTimeOriginal] = "+08:00"
    if gps is not None:
        lat, lon = gps
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[ExifTags.GPS.GPSVersionID] = b"\x02\x02\x00\x00"
        info[ExifTags.GPS.GPSLatitudeRef] = "N" if lat >= 0 else "S"
        info[ExifTags.GPS.GPSLatitude] = _dms(lat)
        info[ExifTags.GPS.GPSLongitudeRef] = "E" if lon >= 0 else "W"
        info[ExifTags.GPS.GPSLongitude] = _dms(lon)
    return exif


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    """Degrees, minutes and seconds as EXIF rationals (seconds to 1/10000)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60 * 10000)
    return IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(seconds, 10000)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
