"""Thumbnail cost per photo: `make_thumbnail` as it is (one decode per size) against variants that
decode once for both sizes, skip the JPEG optimisation pass, or resize with BICUBIC. No servers needed.

    .venv/bin/python -m bench.thumbnails [--photos 6 --repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time

from PIL import Image, ImageOps

from app.images.thumbnails import THUMBNAIL_QUALITY, THUMBNAIL_SIZES, flatten_on_white, make_thumbnail
from bench.common import write_results
from devkit.imagegen import make_photo


def as_now(data: bytes) -> list[bytes]:
    return [make_thumbnail(io.BytesIO(data), size) for size in THUMBNAIL_SIZES]


def decode_once(data: bytes, *, optimize: bool = True, resample=Image.Resampling.LANCZOS) -> list[bytes]:
    """Decode at the largest size (libjpeg draft), derive the smaller thumbnail from it."""
    largest = max(THUMBNAIL_SIZES)
    with Image.open(io.BytesIO(data)) as img:
        if img.format == "JPEG":
            img.draft("RGB", (largest, largest))
        upright = ImageOps.exif_transpose(img)
        upright.thumbnail((largest, largest), resample)
        big = flatten_on_white(upright)
    out = []
    for size in THUMBNAIL_SIZES:
        image = big if size == largest else big.copy()
        image.thumbnail((size, size), resample)
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY, optimize=optimize)
        out.append(buffer.getvalue())
    return out


VARIANTS = {
    "as now (decode per size, LANCZOS, optimize)": as_now,
    "decode once": decode_once,
    "decode once, no optimize": lambda d: decode_once(d, optimize=False),
    "decode once, no optimize, BICUBIC": lambda d: decode_once(
        d, optimize=False, resample=Image.Resampling.BICUBIC
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    photos = [make_photo(900 + i) for i in range(args.photos)]
    rows = {}
    for name, variant in VARIANTS.items():
        variant(photos[0])  # warm-up
        seconds, sizes = [], []
        for _ in range(args.repeat):
            for data in photos:
                began = time.perf_counter()
                out = variant(data)
                seconds.append(time.perf_counter() - began)
                sizes.append(sum(len(b) for b in out))
        rows[name] = {
            "ms_per_photo": round(1000 * statistics.median(seconds), 1),
            "bytes_both_sizes": round(statistics.fmean(sizes)),
        }
        print(
            f"{name:<40} {rows[name]['ms_per_photo']:6.1f} ms/photo  {rows[name]['bytes_both_sizes']} bytes"
        )
    print(f"wrote {write_results('thumbnails', {'photo': '1600x1200 q85', 'variants': rows})}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
