"""What a photo's EXIF says about when, where and with what it was taken; garbage reads as unknown.

EXIF is written by the cadre's phone and can be missing, truncated or forged, so every field is read
on its own and anything malformed becomes None rather than an error: the upload is still a photo.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image

from app.clock import CHINA_TZ

"""Phones in the field are set to China Standard Time; assumed when EXIF gives no offset."""

# Everything a malformed tag value can throw while we convert it; Pillow itself may raise the
# OSError/SyntaxError/struct.error family while parsing a broken EXIF block.
_MALFORMED = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ZeroDivisionError,
    OverflowError,
    OSError,
    SyntaxError,
    struct.error,
)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


@dataclass(frozen=True)
class GeoPoint:
    """WGS-84 position as the phone recorded it: degrees, negative for S and W; metres above sea level."""

    lat: float
    lon: float
    alt: float | None = None

    def to_dict(self) -> dict:
        return {"lat": self.lat, "lon": self.lon, "alt": self.alt}


@dataclass(frozen=True)
class ExifSummary:
    """The EXIF facts Doorstep uses; None means absent or unreadable."""

    taken_at: datetime | None = None  # tz-aware, UTC
    gps: GeoPoint | None = None
    device: str | None = None  # "Make Model"
    orientation: int | None = None  # 1-8 as in EXIF

    def to_dict(self) -> dict:
        """JSON-friendly: ISO 8601 time, {lat, lon, alt}, device, orientation."""
        return {
            "taken_at": self.taken_at.isoformat() if self.taken_at else None,
            "gps": self.gps.to_dict() if self.gps else None,
            "device": self.device,
            "orientation": self.orientation,
        }


def read_exif(img: Image.Image) -> ExifSummary:
    """Summarise an opened image's EXIF; never raises for missing or malformed data."""
    try:
        exif = img.getexif()
    except _MALFORMED:
        return ExifSummary()
    sub = _ifd(exif, ExifTags.IFD.Exif)
    return ExifSummary(
        taken_at=_guard(_taken_at, exif, sub),
        gps=_guard(_gps, _ifd(exif, ExifTags.IFD.GPSInfo)),
        device=_guard(_device, exif),
        orientation=_guard(_orientation, exif),
    )


def _guard(read, *args):
    try:
        return read(*args)
    except _MALFORMED:
        return None


def _ifd(exif: Image.Exif, tag: int) -> dict:
    try:
        return dict(exif.get_ifd(tag))
    except _MALFORMED:
        return {}


def _taken_at(exif: Image.Exif, sub: dict) -> datetime | None:
    """DateTimeOriginal with its offset, else DateTime with its offset; naive times are China time."""
    for stamp, offset in (
        (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
        (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
    ):
        text = _text(stamp)
        if not text:
            continue
        try:
            local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        return local.replace(tzinfo=_tz(offset)).astimezone(UTC)
    return None


def _tz(offset: Any) -> timezone:
    match = _OFFSET.match(_text(offset) or "")
    if not match:
        return CHINA_TZ
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return CHINA_TZ
    return timezone(-delta if sign == "-" else delta)


def _gps(info: dict) -> GeoPoint | None:
    lat = _coordinate(info.get(ExifTags.GPS.GPSLatitude), info.get(ExifTags.GPS.GPSLatitudeRef), "NS", 90)
    lon = _coordinate(info.get(ExifTags.GPS.GPSLongitude), info.get(ExifTags.GPS.GPSLongitudeRef), "EW", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):  # 0,0 is what phones write without a fix
        return None
    return GeoPoint(lat, lon, _guard(_altitude, info))


def _coordinate(dms: Any, ref: Any, refs: str, limit: float) -> float | None:
    """Degrees/minutes/seconds rationals to signed degrees; a missing ref counts as N or E."""
    if dms is None:
        return None
    parts = [float(part) for part in (dms if isinstance(dms, tuple | list) else (dms,))]
    value = sum(part / 60**i for i, part in enumerate(parts[:3]))
    ref_text = (_text(ref) or refs[0]).upper()[:1]
    if ref_text not in refs or not math.isfinite(value) or not 0 <= value <= limit:
        return None
    return -value if ref_text == refs[1] else value


def _altitude(info: dict) -> float | None:
    raw = info.get(ExifTags.GPS.GPSAltitude)
    if raw is None:
        return None
    alt = float(raw)
    if not math.isfinite(alt):
        return None
    ref = info.get(ExifTags.GPS.GPSAltitudeRef)
    below = ref in (1, b"\x01", "1")
    return -alt if below else alt


def _device(exif: Image.Exif) -> str | None:
    make, model = _text(exif.get(ExifTags.Base.Make)), _text(exif.get(ExifTags.Base.Model))
    if make and model and model.lower().startswith(make.lower()):
        return model  # e.g. Make "Apple", Model "Apple iPhone 12"
    return " ".join(part for part in (make, model) if part) or None


def _orientation(exif: Image.Exif) -> int | None:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def _text(value: Any) -> str | None:
    """An ASCII tag as clean text: bytes decoded, NUL padding and spaces stripped."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None
