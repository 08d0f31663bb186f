"""The synthetic image generator: real, deterministic JPEGs and PNGs with the EXIF a phone writes."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import ExifTags, Image, ImageChops

from devkit.imagegen import make_photo, make_signature, reencode

B, G = ExifTags.Base, ExifTags.GPS


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def test_photo_is_deterministic_per_seed_and_differs_across_seeds():
    assert make_photo(7) == make_photo(7)
    assert make_photo(7) != make_photo(8)
    assert make_signature(7) == make_signature(7)


def test_default_photo_is_a_phone_sized_jpeg():
    data = make_photo(1)
    img = _open(data)
    assert (img.format, img.mode, img.size) == ("JPEG", "RGB", (1600, 1200))
    assert 250_000 <= len(data) <= 400_000  # like a real 2 MP phone photo, not a flat test card


def test_photo_honours_size_and_quality():
    assert _open(make_photo(1, width=640, height=480)).size == (640, 480)
    assert len(make_photo(1, quality=95)) > len(make_photo(1, quality=60))


def test_photo_carries_phone_exif():
    data = make_photo(
        1,
        taken_at=datetime(2024, 5, 1, 10, 30),
        gps=(-27.5, -109.25),
        device="Xiaomi Redmi Note 12",
        orientation=3,
    )
    exif = _open(data).getexif()
    sub, gps = exif.get_ifd(ExifTags.IFD.Exif), exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert (exif[B.Make], exif[B.Model], exif[B.Orientation]) == ("Xiaomi", "Redmi Note 12", 3)
    assert (sub[B.DateTimeOriginal], sub[B.OffsetTimeOriginal]) == ("2024:05:01 10:30:00", "+08:00")
    assert (gps[G.GPSLatitudeRef], gps[G.GPSLongitudeRef]) == ("S", "W")
    assert [float(x) for x in gps[G.GPSLatitude]] == [27.0, 30.0, 0.0]
    assert [float(x) for x in gps[G.GPSLongitude]] == [109.0, 15.0, 0.0]


def test_aware_taken_at_is_written_as_china_local_time():
    data = make_photo(1, width=64, height=48, taken_at=datetime(2024, 5, 1, 20, 0, tzinfo=UTC))
    assert _open(data).getexif().get_ifd(ExifTags.IFD.Exif)[B.DateTimeOriginal] == "2024:05:02 04:00:00"


def test_photo_without_time_or_position_has_neither():
    exif = _open(make_photo(1, width=64, height=48)).getexif()
    assert B.Orientation not in exif
    assert B.DateTimeOriginal not in exif.get_ifd(ExifTags.IFD.Exif)
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)


def test_signature_is_dark_ink_on_transparent_png():
    img = _open(make_signature(3))
    assert (img.format, img.mode, img.size) == ("PNG", "RGBA", (600, 240))
    alpha = img.getchannel("A")
    inked = sum(1 for a in alpha.get_flattened_data() if a > 128)
    assert 0.01 < inked / (600 * 240) < 0.2  # strokes, not a blank or a filled box
    assert img.getpixel((0, 0))[3] == 0
    ink = [pixel for pixel in img.get_flattened_data() if pixel[3] > 200]
    assert max(sum(pixel[:3]) / 3 for pixel in ink) < 90  # dark ink wherever it is opaque


def test_signature_on_white_and_custom_size():
    img = _open(make_signature(3, width=300, height=120, transparent=False))
    assert img.size == (300, 120)
    assert img.getpixel((0, 0)) == (255, 255, 255, 255)


@pytest.mark.parametrize(("a", "b"), [(1, 2), (3, 4), (5, 6)])
def test_signatures_differ_per_seed(a, b):
    diff = ImageChops.difference(_open(make_signature(a)), _open(make_signature(b))).getchannel("A")
    changed = sum(1 for v in diff.get_flattened_data() if v > 128)
    assert changed > 0.01 * 600 * 240


def test_reencode_drops_exif_resizes_and_bakes_rotation():
    original = make_photo(1, taken_at=datetime(2024, 5, 1, 10, 0), gps=(27.7, 109.2), orientation=6)
    copy = _open(reencode(original, quality=60, scale=0.5))
    assert copy.format == "JPEG"
    assert copy.size == (600, 800)  # 1600x1200 stored, displayed upright as 1200x1600, then halved
    assert not copy.getexif()


def test_reencode_at_lower_quality_is_smaller():
    original = make_photo(1)
    assert len(reencode(original, quality=40)) < len(reencode(original, quality=90))
    assert _open(reencode(original, quality=90)).size == (1600, 1200)
