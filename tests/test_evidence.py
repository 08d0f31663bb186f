"""Issue 13: disguised evidence is caught through the real burst worker, honest look-alikes are not.

A few representative images per class; bench/evidence.py measures the rates on hundreds.
"""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest
from jsonschema import ValidationError

from app.checks.policy import CheckPolicy, load_policy
from app.images.derive import derive
from app.images.fingerprint import _upright, decode_bytes, photo_print, trim_borders, unpack_tiny
from app.images.matching import (
    MIN_INLIERS,
    MIN_PIXEL_AGREEMENT,
    MIN_PIXEL_INLIERS,
    fit,
    pixel_agreement,
    verify,
)
from app.visits.models import Attachment, EvidencePrint, Visit
from devkit import attacks, signers
from devkit.imagegen import make_photo
from tests.api_submissions import VISIT_START, evidence
from tests.factories import HouseholdFactory
from tests.test_workers import VILLAGE, failed_checks, submit, world  # noqa: F401  (fixture)

TAKEN = VISIT_START + timedelta(minutes=10)
HOME = (36.45, 115.45)


def upload(img, household) -> bytes:
    """What the cheating cadre uploads: the disguised picture with fresh EXIF at the other household."""
    return attacks.as_upload(img, taken_at=TAKEN, gps=(household.lat, household.lon))


def source_of(visit_id: str, slot: str) -> str:
    return str(Attachment.objects.get(visit_id=visit_id, slot=slot).id)


def test_disguised_copies_of_another_households_photos_are_caught(world, client, run_worker):  # noqa: F811
    _, headers = world
    first = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    originals = evidence(first, seed=21)
    first_id = submit(client, headers, first, originals)
    second = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    third = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    rng = random.Random(5)
    # crops and turns: their search and verification are tested on bare fingerprints below
    # (test_crops_and_turns_are_found_by_the_index, test_crops_and_turns_verify_with_the_numbers)
    disguises = {"photo.front_of_house": attacks.mirror, "photo.living_room": attacks.screenshot}
    files = evidence(second, seed=22)
    for slot, disguise in disguises.items():
        files[slot] = upload(disguise(attacks.decode(originals[slot]), rng), second)
    second_id = submit(client, headers, second, files)
    greyed = evidence(third, seed=23)
    greyed["photo.stove"] = upload(attacks.grey(attacks.decode(originals["photo.stove"]), rng), third)
    third_id = submit(client, headers, third, greyed)
    run_worker()

    second_visit = Visit.objects.get(id=second_id)
    assert second_visit.state == "has_issues"
    failed = failed_checks(second_visit)
    assert set(failed) == {"photo_reuse"}  # fresh EXIF: only the reuse gives them away
    reuse = {c["slot"]: c["data"] for c in failed["photo_reuse"]}
    assert set(reuse) == set(disguises)
    for slot, data in reuse.items():
        assert (data["visit_id"], data["household_id"], data["slot"]) == (first_id, str(first.id), slot)
        assert data["attachment_id"] == source_of(first_id, slot)
        assert data["inliers"] >= 50
    assert reuse["photo.front_of_house"]["mirrored"] is True
    assert 0.95 < reuse["photo.living_room"]["scale"] < 1.05  # bars trimmed: the whole picture again
    grey = failed_checks(Visit.objects.get(id=third_id))["photo_reuse"]
    assert [(c["slot"], c["data"]["attachment_id"]) for c in grey] == [
        ("photo.stove", source_of(first_id, "photo.stove"))
    ]
    assert Visit.objects.get(id=first_id).state == "checked"  # the original is not blamed


def test_rescanned_signature_is_a_copy_but_genuine_signatures_are_not(world, client, run_worker):  # noqa: F811
    _, headers = world
    secretary, head = signers.signer(700), signers.signer(701)
    households = [HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1]) for _ in range(3)]
    visits = []
    for day, household in enumerate(households):
        files = evidence(household, seed=30 + day)
        files["signature.village_secretary"] = signers.genuine(secretary, day=day)  # one official, many days
        if day == 0:
            files["signature.household_head"] = signers.genuine(head, day=0)
        if day == 2:  # the first household's head signature, printed and photographed again
            files["signature.household_head"] = signers.print_and_photograph(
                signers.genuine(head, day=0), random.Random(9)
            )
        visits.append(submit(client, headers, household, files))
    run_worker()

    assert Visit.objects.get(id=visits[1]).state == "checked", failed_checks(Visit.objects.get(id=visits[1]))
    copied = Visit.objects.get(id=visits[2])
    [check] = failed_checks(copied)["signature_reuse"]
    assert check["slot"] == "signature.household_head"
    assert check["data"]["attachment_id"] == source_of(visits[0], "signature.household_head")
    assert check["data"]["stroke_distance_px"] < 0.6
    assert "strokes coincide" in check["detail"]


