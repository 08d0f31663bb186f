"""The image gate, EXIF reading, thumbnails and fingerprints, on real generated JPEGs and PNGs."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import os
import struct
import warnings
import zlib
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageChops, ImageFile, ImageStat
from PIL.TiffImagePlugin import IFDRational

from app.errors import CorruptImage, NotAnImage, PayloadTooLarge, TooManyPixels
from app.images.exif import ExifSummary, GeoPoint, read_exif
from app.images.hashing import (
    HASH_BANDS,
    NEAR_DUPLICATE_DISTANCE,
    hamming,
    hash_bands,
    perceptual_hash,
    probe_bands,
    sha256_file,
)
from app.images.inspect import inspect_image
from app.images.thumbnails import THUMBNAIL_SIZES, make_thumbnail
from devkit.imagegen import make_photo, make_signature, reencode

MB = 1 << 20
LIMITS = {"max_bytes": 10 * MB, "max_pixels": 50_000_000}
TAKEN = datetime(2024, 5, 1, 10, 30, 15)  # China local time, naive as a phone writes it
TAKEN_UTC = datetime(2024, 5, 1, 2, 30, 15, tzinfo=UTC)
VILLAGE = (27.6843, 109.1972)  # Hunan


@pytest.fixture(scope="module")
def photo() -> bytes:
    return make_photo(1, taken_at=TAKEN, gps=VILLAGE, device="HUAWEI P30")


@pytest.fixture(scope="module")
def signature() -> bytes:
    return make_signature(1)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose header claims width x height RGB pixels; decoding it would fail (or explode)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_with_exif(exif: Image.Exif | bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 140, 160)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (32, 32)).save(out, "GIF")
    return out.getvalue()


# --- the gate: refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", id="pdf"),
        pytest.param("村民张三 household list\n".encode(), id="text"),
        pytest.param(b"GIF89a" + b"\x00" * 32, id="gif-header"),
        pytest.param(gif(), id="real-gif"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xd8", id="two-bytes-of-jpeg-magic"),
        pytest.param(b"\x89PNG\r\n\x1a", id="png-magic-one-byte-short"),
    ],
)
def test_refuses_what_is_not_jpeg_or_png(data):
    with pytest.raises(NotAnImage) as exc:
        inspect_image(io.BytesIO(data), **LIMITS)
    assert exc.value.status == 415


def test_refuses_a_pdf_named_like_a_photo(tmp_path):
    path = tmp_path / "IMG_20240501.jpg"
    path.write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(NotAnImage):
        inspect_image(path, **LIMITS)


def test_refuses_too_many_bytes_before_reading_content(photo):
    with pytest.raises(PayloadTooLarge) as exc:
        inspect_image(io.BytesIO(photo), max_bytes=len(photo) - 1, max_pixels=LIMITS["max_pixels"])
    assert exc.value.status == 413
    assert exc.value.details["max_bytes"] == len(photo) - 1
    # Size is checked first: an oversized non-image is "too large", not "not an image".
    with pytest.raises(PayloadTooLarge):
        inspect_image(io.BytesIO(b"x" * 101), max_bytes=100, max_pixels=1)


def test_accepts_exactly_max_bytes(photo):
    assert inspect_image(io.BytesIO(photo), max_bytes=len(photo), max_pixels=10**8).width == 1600


@pytest.mark.parametrize(
    ("width", "height", "max_pixels"),
    [
        pytest.param(40_000, 40_000, 50_000_000, id="over-pillow-hard-limit"),
        pytest.param(10_000, 10_000, 50_000_000, id="in-pillow-warning-band"),
        pytest.param(5_000, 5_000, 20_000_000, id="under-pillow-limits-over-ours"),
    ],
)
def test_refuses_decompression_bombs_from_the_header(width, height, max_pixels):
    # The IDAT holds 64 bytes: had anything tried to decode, this would be CorruptImage (or a huge
    # allocation), so TooManyPixels proves the refusal came from the header alone.
    before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(TooManyPixels) as exc:
            inspect_image(io.BytesIO(bomb_png(width, height)), max_bytes=MB, max_pixels=max_pixels)
    assert exc.value.status == 413
    assert before == Image.MAX_IMAGE_PIXELS  # Pillow's global ceiling untouched


@pytest.mark.filterwarnings("error")
def test_pillow_bomb_warning_raised_as_error_is_still_too_many_pixels():
    with pytest.raises(TooManyPixels):
        inspect_image(io.BytesIO(bomb_png(10_000, 10_000)), max_bytes=MB, max_pixels=10**9)


def test_refuses_a_real_photo_over_a_small_pixel_limit(photo):
    with pytest.raises(TooManyPixels) as exc:
        inspect_image(io.BytesIO(photo), max_bytes=10 * MB, max_pixels=1_000_000)
    assert exc.value.details == {"max_pixels": 1_000_000, "width": 1600, "height": 1200}
    assert inspect_image(io.BytesIO(photo), max_bytes=10 * MB, max_pixels=1600 * 1200).height == 1200


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9, 0.99])
def test_refuses_truncated_jpeg(photo, keep):
    with pytest.raises(CorruptImage) as exc:
        inspect_image(io.BytesIO(photo[: int(len(photo) * keep)]), **LIMITS)
    assert exc.value.status == 400


@pytest.mark.parametrize("keep", [0.3, 0.8])
def test_refuses_truncated_png(signature, keep):
    with pytest.raises(CorruptImage):
        inspect_image(io.BytesIO(signature[: int(len(signature) * keep)]), **LIMITS)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xd8\xff\xe0" + os.urandom(2000), id="jpeg-magic-then-noise"),
        pytest.param(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, id="png-magic-then-zeros"),
        pytest.param(bomb_png(64, 64), id="png-header-with-too-little-data"),
    ],
)
def test_refuses_undecodable_data_behind_good_magic(data):
    with pytest.raises(CorruptImage):
        inspect_image(io.BytesIO(data), **LIMITS)


def test_refuses_to_run_with_truncated_loading_enabled(photo, monkeypatch):
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        inspect_image(io.BytesIO(photo[: len(photo) // 2]), **LIMITS)


# --- the gate: acceptance ----------------------------------------------------------------------


def test_accepts_jpeg_from_path_and_file_object_alike(photo, tmp_path):
    path = tmp_path / "upload.bin"
    path.write_bytes(photo)
    fileobj = io.BytesIO(photo)
    fileobj.seek(123)  # wherever the caller left it, the whole file is inspected
    for source in (path, str(path), fileobj):
        info = inspect_image(source, **LIMITS)
        assert (info.content_type, info.format, info.width, info.height) == ("image/jpeg", "JPEG", 1600, 1200)
        assert info.exif.device == "HUAWEI P30"
        assert info.exif.taken_at == TAKEN_UTC
    assert fileobj.tell() == 0  # rewound, ready to be streamed to storage


def test_accepts_png_signature(signature):
    info = inspect_image(io.BytesIO(signature), **LIMITS)
    assert (info.content_type, info.format, info.width, info.height) == ("image/png", "PNG", 600, 240)
    assert info.exif == ExifSummary()


def test_reports_displayed_dimensions_for_rotated_photos():
    info = inspect_image(io.BytesIO(make_photo(2, orientation=6)), **LIMITS)
    assert (info.width, info.height, info.exif.orientation) == (1200, 1600, 6)


# --- EXIF --------------------------------------------------------------------------------------


def _exif_of(data: bytes) -> ExifSummary:
    with Image.open(io.BytesIO(data)) as img:
        return read_exif(img)


@pytest.mark.parametrize(
    ("taken_at", "gps", "device", "expected_utc"),
    [
        (TAKEN, VILLAGE, "HUAWEI P30", TAKEN_UTC),
        (
            datetime(2024, 1, 1, 3, 0),
            (-33.8688, -70.6693),
            "Xiaomi Redmi Note 12",
            datetime(2023, 12, 31, 19, 0),
        ),
        (
            datetime(2024, 6, 30, 23, 59, 59, tzinfo=UTC),
            (45.5, -122.25),
            "OPPO A57",
            datetime(2024, 6, 30, 23, 59, 59),
        ),
        (datetime(2024, 3, 3, 8, 0), (-6.2, 106.8), "vivo Y76s", datetime(2024, 3, 3, 0, 0)),
    ],
)
def test_exif_round_trip(taken_at, gps, device, expected_utc):
    summary = _exif_of(make_photo(3, width=320, height=240, taken_at=taken_at, gps=gps, device=device))
    assert summary.taken_at == expected_utc.replace(tzinfo=UTC)
    assert summary.taken_at.tzinfo is UTC
    assert summary.gps.lat == pytest.approx(gps[0], abs=1e-6)
    assert summary.gps.lon == pytest.approx(gps[1], abs=1e-6)
    assert summary.gps.alt is None
    assert summary.device == device
    assert summary.orientation is None


def test_exif_to_dict_is_json_ready():
    summary = _exif_of(
        make_photo(3, width=320, height=240, taken_at=TAKEN, gps=(-27.5, -109.25), orientation=6)
    )
    assert json.loads(json.dumps(summary.to_dict())) == {
        "taken_at": "2024-05-01T02:30:15+00:00",
        "gps": {"lat": -27.5, "lon": -109.25, "alt": None},
        "device": "HUAWEI P30",
        "orientation": 6,
    }
    assert ExifSummary().to_dict() == {"taken_at": None, "gps": None, "device": None, "orientation": None}


def _exif(ifd0: dict | None = None, sub: dict | None = None, gps: dict | None = None) -> Image.Exif:
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    for ifd, values in ((ExifTags.IFD.Exif, sub), (ExifTags.IFD.GPSInfo, gps)):
        for tag, value in (values or {}).items():
            exif.get_ifd(ifd)[tag] = value
    return exif


B, G = ExifTags.Base, ExifTags.GPS
R = IFDRational


@pytest.mark.parametrize(
    ("exif", "expected"),
    [
        pytest.param(
            _exif(sub={B.DateTimeOriginal: "2024:05:01 10:00:00", B.OffsetTimeOriginal: "-05:00"}),
            datetime(2024, 5, 1, 15, 0, tzinfo=UTC),
            id="offset-honoured",
        ),
        pytest.param(
            _exif(sub={B.DateTimeOriginal: "2024:05:01 10:00:00"}),
            datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
            id="no-offset-means-china-time",
        ),
        pytest.param(
            _exif(ifd0={B.DateTime: "2024:05:02 09:00:00"}, sub={B.OffsetTime: "+00:00"}),
            datetime(2024, 5, 2, 9, 0, tzinfo=UTC),
            id="falls-back-to-datetime",
        ),
        pytest.param(
            _exif(ifd0={B.DateTime: "2024:05:02 09:00:00"}, sub={B.DateTimeOriginal: "0000:00:00 00:00:00"}),
            datetime(2024, 5, 2, 1, 0, tzinfo=UTC),
            id="blank-original-falls-back",
        ),
        pytest.param(
            _exif(sub={B.DateTimeOriginal: "2024:05:01 10:00:00", B.OffsetTimeOriginal: "soon"}),
            datetime(2024, 5, 1, 2, 0, tzinfo=UTC),
            id="garbage-offset-means-china-time",
        ),
    ],
)
def test_exif_time_rules(exif, expected):
    assert _exif_of(jpeg_with_exif(exif)).taken_at == expected


def test_exif_altitude_below_sea_level_and_make_not_repeated():
    exif = _exif(
        ifd0={B.Make: "Apple", B.Model: "Apple iPhone 12"},
        gps={
            G.GPSLatitudeRef: "N",
            G.GPSLatitude: (R(31, 1), R(14, 1), R(0, 1)),
            G.GPSLongitudeRef: "E",
            G.GPSLongitude: (R(121, 1), R(28, 1), R(30, 1)),
            G.GPSAltitudeRef: 1,
            G.GPSAltitude: R(125, 10),
        },
    )
    summary = _exif_of(jpeg_with_exif(exif))
    assert summary.gps == GeoPoint(lat=31 + 14 / 60, lon=121 + 28 / 60 + 30 / 3600, alt=-12.5)
    assert summary.device == "Apple iPhone 12"


@pytest.mark.parametrize(
    "exif",
    [
        pytest.param(b"Exif\x00\x00" + bytes(range(256)) * 4, id="noise-after-header"),
        pytest.param(b"Exif\x00\x00II*\x00\xff\xff\xff\x7f", id="ifd-offset-past-end"),
        pytest.param(b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\xff\xff", id="huge-entry-count"),
        pytest.param(
            _exif(
                ifd0={B.Orientation: 99, B.Make: "\x00\x00", B.DateTime: "yesterday"},
                sub={B.DateTimeOriginal: "2024:13:45 99:99:99"},
                gps={
                    G.GPSLatitudeRef: "Q",
                    G.GPSLatitude: (R(31, 0), R(1, 0), R(0, 0)),
                    G.GPSLongitudeRef: "E",
                    G.GPSLongitude: (R(121, 1), R(0, 1), R(0, 1)),
                },
            ),
            id="nonsense-values",
        ),
        pytest.param(
            _exif(
                gps={G.GPSLatitude: (R(0, 1), R(0, 1), R(0, 1)), G.GPSLongitude: (R(0, 1), R(0, 1), R(0, 1))}
            ),
            id="null-island-no-fix",
        ),
        pytest.param(
            _exif(
                gps={G.GPSLatitudeRef: "N", G.GPSLatitude: (R(95, 1), R(0, 1), R(0, 1)), G.GPSLongitude: 12}
            ),
            id="latitude-out-of-range",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_garbage_exif_reads_as_unknown_and_the_photo_is_still_accepted(exif):
    data = jpeg_with_exif(exif)
    summary = _exif_of(data)
    assert summary == ExifSummary()
    assert inspect_image(io.BytesIO(data), **LIMITS).exif == summary
    assert make_thumbnail(io.BytesIO(data), 240)[:3] == b"\xff\xd8\xff"


class _ExifOnly:
    """Stands in for an image whose EXIF holds values no writer would produce (wrong types)."""

    def __init__(self, exif: Image.Exif | Exception):
        self._exif = exif

    def getexif(self) -> Image.Exif:
        if isinstance(self._exif, Exception):
            raise self._exif
        return self._exif


@pytest.mark.parametrize(
    ("img", "expected"),
    [
        pytest.param(_ExifOnly(SyntaxError("not a TIFF file")), ExifSummary(), id="parser-raises"),
        pytest.param(
            _ExifOnly(
                _exif(
                    ifd0={B.Make: 42, B.Model: ["P", "30"], B.Orientation: "6", B.DateTime: b"\xff\xfe"},
                    sub={B.DateTimeOriginal: 20240501, B.OffsetTimeOriginal: None},
                    gps={G.GPSLatitude: "north-ish", G.GPSLongitude: ((1, 2),), G.GPSLatitudeRef: 7},
                )
            ),
            ExifSummary(),
            id="every-field-mistyped",
        ),
        pytest.param(
            _ExifOnly(
                _exif(gps={G.GPSLatitude: (31.0, 15.0), G.GPSLongitude: (R(121, 1),), G.GPSAltitude: "high"})
            ),
            ExifSummary(gps=GeoPoint(lat=31.25, lon=121.0, alt=None)),
            id="bad-altitude-keeps-position",
        ),
    ],
)
def test_exif_of_the_wrong_types_reads_as_unknown(img, expected):
    assert read_exif(img) == expected


# --- thumbnails --------------------------------------------------------------------------------


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize("max_side", THUMBNAIL_SIZES)
def test_thumbnail_fits_max_side_and_drops_exif(photo, max_side):
    thumb = _open(make_thumbnail(io.BytesIO(photo), max_side))
    assert thumb.format == "JPEG"
    assert thumb.size == (max_side, max_side * 3 // 4)
    assert not thumb.getexif()  # no GPS or device leaks into what reviewers' browsers cache


def test_thumbnail_does_not_upscale(signature):
    assert _open(make_thumbnail(io.BytesIO(signature), 1024)).size == (600, 240)


def test_thumbnail_applies_orientation_the_right_way_round():
    upright = _open(make_thumbnail(io.BytesIO(make_photo(4)), 240))
    rotated = _open(make_thumbnail(io.BytesIO(make_photo(4, orientation=6)), 240))
    assert rotated.size == (180, 240)
    # Orientation 6 means "rotate 90 degrees clockwise to display".
    same = ImageStat.Stat(ImageChops.difference(upright.transpose(Image.Transpose.ROTATE_270), rotated))
    wrong = ImageStat.Stat(ImageChops.difference(upright.transpose(Image.Transpose.ROTATE_90), rotated))
    assert max(same.mean) < 8 < 25 < min(wrong.mean)  # measured: about 3 vs 35+


def test_thumbnail_flattens_transparent_signature_on_white(signature):
    with Image.open(io.BytesIO(signature)) as src:
        assert src.mode == "RGBA" and src.getpixel((0, 0))[3] == 0
    thumb = _open(make_thumbnail(io.BytesIO(signature), 240)).convert("L")
    assert thumb.getpixel((0, 0)) > 245  # transparent background became white, not black
    assert thumb.getextrema()[0] < 100  # and the ink is still there


# --- fingerprints ------------------------------------------------------------------------------


COPIES = [(60, 1.0), (85, 0.5), (60, 0.5), (40, 0.6), (95, 0.25)]


@pytest.fixture(scope="module")
def twenty_photos() -> list[bytes]:
    return [make_photo(seed) for seed in range(100, 120)]


def test_perceptual_hash_is_64_bits_of_hex_and_source_agnostic(photo, tmp_path):
    path = tmp_path / "p.jpg"
    path.write_bytes(photo)
    h = perceptual_hash(io.BytesIO(photo))
    assert len(h) == 16 and int(h, 16) >= 0 and h == h.lower()
    assert perceptual_hash(path) == h


def test_reencoded_and_resized_copies_are_near_duplicates_and_distinct_photos_are_not(twenty_photos):
    hashes = [perceptual_hash(io.BytesIO(p)) for p in twenty_photos]
    copy_distances = [
        hamming(h, perceptual_hash(io.BytesIO(reencode(p, quality=q, scale=s))))
        for p, h in zip(twenty_photos[:5], hashes, strict=False)
        for q, s in COPIES
    ]
    distinct = [hamming(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert max(copy_distances) < NEAR_DUPLICATE_DISTANCE < min(distinct)


def test_rotated_photo_and_its_rotation_baked_copy_hash_alike():
    original = make_photo(5, orientation=6)
    baked = reencode(original, quality=70, scale=0.5)
    assert hamming(perceptual_hash(io.BytesIO(original)), perceptual_hash(io.BytesIO(baked))) < 4


def test_signatures_hash_apart():
    hashes = [perceptual_hash(io.BytesIO(make_signature(seed))) for seed in range(6)]
    assert min(hamming(a, b) for a, b in itertools.combinations(hashes, 2)) > NEAR_DUPLICATE_DISTANCE


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("0" * 16, "0" * 16, 0),
        ("f" * 16, "0" * 16, 64),
        ("0000000000000001", "0000000000000003", 1),
        ("8000000000000000", "0000000000000001", 2),
        ("ABCDEF0123456789", "abcdef0123456789", 0),
    ],
)
def test_hamming(a, b, distance):
    assert hamming(a, b) == distance


def test_hamming_refuses_hashes_of_different_lengths():
    with pytest.raises(ValueError):
        hamming("00", "000")


def test_hash_bands_tags_each_piece_with_its_position():
    assert hash_bands("0123456789abcdef", 8) == [
        "0:01",
        "1:23",
        "2:45",
        "3:67",
        "4:89",
        "5:ab",
        "6:cd",
        "7:ef",
    ]
    assert hash_bands("0123456789ABCDEF") == ["0:0123", "1:4567", "2:89ab", "3:cdef"]
    # Position matters: equal pieces in different places must not look like a shared band.
    assert not set(hash_bands("00ff" * 4, 4)) & set(hash_bands("ff00" * 4, 4))


@pytest.mark.parametrize("bands", [0, 3, 5, 32])
def test_hash_bands_refuses_uneven_splits(bands):
    with pytest.raises(ValueError):
        hash_bands("0" * 16, bands)


def test_band_count_and_threshold_agree():
    assert NEAR_DUPLICATE_DISTANCE == 2 * HASH_BANDS - 1


def test_probe_bands_are_each_band_and_its_one_bit_neighbours():
    probes = probe_bands("0123456789abcdef")
    assert len(probes) == HASH_BANDS * 17 and len(set(probes)) == len(probes)
    assert probes[:3] == ["0:0123", "0:0122", "0:0121"] and "3:4def" in probes  # bit 14 of band 3


@settings(max_examples=300)
@given(h=st.integers(0, 2**64 - 1), data=st.data())
def test_every_hash_within_the_threshold_is_probed(h, data):
    flips = data.draw(st.sets(st.integers(0, 63), max_size=NEAR_DUPLICATE_DISTANCE))
    other = h
    for bit in flips:
        other ^= 1 << bit
    assert set(probe_bands(f"{h:016x}")) & set(hash_bands(f"{other:016x}"))


@given(h=st.integers(0, 2**64 - 1), data=st.data())
def test_two_flips_in_every_band_escape_the_probes_so_the_bound_is_tight(h, data):
    other = h
    for band in range(HASH_BANDS):
        first, second = data.draw(st.lists(st.integers(0, 15), min_size=2, max_size=2, unique=True))
        other ^= (1 << (band * 16 + first)) | (1 << (band * 16 + second))
    assert not set(probe_bands(f"{h:016x}")) & set(hash_bands(f"{other:016x}"))


@given(
    h=st.integers(0, 2**64 - 1),
    bands=st.sampled_from([2, 4, 8, 16]),
    data=st.data(),
)
def test_hashes_closer_than_band_count_share_a_band(h, bands, data):
    flips = data.draw(st.sets(st.integers(0, 63), max_size=bands - 1))
    other = h
    for bit in flips:
        other ^= 1 << bit
    a, b = f"{h:016x}", f"{other:016x}"
    assert hamming(a, b) == len(flips)
    assert set(hash_bands(a, bands)) & set(hash_bands(b, bands))


@given(h=st.integers(0, 2**64 - 1), bands=st.sampled_from([2, 4, 8, 16]), data=st.data())
def test_one_flip_per_band_shares_none_so_the_bound_is_tight(h, bands, data):
    width = 64 // bands
    other = h
    for band in range(bands):
        other ^= 1 << (band * width + data.draw(st.integers(0, width - 1)))
    assert not set(hash_bands(f"{h:016x}", bands)) & set(hash_bands(f"{other:016x}", bands))


def test_sha256_streams_paths_and_file_objects(tmp_path):
    data = os.urandom(2 * MB + 12345)  # more than one chunk
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    fileobj = io.BytesIO(data)
    fileobj.seek(999)
    assert sha256_file(path) == sha256_file(fileobj) == expected
