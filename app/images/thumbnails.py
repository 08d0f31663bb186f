"""JPEG thumbnails for review screens: upright, flattened on white, no EXIF (so no GPS leaks)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from app.images.inspect import Source, open_source

THUMBNAIL_SIZES = (240, 1024)
"""Longest side in pixels: list views use 240, the review screen 1024."""

THUMBNAIL_QUALITY = 80

DRAFT_SLACK = 0.95
"""A review image may come out up to 5% under its size when that lets libjpeg decode one DCT scale
further down: a 12 MP photo (4000x3000) decodes at 1/4 to 1000x750 instead of at 1/2 to 2000x1500, ~25%
less decoding and no shrink (36 against 50 ms a photo, measured)."""


def draft_box(size: tuple[int, int], side: int) -> tuple[int, int]:
    """The box to pass to `Image.draft` for a thumbnail whose longest side is at most `side`."""
    width, height = size
    scale = DRAFT_SLACK * side / max(width, height)
    return max(1, int(width * scale)), max(1, int(height * scale))


def make_thumbnail(source: Source, max_side: int) -> bytes:
    """A JPEG whose longest side is at most `max_side`, with EXIF orientation applied.

    Call only on sources `inspect_image` accepted; this does not re-check limits.
    """
    with open_source(source) as fp, Image.open(fp) as img:
        if img.format == "JPEG":
            img.draft("RGB", draft_box(img.size, max_side))  # libjpeg downscales by 1/2..1/8 while decoding
        upright = ImageOps.exif_transpose(img)
        # BICUBIC, no `optimize`: cheaper than LANCZOS + optimize, ~6% larger files (bench/thumbnails.py)
        upright.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
        rgb = flatten_on_white(upright)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def flatten_on_white(img: Image.Image) -> Image.Image:
    """RGB with any transparency composited over white (signatures are ink on a transparent PNG)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")