def test_hard_negatives_revisit_and_neighbour_pass(world, client, run_worker):  # noqa: F811
    """The same rooms months later (own household: exempt) and the neighbour's yard under the same
    skyline, by the same cadre half an hour later: both clean."""
    _, headers = world
    home = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    neighbour = HouseholdFactory(village_code=VILLAGE, lat=HOME[0] + 0.002, lon=HOME[1])
    earlier = evidence(home, seed=41)
    submit(client, headers, home, earlier)
    rng = random.Random(3)
    again = {**evidence(home, seed=42)}
    for slot in ("photo.stove", "photo.bedroom", "photo.living_room"):
        again[slot] = upload(attacks.revisit(attacks.decode(earlier[slot]), rng), home)
    revisit_id = submit(client, headers, home, again)
    later = TAKEN + timedelta(minutes=50)
    yard = attacks.same_village(
        attacks.revisit(attacks.decode(earlier["photo.front_of_house"]), rng),
        attacks.decode(make_photo(4300, width=800, height=600)),
        rng,
    )
    files = evidence(neighbour, seed=43, taken_at=later)
    files["photo.front_of_house"] = attacks.as_upload(
        yard, taken_at=later, gps=(neighbour.lat, neighbour.lon)
    )
    start = VISIT_START + timedelta(minutes=50)
    neighbour_id = submit(
        client,
        headers,
        neighbour,
        files,
        started_at=start.isoformat(),
        ended_at=(start + timedelta(minutes=40)).isoformat(),
    )
    run_worker()

    for visit_id in (revisit_id, neighbour_id):
        visit = Visit.objects.get(id=visit_id)
        assert visit.state == "checked", failed_checks(visit)
    # what the household exemption spares: the revisit's rooms do match the earlier photos
    stove = Attachment.objects.get(visit_id=revisit_id, slot="photo.stove")
    mine = EvidencePrint.objects.get(attachment_id=str(stove.id))
    source = EvidencePrint.objects.get(attachment_id=source_of_household(home.id, revisit_id, "photo.stove"))
    assert verify(mine.features, mine.mirrored_features, source.features) is not None


def source_of_household(household_id, not_visit: str, slot: str) -> str:
    return str(Attachment.objects.get(household_id=str(household_id), slot=slot, visit_id__ne=not_visit).id)


def test_impossible_visits_are_named_with_the_other_visit(world, client, run_worker):  # noqa: F811
    _, headers = world
    near = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    far = HouseholdFactory(village_code=VILLAGE, lat=HOME[0] + 0.2, lon=HOME[1])  # ~22 km north
    first_id = submit(client, headers, near, evidence(near, seed=51))
    # 22 km away, five minutes after the first ended, two minutes long, located to within 500 m
    start = VISIT_START + timedelta(minutes=50)
    hasty = submit(
        client,
        headers,
        far,
        evidence(far, seed=52),
        started_at=start.isoformat(),
        ended_at=(start + timedelta(minutes=2)).isoformat(),
        location={"lat": far.lat, "lon": far.lon, "accuracy_m": 500},
    )
    # the same cadre, during the first visit, 22 km away
    early = VISIT_START - timedelta(minutes=10)
    overlapping = submit(
        client,
        headers,
        far,
        evidence(far, seed=53),
        started_at=early.isoformat(),
        ended_at=(early + timedelta(minutes=40)).isoformat(),
    )
    run_worker()

    failed = failed_checks(Visit.objects.get(id=hasty))
    assert {"travel_speed", "visit_duration", "location_accuracy"} <= set(failed)
    speed = failed["travel_speed"][0]["data"]
    assert speed["visit_id"] == first_id and speed["gap_minutes"] == 5.0 and speed["speed_kmh"] > 200
    assert failed["visit_duration"][0]["data"]["minutes"] == 2.0
    assert failed["location_accuracy"][0]["data"]["accuracy_m"] == 500
    overlap = failed_checks(Visit.objects.get(id=overlapping))["visit_overlap"]
    assert [c["data"]["visit_id"] for c in overlap] == [first_id]
    assert overlap[0]["data"]["overlap_minutes"] == 30.0 and overlap[0]["data"]["distance_km"] > 20


