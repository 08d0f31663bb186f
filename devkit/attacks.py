"""How a cadre disguises another household's photo, and what honest look-alikes are (hard negatives).

Each attack takes a decoded RGB photo and a seeded `random.Random`, and returns the disguised image;
`as_upload` then writes it as the phone would send it (fresh EXIF time, GPS and device). The ranges
are those of issue 13: crops of up to 15% a side, turns of up to 10 degrees, gallery screenshots.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from datetime import datetime

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from devkit.imagegen import _photo_exif

Attack = Callable[[Image.Image, random.Random], Image.Image]


def mirror(img: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(img)


def grey(img: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.grayscale(img).convert("RGB")


def crop(img: Image.Image, rng: random.Random) -> Image.Image:
    """3-15% off each side independently, then scaled back up to the original's longest side."""
    w, h = img.size
    left, right, top, bottom = (rng.uniform(0.03, 0.15) for _ in range(4))
    cut = img.crop((round(left * w), round(top * h), round(w - right * w), round(h - bottom * h)))
    scale = max(w, h) / max(cut.size)
    return cut.resize((round(cut.width * scale), round(cut.height * scale)), Image.Resampling.LANCZOS)


def rotate(img: Image.Image, rng: random.Random) -> Image.Image:
    """Turned 3-10 degrees either way and cropped to fill, as a phone's straighten tool does."""
    angle = rng.choice((-1, 1)) * rng.uniform(3, 10)
    w, h = img.size
    turned = img.rotate(angle, resample=Image.Resampling.BICUBIC)
    t = math.radians(abs(angle))
    keep = 1 / (math.cos(t) + math.sin(t) * max(w, h) / min(w, h))
    cw, ch = w * keep, h * keep
    box = (round((w - cw) / 2), round((h - ch) / 2), round((w + cw) / 2), round((h + ch) / 2))
    return turned.crop(box).resize((w, h), Image.Resampling.LANCZOS)


def screenshot(img: Image.Image, rng: random.Random) -> Image.Image:
    """The photo shown in a phone's gallery and screenshotted: small, between black bars, with a status
    bar (clock, signal, battery) above and navigation buttons below."""
    sw, sh = rng.choice(((1080, 2340), (1080, 2400), (720, 1600)))
    screen = Image.new("RGB", (sw, sh), (0, 0, 0))
    shown = img.copy()
    shown.thumbnail((sw, sh), Image.Resampling.BICUBIC)
    y = (sh - shown.height) // 2 + rng.randint(-sh // 20, sh // 20)
    screen.paste(shown, ((sw - shown.width) // 2, y))
    draw = ImageDraw.Draw(screen)
    bar = sh // 40
    for i in range(4):  # clock digits at the left, icons at the right
        x = sw // 20 + i * bar
        draw.rectangle([x, bar // 2, x + bar * 0.6, bar * 1.5], fill=(235, 235, 235))
    for i in range(3):
        x = sw - sw // 20 - (i + 1) * bar * 1.4
        draw.rectangle([x, bar // 2, x + bar, bar * 1.5], outline=(235, 235, 235), width=3)
    for i in range(3):
        cx = sw * (i + 1) // 4
        draw.ellipse([cx - bar, sh - 3 * bar, cx + bar, sh - bar], outline=(200, 200, 200), width=4)
    return screen


PHOTO_ATTACKS: dict[str, Attack] = {
    "mirror": mirror,
    "crop": crop,
    "rotate": rotate,
    "grey": grey,
    "screenshot": screenshot,
}


def revisit(img: Image.Image, rng: random.Random) -> Image.Image:
    """The same room photographed again months later: a step aside, another zoom, other light."""
    w, h = img.size
    zoom = rng.uniform(0.85, 0.97)
    cw, ch = w * zoom, h * zoom
    x, y = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
    shot = img.rotate(rng.uniform(-2, 2), resample=Image.Resampling.BICUBIC)
    shot = shot.crop((round(x), round(y), round(x + cw), round(y + ch))).resize(
        (w, h), Image.Resampling.LANCZOS
    )
    shot = ImageEnhance.Brightness(shot).enhance(rng.uniform(0.75, 1.25))
    noise = np.random.default_rng(rng.getrandbits(32)).normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.asarray(shot, np.float32) + noise, 0, 255).astype(np.uint8))


def same_village(skyline: Image.Image, scene: Image.Image, rng: random.Random) -> Image.Image:
    """Another household of the same village: the same skyline above, its own yard below."""
    w, h = scene.size
    cut = round(h * rng.uniform(0.3, 0.45))
    out = scene.copy()
    out.paste(skyline.resize((w, h)).crop((0, 0, w, cut)), (0, 0))
    return out


def as_upload(
    img: Image.Image,
    *,
    taken_at: datetime | None,
    gps: tuple[float, float] | None,
    device: str = "HUAWEI P30",
    quality: int = 85,
) -> bytes:
    """A JPEG as the cadre's phone would upload it, with fresh EXIF (or none, when both are None)."""
    out = io.BytesIO()
    exif = _photo_exif(taken_at, gps, device, None) if taken_at or gps else None
    img.convert("RGB").save(out, "JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as img:
        return ImageOps.exif_transpose(img).convert("RGB")


def blur(img: Image.Image, radius: float) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius))
