"""Issue 13: is disguised evidence caught, are honest visits left alone, and does the search scale?

    .venv/bin/python -m bench.evidence                      # detection table + search at 10k, 100k
    .venv/bin/python -m bench.evidence --sizes 10000,100000,1000000

Part 1 runs the real fingerprints, index queries, verification and checks against a real (embedded)
MongoDB. A village county is stored first: every household has an earlier visit (four photos, four
signatures by its head, the village secretary, the first secretary and the township cadre). Then:
- each attack class: visits whose one disguised item (a photo of another household mirrored, cropped,
  turned, greyed or screenshotted; a signature printed and photographed; a photo without EXIF or from
  another phone; an overlapping, too fast, too short or vaguely located visit) must be flagged, and a
  reuse must name the right source;
- clean visits, all hard negatives at once: the household's own rooms photographed again months later,
  the front of the house sharing the skyline of the neighbour visited just before, genuine signatures of
  the same officials who signed the stored visits, consecutive visits by one cadre in one village. Any
  blocking failure on them is a false positive.
Part 2 times the robust photo search (one `$in` over the probe keys, candidates read, best verified)
for fresh photos against 10k, 100k (and 1M) stored photos, against a full scan of the stored keys.
Filler photos carry random keys of the real structure (the measured collision rate of real anchor keys
is reported beside it). Part 3: fingerprint cost per photo at 1600x1200 and at phone size (12 MP).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mongoengine
from bson import ObjectId
from PIL import Image

from app.checks import common_keys
from app.checks.evidence import ERROR, capture_device, capture_place, capture_time
from app.checks.plausibility import location_accuracy, overlapping_visits, travel_speed, visit_duration
from app.checks.policy import CheckPolicy
from app.checks.reuse import candidates, find_reuse, reuse_checks, save_print, verified
from app.images.derive import derive
from app.images.exif import read_exif
from app.images.matching import fit
from app.images.signature_print import stroke_distance
from app.visits.models import Attachment, CommonKey, EvidencePrint, Visit
from bench.common import write_results
from bench.search_scale import SLIM_KEYS, fill, key_sample, search_scaling
from devkit import attacks, signers
from devkit.imagegen import make_photo
from devkit.servers import EmbeddedServices

PHOTO_SLOTS = ("photo.front_of_house", "photo.stove", "photo.bedroom", "photo.living_room")
SIGNERS = ("signature.household_head", "signature.village_secretary", "signature.first_secretary")
T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HOME = (36.45, 115.45)
POLICY = CheckPolicy()


def photo_bytes(img: Image.Image, when: datetime, device: str = "HUAWEI P30", gps=HOME) -> bytes:
    return attacks.as_upload(img, taken_at=when, gps=gps, device=device, quality=85)


def store(visit_id: str, household_id: str, slot: str, data: bytes) -> Attachment:
    """An attachment as intake + the image job leave it: exif, sha256 and its fingerprint."""
    kind = slot.split(".")[0]
    with Image.open(io.BytesIO(data)) as img:
        exif = read_exif(img).to_dict() if kind == "photo" else {}
    att = Attachment(
        visit_id=visit_id,
        household_id=household_id,
        slot=slot,
        kind=kind,
        key=f"bench/{visit_id}/{slot}",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="image/jpeg",
        exif=exif,
        uploaded_at=T0,
    ).save()
    save_print(att, derive(kind, data).fingerprint)  # as the image job computes it
    att.reload()
    return att


class County:
    """Villages of households, each with an earlier stored visit; officials shared per village."""

    def __init__(self, villages: int, per_village: int, rng: random.Random):
        self.rng = rng
        self.households = []  # (household_id, village, index)
        self.scenes = {}  # household_id -> list of 4 PIL scenes (its rooms)
        self.heads, self.secretaries, self.first_secretaries = {}, {}, {}
        self.stored = defaultdict(dict)  # household_id -> slot -> Attachment
        self.signature_bytes = defaultdict(dict)
        seed = 0
        for v in range(villages):
            self.secretaries[v] = signers.signer(10_000 + v)
            self.first_secretaries[v] = signers.signer(20_000 + v)
            for i in range(per_village):
                hid = str(ObjectId())
                self.households.append((hid, v, i))
                self.scenes[hid] = [attacks.decode(make_photo(seed + k)) for k in range(4)]
                self.heads[hid] = signers.signer(30_000 + seed)
                seed += 4

    def load(self) -> None:
        for n, (hid, v, _) in enumerate(self.households):
            vid = str(ObjectId())
            when = T0 + timedelta(hours=n)
            for slot, scene in zip(PHOTO_SLOTS, self.scenes[hid], strict=True):
                self.stored[hid][slot] = store(vid, hid, slot, photo_bytes(scene, when))
            for slot, person in zip(SIGNERS, self.signers_of(hid, v), strict=True):
                self.signature_bytes[hid][slot] = signers.genuine(person, day=n)
                self.stored[hid][slot] = store(vid, hid, slot, self.signature_bytes[hid][slot])

    def label(self, data: dict | None, hid: str, neighbour: str) -> str:
        """Which stored item a clean visit's flag matched, told as the hard negative it stands for."""
        for other, slots in self.stored.items():
            for slot, att in slots.items():
                if data and str(att.id) == data.get("attachment_id"):
                    village = {h: v for h, v, _ in self.households}
                    who = (
                        "own household"
                        if other == hid
                        else "the neighbour"
                        if other == neighbour
                        else "same village"
                        if village[other] == village[hid]
                        else "another village"
                    )
                    return f"{who}: {slot}"
        return "not a stored original"

    def signers_of(self, hid: str, village: int) -> tuple:
        return self.heads[hid], self.secretaries[village], self.first_secretaries[village]


