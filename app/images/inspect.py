"""The gate every uploaded photo and signature passes: size, magic bytes, pixel count, a full decode.

Checks run cheapest first and each refusal is a catalogue error: too many bytes (PayloadTooLarge), not
JPEG/PNG by content whatever the name or content-type claims (NotAnImage), too many pixels judged from
the header before any pixel is decoded (TooManyPixels), truncated or undecodable (CorruptImage).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageFile

from app.errors import CorruptImage, NotAnImage, PayloadTooLarge, TooManyPixels
from app.images.exif import ExifSummary, read_exif

Source = str | os.PathLike[str] | BinaryIO
"""A path, or a binary file object (the spooled upload); file objects are read from offset 0."""

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_KINDS = ((JPEG_MAGIC, "JPEG", "image/jpeg"), (PNG_MAGIC, "PNG", "image/png"))
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height on display
# What Pillow raises for a file whose header or data it cannot make sense of.
_UNREADABLE = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


@dataclass(frozen=True)
class ImageInfo:
    """An accepted image; width and height are as displayed, i.e. after applying EXIF orientation."""

    content_type: str  # "image/jpeg" | "image/png"
    format: str  # "JPEG" | "PNG"
    width: int
    height: int
    exif: ExifSummary


@contextmanager
def open_source(source: Source) -> Iterator[BinaryIO]:
    """Yield `source` as a binary file at offset 0; a path is opened and closed, a file object rewound."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fp:
            yield fp
        return
    source.seek(0)
    try:
        yield source
    finally:
        source.seek(0)


def inspect_image(source: Source, *, max_bytes: int, max_pixels: int) -> ImageInfo:
    """Accept a JPEG or PNG within the byte and pixel limits that decodes completely, or raise."""
    with open_source(source) as fp:
        size = fp.seek(0, os.SEEK_END)
        if size > max_bytes:
            raise PayloadTooLarge(max_bytes=max_bytes, size=size)
        fp.seek(0)
        fmt, content_type = _sniff(fp.read(len(PNG_MAGIC)))
        fp.seek(0)
        with _open(fp, fmt, max_pixels) as img:
            width, height = img.size
            if width * height > max_pixels:
                raise TooManyPixels(max_pixels=max_pixels, width=width, height=height)
            exif = read_exif(img)
            _decode(img, fmt)
    if exif.orientation in _ROTATED:
        width, height = height, width
    return ImageInfo(content_type=content_type, format=fmt, width=width, height=height, exif=exif)


def _sniff(head: bytes) -> tuple[str, str]:
    for magic, fmt, content_type in _KINDS:
        if head.startswith(magic):
            return fmt, content_type
    raise NotAnImage(accepted=["image/jpeg", "image/png"])


def _open(fp: BinaryIO, fmt: str, max_pixels: int) -> Image.Image:
    """Parse the header only. Pillow's own bomb ceiling (Image.MAX_IMAGE_PIXELS) is left untouched:
    above 2x it Pillow refuses, between 1x and 2x it warns (an error under `-W error`); both mean far
    more pixels than any sane `max_pixels`, so both become TooManyPixels."""
    try:
        return Image.open(fp, formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooManyPixels(max_pixels=max_pixels) from exc
    except _UNREADABLE as exc:
        raise CorruptImage() from exc


def _decode(img: Image.Image, fmt: str) -> None:
    """Decode every byte of image data so truncation and corruption surface now, not in a worker.

    JPEGs decode in draft mode at 1/8 scale: libjpeg still walks the whole entropy-coded stream (so
    truncation is caught the same) but skips most of the IDCT work, about 3x faster on 12 MP photos.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone enabled it process-wide; Pillow would then pad truncated files with grey and we
        # would accept them. Refuse loudly rather than silently weaken the gate.
        raise RuntimeError("PIL.ImageFile.LOAD_TRUNCATED_IMAGES is enabled; truncated uploads would pass")
    if fmt == "JPEG":
        img.draft(None, (max(1, img.width // 8), max(1, img.height // 8)))
    try:
        img.load()
    except _UNREADABLE as exc:
        raise CorruptImage() from exc