def test_evidence_policy_file_downgrades_per_form_and_is_validated(tmp_path):
    shipped = load_policy("forms", CheckPolicy())
    assert shipped.for_form("household_visit").unverifiable_photo == "error"
    assert shipped.for_form("satisfaction_survey").unverifiable_photo == "warning"
    assert shipped.for_form("satisfaction_survey").max_speed_kmh == shipped.max_speed_kmh
    (tmp_path / "evidence_policy.yaml").write_text("defaults:\n  unverifiable_photo: ignore\n")
    with pytest.raises(ValidationError):
        load_policy(tmp_path, CheckPolicy())
    assert load_policy(tmp_path / "none", CheckPolicy()) == CheckPolicy()


def test_screenshot_bars_are_trimmed_and_scene_edges_are_not():
    scene = attacks.decode(make_photo(61, width=800, height=600))
    shot = np.asarray(attacks.screenshot(scene, random.Random(1)).convert("L"))
    trimmed = trim_borders(shot)
    assert abs(trimmed.shape[1] / trimmed.shape[0] - 800 / 600) < 0.02
    plain = np.asarray(scene.convert("L"))
    assert trim_borders(plain).shape == plain.shape


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied_like_pillow(orientation):
    import io

    from PIL import Image, ImageOps

    pixels = (np.arange(7 * 12) % 251).astype(np.uint8).reshape(7, 12)
    img = Image.fromarray(pixels)
    exif = img.getexif()
    exif[0x0112] = orientation
    out = io.BytesIO()
    img.save(out, "PNG", exif=exif)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(out.getvalue()))))
    assert np.array_equal(_upright(pixels, orientation), expected)


def test_unrelated_photos_do_not_verify():
    a, b = (photo_print(decode_bytes(make_photo(s, width=800, height=600))) for s in (71, 72))
    assert verify(a.features, a.mirrored_features, b.features) is None
    assert not set(a.probes) & set(b.keys)


def test_crops_and_turns_verify_with_the_numbers():
    rng = random.Random(8)
    scene = attacks.decode(make_photo(81, width=800, height=600))
    original = photo_print(decode_bytes(attacks.as_upload(scene, taken_at=None, gps=None)))
    for disguise in (attacks.crop, attacks.rotate):
        copy = photo_print(decode_bytes(attacks.as_upload(disguise(scene, rng), taken_at=None, gps=None)))
        match = verify(copy.features, copy.mirrored_features, original.features)
        assert match is not None and match.inliers >= 50 and not match.mirrored
        if disguise is attacks.rotate:
            assert 3 <= abs(match.angle) <= 10
        else:
            assert 0.7 < match.scale < 0.97  # the crop was scaled back up: the original is smaller


def test_crops_and_turns_are_found_by_the_index():
    """Candidate stage: a crop or turn shares a key with its source (least-sure anchor bits probed)."""
    rng = random.Random(9)
    found = {attacks.crop: 0, attacks.rotate: 0}
    for seed in range(90, 98):
        scene = attacks.decode(make_photo(seed, width=800, height=600))
        original = photo_print(decode_bytes(attacks.as_upload(scene, taken_at=None, gps=None)))
        for disguise in found:
            copy = photo_print(decode_bytes(attacks.as_upload(disguise(scene, rng), taken_at=None, gps=None)))
            found[disguise] += bool(set(copy.probes) & set(original.keys))
    assert min(found.values()) >= 7, found  # of 8; bench/evidence.py measures the rate on hundreds


def test_a_shared_skyline_is_not_the_same_picture_but_a_crop_is():
    """Many inliers in one band (the neighbour's skyline above another yard) do not make a copy: the small
    pictures disagree below the band. A crop agrees in pixels everywhere."""
    rng = random.Random(11)
    strong_bands = 0
    for seed in range(8):
        scene = attacks.decode(make_photo(500 + seed, width=800, height=600))
        stored = photo_print(decode_bytes(attacks.as_upload(scene, taken_at=None, gps=None)))
        yard = attacks.decode(make_photo(600 + seed, width=800, height=600))
        front = attacks.same_village(attacks.revisit(scene, rng), attacks.revisit(yard, rng), rng)
        query = photo_print(decode_bytes(attacks.as_upload(front, taken_at=None, gps=None)))
        assert (
            verify(query.features, query.mirrored_features, stored.features, query.tiny, stored.tiny) is None
        )
        inliers, _, _, _, spread, transform = fit(query.features, stored.features)
        if inliers >= MIN_INLIERS:  # passes the keypoint rules but the spread: only pixels can tell
            strong_bands += 1
            pixels = pixel_agreement(unpack_tiny(query.tiny), unpack_tiny(stored.tiny), transform)
            assert pixels is None or pixels < MIN_PIXEL_AGREEMENT, (inliers, spread, pixels)
        copy = photo_print(decode_bytes(attacks.as_upload(attacks.crop(scene, rng), taken_at=None, gps=None)))
        transform = fit(copy.features, stored.features)[5]
        assert pixel_agreement(unpack_tiny(copy.tiny), unpack_tiny(stored.tiny), transform) >= 0.9
    assert strong_bands >= 1  # the set holds a skyline strong enough to need the pixel rule