def photo_attacks(county: County, per_class: int, only: set[str] | None = None) -> dict:
    out = {}
    for name, attack in attacks.PHOTO_ATTACKS.items():
        if only and name not in only:
            continue
        caught = named = 0
        misses = []
        for i in range(per_class):
            rng = county.rng
            (src, _, _), (dst, _, _) = rng.sample(county.households, 2)
            k = rng.randrange(4)
            disguised = attack(county.scenes[src][k], rng)
            att = store(str(ObjectId()), dst, PHOTO_SLOTS[(k + i) % 4], photo_bytes(disguised, T0))
            [result] = reuse_checks(att.visit_id, [att], code="photo_reuse", exclude_household=True)
            caught += not result.passed
            source = county.stored[src][PHOTO_SLOTS[k]]
            named += bool(result.data) and result.data["attachment_id"] == str(source.id)
            misses.append({"caught": not result.passed, **diagnose(att, source, exclude_household=True)})
            _forget(att)
        out[name] = {"n": per_class, "caught": caught, "source_named": named, "diagnosis": misses}
    return out


def diagnose(att: Attachment, source: Attachment, *, exclude_household: bool) -> dict:
    """Why a disguised copy was missed: was its source a candidate at all, at which rank (of how many),
    with how many keys shared, and what its verification measured."""
    mine, _, shared = candidates([att], exclude_household=exclude_household)
    ranking = [oid for oid, _ in shared.get(str(att.id), Counter()).most_common()]
    sid = str(source.id)
    other = EvidencePrint.objects.get(attachment_id=sid)
    query = mine[str(att.id)]
    every = set(query.probes) & set(source.match_keys)
    row = {
        "candidates": len(ranking),
        "source_rank": ranking.index(sid) + 1 if sid in ranking else None,
        "keys_shared": shared.get(str(att.id), Counter()).get(sid, 0),
        "common_keys_shared": len(every & common_keys.skipped()) if att.kind in common_keys.SKIPPING else 0,
    }
    if att.kind == "signature":
        row["verified"] = verified("signature", query, other)
        row["stroke_distance_px"] = round(stroke_distance(query.features, other.features), 2)
    else:
        for label, features in (("as_is", query.features), ("mirrored", query.mirrored_features)):
            inliers, matches, angle, scale, spread, _ = fit(features, other.features)
            row[label] = {
                "inliers": inliers,
                "matches": matches,
                "angle": round(angle, 1),
                "scale": round(scale, 2),
                "spread": round(spread, 2),
            }
    return row


def signature_attack(county: County, per_class: int) -> dict:
    caught = named = 0
    misses = []
    for _ in range(per_class):
        (src, _, _), (dst, _, _) = county.rng.sample(county.households, 2)
        slot = county.rng.choice(SIGNERS)
        original = county.stored[src][slot]
        copy = signers.print_and_photograph(county.signature_bytes[src][slot], county.rng)
        att = store(str(ObjectId()), dst, slot, copy)
        [result] = reuse_checks(att.visit_id, [att], code="signature_reuse", exclude_household=False)
        caught += not result.passed
        named += bool(result.data) and result.data["attachment_id"] == str(original.id)
        misses.append({"caught": not result.passed, **diagnose(att, original, exclude_household=False)})
        _forget(att)
    return {"n": per_class, "caught": caught, "source_named": named, "diagnosis": misses}


