"""The image job's one-decode derivation gives what the separate decoders gave: the same upright
thumbnails, the same pHash and a fingerprint that finds and verifies the separately computed one."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageChops, ImageStat

from app.images import derive as derive_module
from app.images.derive import derive
from app.images.fingerprint import decode_work_image, photo_print
from app.images.hashing import hamming, perceptual_hash
from app.images.matching import verify
from app.images.signature_print import decode_ink, signature_print
from app.images.thumbnails import THUMBNAIL_SIZES, make_thumbnail
from devkit.imagegen import make_photo, make_signature


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.mark.parametrize("orientation", [None, 6])
def test_one_decode_gives_the_separately_made_thumbnails_and_phash(orientation):
    photo = make_photo(31, width=2000, height=1500, orientation=orientation)
    made = derive("photo", photo)
    assert set(made.thumbnails) == set(THUMBNAIL_SIZES)
    for size in THUMBNAIL_SIZES:
        ours, theirs = _open(made.thumbnails[size]), _open(make_thumbnail(io.BytesIO(photo), size))
        assert ours.size == theirs.size  # upright: (750, 1000) for orientation 6 (1/2 scale, DRAFT_SLACK)
        assert not ours.getexif()  # no GPS leaks into what reviewers' browsers cache
        assert max(ImageStat.Stat(ImageChops.difference(ours, theirs)).mean) < 6  # measured ~1-2
    assert hamming(made.phash, perceptual_hash(io.BytesIO(photo))) <= 2  # measured 0


def test_a_phone_photo_decodes_one_dct_scale_further_down():
    """12 MP: 1/4 scale gives 1000x750, within DRAFT_SLACK of 1024, so no 2000x1500 decode and shrink."""
    made = derive("photo", make_photo(34, width=4000, height=3000))
    assert _open(made.thumbnails[1024]).size == (1000, 750)
    assert _open(made.thumbnails[240]).size == (240, 180)
    assert derive_module.decode_upright(make_photo(35, width=1600, height=1200), 1024).size == (1024, 768)


def test_one_decode_fingerprint_matches_the_separately_computed_one():
    photo = make_photo(32, width=1600, height=1200)
    made = derive("photo", photo).fingerprint
    alone = photo_print(decode_work_image(io.BytesIO(photo)))
    assert set(made.probes) & set(alone.keys)  # the search finds one from the other
    match = verify(made.features, made.mirrored_features, alone.features)
    assert match is not None and match.inliers > 150  # measured ~270 of 300
    signature = make_signature(33)
    assert (
        derive("signature", signature).fingerprint.keys
        == signature_print(decode_ink(io.BytesIO(signature))).keys
    )


def test_each_original_is_decoded_once(monkeypatch):
    opened = []
    real_open = Image.open

    def counting_open(*args, **kwargs):
        opened.append(args)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(derive_module.Image, "open", counting_open)
    made = derive("photo", make_photo(34, width=1600, height=1200))
    assert len(opened) == 1 and made.fingerprint is not None and made.phash
    assert derive("document", make_photo(35)).fingerprint is None  # only photos and signatures are searched
