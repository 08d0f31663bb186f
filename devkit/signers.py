"""Signers whose genuine signatures differ from day to day, and signatures printed and photographed again.

A signer is a stroke model: a few pen-down runs of Bezier segments drawn left to right like a name.
Each genuine signature redraws that model with the variation a real hand shows between days: every
control point moved by ~3% of the height, the whole slanted, scaled and turned a little, the pen width
changed. A re-scanned copy keeps one signature's exact strokes and adds only what a printer and a phone
camera add: a turn, a scale, blur, noise, uneven paper, and sometimes a hard threshold.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from devkit.imagegen import _bezier

WIDTH, HEIGHT = 600, 240


@dataclass(frozen=True)
class Signer:
    runs: tuple[tuple[tuple[float, float], ...], ...]  # per run: start point, then (c1, c2, end) triples
    width: int
    ink: tuple[int, int, int]


def signer(seed: int) -> Signer:
    """A person's signature model (coordinates as fractions of the canvas)."""
    rng = random.Random(seed)
    runs, x = [], rng.uniform(0.05, 0.15)
    for _ in range(rng.randint(2, 4)):
        pts = [(x, rng.uniform(0.3, 0.7))]
        for _ in range(rng.randint(3, 6)):
            x0 = pts[-1][0]
            if x0 >= 0.9:
                break
            x3 = min(x0 + rng.uniform(0.04, 0.12), 0.95)
            c1, c2 = ((rng.uniform(x0 - 0.07, x3 + 0.07), rng.uniform(0.05, 0.95)) for _ in "ab")
            pts += [c1, c2, (x3, rng.uniform(0.2, 0.8))]
        runs.append(tuple(pts))
        x = pts[-1][0] + rng.uniform(0.01, 0.05)
    ink = (rng.randint(0, 40), rng.randint(0, 40), rng.randint(40, 110))
    return Signer(tuple(runs), rng.randint(3, 6), ink)


def genuine(person: Signer, day: int, *, jitter: float = 0.03) -> bytes:
    """One genuine signature of `person` on `day`: a PNG of ink on a transparent ground."""
    rng = random.Random(day * 7919 + hash(person.runs) % 100_003)
    slant, scale = rng.uniform(-0.12, 0.12), rng.uniform(0.9, 1.1)
    turn = math.radians(rng.uniform(-3, 3))
    dx, dy = rng.uniform(-0.03, 0.03), rng.uniform(-0.05, 0.05)
    s = 2  # draw at twice the size, then downsample
    canvas = Image.new("RGBA", (WIDTH * s, HEIGHT * s), (255, 255, 255, 0))
    draw = ImageDraw.Draw(canvas)

    def place(p: tuple[float, float]) -> tuple[float, float]:
        x = p[0] * WIDTH + rng.gauss(0, jitter * HEIGHT) - WIDTH / 2
        y = p[1] * HEIGHT + rng.gauss(0, jitter * HEIGHT) - HEIGHT / 2
        x -= slant * y
        x, y = x * math.cos(turn) - y * math.sin(turn), x * math.sin(turn) + y * math.cos(turn)
        return ((WIDTH / 2 + dx * WIDTH + x * scale) * s, (HEIGHT / 2 + dy * HEIGHT + y * scale) * s)

    pen = max(2, person.width + rng.choice((-1, 0, 0, 1))) * s
    for run in person.runs:
        pts = [place(p) for p in run]
        line = [pts[0]]
        for i in range(1, len(pts) - 2, 3):
            line += _bezier(line[-1], pts[i], pts[i + 1], pts[i + 2])[1:]
        if len(line) > 1:
            draw.line(line, fill=(*person.ink, 255), width=pen, joint="curve")
    return _png(canvas.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS))


def print_and_photograph(signature: bytes, rng: random.Random) -> bytes:
    """The signature printed on paper and photographed with a phone: turned up to 8 degrees, scaled
    0.7-1.5x, blurred, unevenly lit and noisy, then (one time in three) thresholded to black and white."""
    with Image.open(io.BytesIO(signature)) as src:
        sig = src.convert("RGBA")
    scale = rng.uniform(0.7, 1.5)
    sig = sig.resize((round(sig.width * scale), round(sig.height * scale)), Image.Resampling.BICUBIC)
    sig = sig.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BICUBIC, expand=True)
    w, h = sig.width + rng.randint(20, 120), sig.height + rng.randint(20, 120)
    paper = np.full((h, w), rng.uniform(205, 240), np.float32)
    yy, xx = np.mgrid[0:h, 0:w]
    paper += rng.uniform(-25, 25) * xx / w + rng.uniform(-15, 15) * yy / h  # light falls unevenly
    page = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).convert("RGB")
    page.paste(
        sig, ((w - sig.width) // 2 + rng.randint(-5, 5), (h - sig.height) // 2 + rng.randint(-5, 5)), sig
    )
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    pixels = np.asarray(page, np.float32) + np.random.default_rng(rng.getrandbits(32)).normal(0, 5, (h, w, 3))
    photo = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    if rng.random() < 1 / 3:
        grey = np.asarray(photo.convert("L"))
        photo = Image.fromarray(np.where(grey < grey.mean() - 30, 0, 255).astype(np.uint8)).convert("RGB")
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=rng.randint(70, 92))
    return out.getvalue()


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()