def unverifiable(county: County, per_class: int) -> dict:
    out = {}
    for name in ("no_exif", "other_device"):
        caught = 0
        for _ in range(per_class):
            hid, _, _ = county.rng.choice(county.households)
            vid = str(ObjectId())
            photos = []
            for k, slot in enumerate(PHOTO_SLOTS):
                scene = attacks.revisit(county.scenes[hid][k], county.rng)
                if k == 1 and name == "no_exif":
                    data = attacks.as_upload(scene, taken_at=None, gps=None)
                else:
                    data = photo_bytes(scene, T0, device="XIAOMI 13" if k == 1 else "HUAWEI P30")
                photos.append(_transient(vid, hid, slot, data))
            visit = Visit(started_at=T0 - timedelta(minutes=5), ended_at=T0 + timedelta(minutes=40))
            checks = [*capture_time(visit, photos, POLICY), *capture_place(visit, photos, HOME, POLICY)]
            checks += capture_device(photos, POLICY)
            caught += any(not c.passed and c.severity == ERROR for c in checks)
        out[name] = {"n": per_class, "caught": caught, "source_named": None}
    return out


def _transient(vid: str, hid: str, slot: str, data: bytes) -> Attachment:
    with Image.open(io.BytesIO(data)) as img:
        exif = read_exif(img).to_dict()
    return Attachment(visit_id=vid, household_id=hid, slot=slot, kind="photo", exif=exif)


def impossible(per_class: int, rng: random.Random) -> dict:
    out = {}
    for name in ("overlap", "too_fast", "too_short", "vague_location"):
        caught = 0
        for i in range(per_class):
            cadre = f"bench-{name}-{i}"
            start = T0 + timedelta(days=30 + i)
            first = _visit(cadre, start, 45, HOME)
            lat = HOME[0] + rng.uniform(0.02, 0.3)  # 2-33 km north
            if name == "overlap":
                second = _visit(cadre, start + timedelta(minutes=rng.randint(5, 40)), 45, (lat, HOME[1]))
            elif name == "too_fast":  # 100-300 km/h: farther than any road allows in the gap
                km = (lat - HOME[0]) * 111.2
                gap = timedelta(hours=km / rng.uniform(100, 300))
                second = _visit(cadre, start + timedelta(minutes=45) + gap, 45, (lat, HOME[1]))
            elif name == "too_short":
                second = _visit(cadre, start + timedelta(hours=2), rng.uniform(0.5, 4.5), HOME)
            else:
                second = _visit(cadre, start + timedelta(hours=2), 45, HOME, accuracy=rng.uniform(150, 900))
            checks = [*visit_duration(second, POLICY), *location_accuracy(second, POLICY)]
            checks += [*overlapping_visits(second), *travel_speed(second, POLICY)]
            caught += any(not c.passed and c.severity == ERROR for c in checks)
            first.delete()
            second.delete()
        out[name] = {"n": per_class, "caught": caught, "source_named": None}
    return out


def _visit(cadre: str, start: datetime, minutes: float, where, accuracy: float = 10.0) -> Visit:
    return Visit(
        instance_id=str(ObjectId()),
        content_digest="bench",
        form_id="household_visit",
        form_version=1,
        household_id=str(ObjectId()),
        area_path=["371525000000"],
        cadre_id=cadre,
        started_at=start,
        ended_at=start + timedelta(minutes=minutes),
        lat=where[0],
        lon=where[1],
        accuracy_m=accuracy,
        created_at=start,
        updated_at=start,
    ).save()