def test_a_copy_with_few_keypoints_agreeing_is_caught_by_its_pixels_but_an_old_print_needs_more():
    """A crop whose texture gives few ORB keypoints (here: the copy keeps only 100 of its 300) is still a copy
    when its small picture agrees with the source's everywhere; a print without small pictures (stored
    before them) cannot be checked that way and still needs MIN_INLIERS."""
    rng = random.Random(5)
    scene = attacks.decode(make_photo(530, width=800, height=600))
    stored = photo_print(decode_bytes(attacks.as_upload(scene, taken_at=None, gps=None)))
    copy = photo_print(decode_bytes(attacks.as_upload(attacks.crop(scene, rng), taken_at=None, gps=None)))
    few, few_mirrored = copy.features[-100 * 36 :], copy.mirrored_features[-100 * 36 :]
    inliers = fit(few, stored.features)[0]
    assert MIN_PIXEL_INLIERS <= inliers < MIN_INLIERS, inliers
    match = verify(few, few_mirrored, stored.features, copy.tiny, stored.tiny)
    assert match is not None and match.inliers == inliers and match.pixels >= MIN_PIXEL_AGREEMENT
    assert verify(few, few_mirrored, stored.features) is None
    stranger = photo_print(decode_bytes(make_photo(531, width=800, height=600)))
    assert (
        verify(stranger.features, stranger.mirrored_features, stored.features, stranger.tiny, stored.tiny)
        is None
    )


def test_rescanned_signatures_share_a_key_through_few_probes():
    """Index stage: a printed and photographed signature shares a key with its source through ~60 probes
    (least sure bits flipped on both sides); a genuine signature of another person shares none."""
    rng = random.Random(4)
    found = 0
    for i in range(8):
        original = derive("signature", signers.genuine(signers.signer(900 + i), day=0)).fingerprint
        copy = derive(
            "signature", signers.print_and_photograph(signers.genuine(signers.signer(900 + i), day=0), rng)
        )
        found += bool(set(copy.fingerprint.probes) & set(original.keys))
        assert len(copy.fingerprint.probes) <= 60
        stranger = derive("signature", signers.genuine(signers.signer(950 + i), day=0)).fingerprint
        assert not set(stranger.probes) & set(original.keys)
    assert found >= 7, found


def test_an_honest_revisit_meeting_anothers_copy_of_its_room_warns_and_the_copy_is_checked_again(
    world,  # noqa: F811
    client,
    run_worker,
):
    """Household B's visit used A's stove photo (cropped) before A's own visit reached Doorstep, so B's
    checks found nothing then. A's honest revisit later shows the same stove and meets B's copy: the copy
    is B's (it shows A's room, as A's earlier photo proves), so A's visit gets a warning, not an error,
    and B's visit is checked again, which now flags it."""
    _, headers = world
    home = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    other = HouseholdFactory(village_code=VILLAGE, lat=HOME[0], lon=HOME[1])
    rng = random.Random(6)
    earlier = evidence(home, seed=51)
    fake = evidence(other, seed=52)
    fake["photo.stove"] = upload(attacks.crop(attacks.decode(earlier["photo.stove"]), rng), other)
    fake_id = submit(client, headers, other, fake)
    run_worker()
    assert Visit.objects.get(id=fake_id).state == "checked"  # nothing of A's was stored yet
    earlier_id = submit(client, headers, home, earlier)
    run_worker()
    again = evidence(home, seed=53)
    again["photo.stove"] = upload(attacks.revisit(attacks.decode(earlier["photo.stove"]), rng), home)
    revisit_id = submit(client, headers, home, again)
    run_worker()

    revisit = Visit.objects.get(id=revisit_id)
    assert revisit.state == "checked", failed_checks(revisit)
    [warning] = [c for c in revisit.checks if c["code"] == "photo_reuse" and not c["passed"]]
    assert warning["severity"] == "warning" and warning["slot"] == "photo.stove"
    assert warning["data"]["visit_id"] == fake_id
    assert warning["data"]["copy_of"]["attachment_id"] == source_of(earlier_id, "photo.stove")
    flagged = Visit.objects.get(id=fake_id)
    assert flagged.state == "has_issues"
    [check] = failed_checks(flagged)["photo_reuse"]
    assert check["data"]["household_id"] == str(home.id)