def clean_visits(county: County, n: int) -> dict:
    """Hard negatives together: revisits, a neighbour's skyline, the same officials' genuine signatures,
    one cadre's consecutive visits in one village (15 minutes and ~300 m apart)."""
    flagged, why, exempt_matches, details, margins = 0, defaultdict(int), 0, [], []
    by_village = defaultdict(list)
    for hid, v, _ in county.households:
        by_village[v].append(hid)
    previous = None
    for j in range(n):
        hid, v, i = county.households[j % len(county.households)]
        neighbour = by_village[v][(i - 1) % len(by_village[v])]
        start = T0 + timedelta(days=120, minutes=60 * j)
        where = (HOME[0] + 0.003 * (j % 3), HOME[1])
        visit = _visit("bench-clean", start, 45, where)
        taken = start + timedelta(minutes=10)
        vid = str(visit.id)
        items = []
        for k, slot in enumerate(PHOTO_SLOTS):
            scene = attacks.revisit(county.scenes[hid][k], county.rng)
            if k == 0:
                skyline = attacks.revisit(county.scenes[neighbour][0], county.rng)
                scene = attacks.same_village(skyline, scene, county.rng)
            items.append(store(vid, hid, slot, photo_bytes(scene, taken, gps=where)))
        for slot, person in zip(SIGNERS, county.signers_of(hid, v), strict=True):
            items.append(store(vid, hid, slot, signers.genuine(person, day=1000 + j)))
        photos, sigs = items[:4], items[4:]
        checks = [*capture_time(visit, photos, POLICY), *capture_place(visit, photos, where, POLICY)]
        checks += [*capture_device(photos, POLICY), *visit_duration(visit, POLICY)]
        checks += [
            *location_accuracy(visit, POLICY),
            *overlapping_visits(visit),
            *travel_speed(visit, POLICY),
        ]
        checks += reuse_checks(vid, photos, code="photo_reuse", exclude_household=True)
        checks += reuse_checks(vid, sigs, code="signature_reuse", exclude_household=False)
        failed = [c for c in checks if not c.passed and c.severity == ERROR]
        flagged += bool(failed)
        for c in failed:
            why[c.code] += 1
            details.append(
                {
                    "code": c.code,
                    "slot": c.slot,
                    "matched": county.label(c.data, hid, neighbour),
                    "data": c.data,
                }
            )
        # the same rooms again: what the household exemption spares them
        exempt_matches += sum(find_reuse(p, exclude_household=False) is not None for p in photos[1:])
        # the margin on the skyline hard negative: the front photo against the neighbour's stored front
        front = EvidencePrint.objects.get(attachment_id=str(photos[0].id))
        theirs = EvidencePrint.objects.get(attachment_id=str(county.stored[neighbour][PHOTO_SLOTS[0]].id))
        inliers, matches, _, _, spread, _ = fit(front.features, theirs.features)
        margins.append({"inliers": inliers, "matches": matches, "spread": round(spread, 2)})
        for att in items:
            _forget(att)
        previous = visit
    if previous is not None:
        Visit.objects(cadre_id="bench-clean").delete()
    return {
        "n": n,
        "flagged": flagged,
        "by_check": dict(why),
        "flagged_details": details,
        "revisit_photos_matching_own_household": exempt_matches,
        "skyline_top": sorted(margins, key=lambda r: -r["inliers"])[:5],
    }


def _forget(att: Attachment) -> None:
    EvidencePrint.objects(attachment_id=str(att.id)).delete()
    att.delete()


def fingerprint_cost() -> dict:
    out = {}
    for label, size, quality in (("1600x1200", (1600, 1200), 85), ("12MP phone", (4000, 3000), 92)):
        data = [make_photo(900 + i, width=size[0], height=size[1], quality=quality) for i in range(3)]
        t = time.perf_counter()
        for d in data:
            derive("photo", d)
        out[label] = {
            "bytes_mean": int(statistics.fmean(map(len, data))),
            "ms_per_photo": round((time.perf_counter() - t) / 3 * 1000),
        }
    sig = [signers.genuine(signers.signer(i), day=1) for i in range(5)]
    t = time.perf_counter()
    for d in sig:
        derive("signature", d)
    out["signature"] = {"ms_per_signature": round((time.perf_counter() - t) / 5 * 1000)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=6)
    parser.add_argument("--per-village", type=int, default=6)
    parser.add_argument("--per-class", type=int, default=40)
    parser.add_argument("--clean", type=int, default=60)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--key-sample", type=int, default=500, help="real photos whose keys are counted")
    parser.add_argument("--key-sample-copies", type=int, default=40, help="copies per attack in the sample")
    parser.add_argument(
        "--full-keys-max", type=int, default=100_000, help=f"fillers past this carry {SLIM_KEYS} random keys"
    )
    parser.add_argument(
        "--attack-store",
        type=int,
        default=10_000,
        help="stored photos (fillers) the attacks are searched among",
    )
    parser.add_argument(
        "--baseline-max", type=int, default=100_000, help="largest size timed without skipping"
    )
    parser.add_argument("--classes", default="", help="photo attack classes to run (default: all)")
    parser.add_argument(
        "--only-rules", action="store_true", help="only the unverifiable and impossible classes"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    services = EmbeddedServices(Path(tempfile.mkdtemp(prefix="bench-evidence-")))
    server = services.servers["mongodb"] = services.mongo()
    server.start()
    server.wait_ready()
    try:
        mongoengine.connect(host=f"mongodb://127.0.0.1:{server.port}/bench?retryWrites=false", tz_aware=True)
        for doc in (Attachment, Visit, EvidencePrint):
            doc.ensure_indexes()
        results = run(args, rng)
    finally:
        mongoengine.disconnect()
        services.stop()
    path = write_results("evidence_rules" if args.only_rules else "evidence", results)
    print(f"written to {path}")


def run(args, rng: random.Random) -> dict:
    if args.only_rules:
        county = County(1, 2, rng)
        county.load()
        classes = unverifiable(county, args.per_class) | impossible(args.per_class, rng)
        for name, r in classes.items():
            print(f"{name:<18} {r['caught'] / r['n']:>8.0%}   (n={r['n']})")
        return {"classes": classes}
    began = time.perf_counter()
    county = County(args.villages, args.per_village, rng)
    county.load()
    print(
        f"stored {len(county.households)} households' earlier visits in {time.perf_counter() - began:.0f} s",
        flush=True,
    )
    sample = key_sample(args.key_sample, args.key_sample_copies, lambda img: photo_bytes(img, T0), rng)
    print(
        f"keys of {sample['photos']} real photos: {sample['keys_on_2_or_more_photos']} of"
        f" {sample['distinct_keys']} on 2+ photos; unrelated pairs sharing a key"
        f" {sample['pair_rate_sharing_a_key']:.2e}; hits on the top 1% of keys"
        f" {sample['share_of_hits_on_the_top_1pct_keys']:.0%}; copies sharing a key with the source"
        f" (one no other photo has): {sample['copies']} ({sample['seconds']} s)",
        flush=True,
    )
    if args.attack_store:
        inserted, indexed = fill(
            args.attack_store, rng, sample["recurring"], full_keys_max=args.full_keys_max
        )
        print(
            f"attacks run against {args.attack_store:,} stored photos (fillers: {inserted:.0f} s, index"
            f" {indexed:.0f} s)",
            flush=True,
        )
    classes = photo_attacks(county, args.per_class, set(filter(None, args.classes.split(","))))
    classes["signature_rescan"] = signature_attack(county, args.per_class)
    classes |= unverifiable(county, args.per_class)
    classes |= impossible(args.per_class, rng)
    print(f"{'attack class':<18} {'caught':>8} {'source named':>13}")
    for name, r in classes.items():
        named = "-" if r["source_named"] is None else f"{r['source_named'] / r['n']:.0%}"
        print(f"{name:<18} {r['caught'] / r['n']:>8.0%} {named:>13}   (n={r['n']})")
        found = [d for d in r.get("diagnosis", ()) if d["caught"]]
        if found:
            ranks = sorted(d["source_rank"] or 0 for d in found)
            shared = sorted(d["keys_shared"] for d in found)
            print(f"    caught: source rank {ranks[0]}..{ranks[-1]}, keys shared {shared[:8]}...")
        for miss in (d for d in r.get("diagnosis", ()) if not d["caught"]):
            print("    missed:", miss)
    clean = clean_visits(county, args.clean)
    print(
        f"clean visits flagged: {clean['flagged']}/{clean['n']} ({clean['flagged'] / clean['n']:.1%})",
        clean["by_check"],
    )
    for detail in clean["flagged_details"]:
        print("  flagged:", detail)
    print("  strongest skyline look-alikes (front vs the neighbour's front):", clean["skyline_top"])
    print(
        "revisit photos that match their own household's earlier photo:",
        clean["revisit_photos_matching_own_household"],
    )
    print(f"common keys marked during the attacks and clean visits: {CommonKey.objects.count()}")
    cost = fingerprint_cost()
    print(f"fingerprint cost: {cost}")
    queries = [
        store(
            str(ObjectId()), "query", "photo.stove", photo_bytes(attacks.decode(make_photo(50_000 + i)), T0)
        )
        for i in range(20)
    ]
    signatures = [
        [
            store(str(vid), "query", slot, signers.genuine(signers.signer(60_000 + 3 * i + k), day=i))
            for k, slot in enumerate(SIGNERS)
        ]
        for i, vid in enumerate(ObjectId() for _ in range(10))
    ]
    print("search time per photo (fresh photos: no source, the full work):")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    scaling = search_scaling(
        sizes,
        queries,
        rng,
        sample,
        signatures,
        full_keys_max=args.full_keys_max,
        baseline_max=args.baseline_max,
    )
    return {
        "classes": classes,
        "clean": clean,
        "key_sample": {k: v for k, v in sample.items() if k != "recurring"},
        "fingerprint_cost": cost,
        "search": scaling,
    }


if __name__ == "__main__":
    main()
