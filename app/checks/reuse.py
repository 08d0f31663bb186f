"""Disguised reuse: another visit's photo mirrored, cropped, turned, greyed or screenshotted, or its
signature printed and photographed again. Candidates come from the `match_keys` index (one `$in` query
over the probe keys), ranked by keys shared; only the best few are verified (ORB + RANSAC for photos,
aligned stroke distance for signatures). A household's own earlier photos are not searched: the same
rooms photographed again are no fraud.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from pymongo import ReplaceOne

from app.checks import common_keys
from app.checks.evidence import ERROR, INFO, WARNING, Check
from app.images.fingerprint import PhotoPrint
from app.images.matching import verify
from app.images.signature_print import COPY_DISTANCE_PX, stroke_distance
from app.visits.models import Attachment, EvidencePrint

MAX_VERIFIED = 12  # candidates verified per photo, most shared keys first
OWN_PHOTOS_CHECKED = 16  # a household's latest photos asked whether a match is a copy of one of them
RECHECK = "recheck_visit_id"  # in a result's data: the other visit, found to hold the copy
IN_CHUNK = 256  # probe keys per `$in` (4 photos: ~900). At 10k stored: 48 keys took 6 ms, 900 keys 24 ms


@dataclass(frozen=True)
class Reuse:
    """A verified match: the other attachment and the numbers that make it one."""

    other: dict  # visit_id, household_id, slot, _id of the matched attachment
    numbers: dict
    keys_shared: int

    def data(self) -> dict:
        return {
            "visit_id": self.other["visit_id"],
            "household_id": self.other["household_id"],
            "slot": self.other["slot"],
            "attachment_id": str(self.other["_id"]),
            "keys_shared": self.keys_shared,
            **self.numbers,
        }


def save_print(attachment: Attachment, fingerprint: PhotoPrint) -> None:
    """Store the features first, then the index keys: a search never finds keys without features."""
    save_prints([(attachment, fingerprint)])
    Attachment.objects(id=attachment.id, sha256=attachment.sha256).update_one(
        set__match_keys=fingerprint.keys
    )


def save_prints(pairs: list[tuple[Attachment, PhotoPrint]]) -> None:
    """The verification features of several attachments in one write (replacing any earlier ones).
    Their index keys (`match_keys`) must be written only after this returns."""
    if not pairs:
        return
    docs = [
        EvidencePrint(
            attachment_id=str(attachment.id),
            kind=attachment.kind,
            features=fingerprint.features,
            mirrored_features=fingerprint.mirrored_features,
            tiny=fingerprint.tiny,
            probes=fingerprint.probes,
        ).to_mongo()
        for attachment, fingerprint in pairs
    ]
    EvidencePrint._get_collection().bulk_write(
        [ReplaceOne({"_id": doc["_id"]}, doc, upsert=True) for doc in docs], ordered=False
    )


def find_reuse(
    attachment: Attachment, *, exclude_household: bool, exclude_visits: tuple[str, ...] = ()
) -> Reuse | None:
    """The best verified match of this attachment among other visits' attachments of its kind."""
    found = find_reuses([attachment], exclude_household=exclude_household, exclude_visits=exclude_visits)
    return found.get(str(attachment.id))


def find_reuses(
    items: list[Attachment], *, exclude_household: bool, exclude_visits: tuple[str, ...] = ()
) -> dict[str, Reuse]:
    """The best verified match (by attachment id) of each of one visit's attachments among other visits'
    attachments of its kind: their features in one read, every candidate of any of them (one `$in` per
    IN_CHUNK probe keys, each an index lookup), the features of the candidates to verify in one read."""
    mine, found, shared = candidates(
        items, exclude_household=exclude_household, exclude_visits=exclude_visits
    )
    ranked = {aid: counts.most_common(MAX_VERIFIED) for aid, counts in shared.items()}
    wanted = sorted({oid for pairs in ranked.values() for oid, _ in pairs})
    prints = {p.attachment_id: p for p in EvidencePrint.objects(attachment_id__in=wanted)} if wanted else {}
    out = {}
    for item in items:
        best: Reuse | None = None
        for oid, n in ranked.get(str(item.id), ()):
            other = prints.get(oid)
            if other is None:
                continue
            numbers = verified(item.kind, mine[str(item.id)], other)
            if numbers is not None and (best is None or _strength(numbers) > _strength(best.numbers)):
                best = Reuse(found[oid], numbers, n)
        if best is not None:
            out[str(item.id)] = best
    return out


def candidates(
    items: list[Attachment], *, exclude_household: bool, exclude_visits: tuple[str, ...] = ()
) -> tuple[dict[str, EvidencePrint], dict[str, dict], dict[str, Counter]]:
    """(the items' prints, every candidate document by id, per item the keys each candidate shares with
    its probes): the index side of the search, before any verification."""
    if not items:
        return {}, {}, {}
    [kind] = {a.kind for a in items}  # one kind per search: photos and signatures differ in who is exempt
    mine = {p.attachment_id: p for p in EvidencePrint.objects(attachment_id__in=[str(a.id) for a in items])}
    skip = common_keys.skipped() if kind in common_keys.SKIPPING else frozenset()
    probes = {aid: set(p.probes) - skip for aid, p in mine.items() if p.probes}
    if not probes:
        return mine, {}, {}
    query = {"kind": kind, "visit_id": {"$nin": sorted({a.visit_id for a in items} | set(exclude_visits))}}
    if exclude_household:
        query["household_id"] = {"$nin": sorted({a.household_id for a in items})}
    found, marked = read_candidates(sorted(set().union(*probes.values())), query, kind=kind)
    probes = {aid: p - marked for aid, p in probes.items()}  # keys marked while reading count for none
    shared: dict[str, Counter] = {}
    for item in items:
        aid = str(item.id)
        if aid in probes:
            shared[aid] = Counter(
                {
                    oid: n
                    for oid, doc in found.items()
                    if (n := len(probes[aid].intersection(doc.get("match_keys") or ())))
                }
            )
    return mine, found, shared


def read_candidates(keys: list[int], query: dict, *, kind: str) -> tuple[dict[str, dict], set[int]]:
    """(every document carrying one of the keys and matching the query, by id; the keys marked common
    on the way). One `$in` per IN_CHUNK keys, each reading at most READ_LIMIT documents; a key found
    common is marked and dropped (for kinds whose common keys are skipped), the chunk read again."""
    fields = {"visit_id": 1, "household_id": 1, "slot": 1, "kind": 1, "match_keys": 1}
    limit = common_keys.READ_LIMIT if kind in common_keys.SKIPPING else 0
    found, marked = {}, set()
    for start in range(0, len(keys), IN_CHUNK):
        chunk = set(keys[start : start + IN_CHUNK])
        while chunk:
            raw = {"match_keys": {"$in": sorted(chunk)}, **query}
            docs = list(Attachment.objects(__raw__=raw).fields(**fields).limit(limit).as_pymongo())
            filled = bool(limit) and len(docs) >= limit
            if limit:
                common = common_keys.to_mark(common_keys.most_shared(docs, chunk), filled=filled)
                common_keys.mark(kind, common)
                chunk -= common.keys()
                marked |= common.keys()
            if not filled:
                found |= {str(d["_id"]): d for d in docs if chunk.intersection(d.get("match_keys") or ())}
                break
    return found, marked


def verified(kind: str, mine: EvidencePrint, other: EvidencePrint) -> dict | None:
    """The numbers that make `other` a copy of `mine` (inliers and spread, or stroke distance), or None."""
    if kind == "signature":
        distance = stroke_distance(mine.features, other.features)
        return {"stroke_distance_px": round(distance, 2)} if distance <= COPY_DISTANCE_PX else None
    match = verify(mine.features, mine.mirrored_features, other.features, mine.tiny, other.tiny)
    return match.to_dict() if match else None


def _strength(numbers: dict) -> float:
    return numbers.get("inliers", 0) - numbers.get("stroke_distance_px", 0)


def reuse_checks(
    visit_id: str,
    items: list[Attachment],
    *,
    code: str,
    exclude_household: bool,
    exclude_visits: tuple[str, ...] = (),
) -> list[Check]:
    """One result per attachment: the identical file elsewhere, a verified disguised copy, or neither.
    `exclude_visits`: the visit's own corrections (a revision may resend the same signatures)."""
    if not items:
        return []
    skip = [visit_id, *exclude_visits]
    others = Attachment.objects(
        visit_id__nin=skip, kind__in=sorted({i.kind for i in items}), sha256__in=[i.sha256 for i in items]
    )
    if exclude_household:
        others = others.filter(household_id__nin=sorted({i.household_id for i in items}))
    identical = {}
    for doc in others.only("visit_id", "household_id", "slot", "kind", "sha256").as_pymongo():
        identical.setdefault((doc["kind"], doc["sha256"]), doc)
    disguised = find_reuses(
        [i for i in items if (i.kind, i.sha256) not in identical],
        exclude_household=exclude_household,
        exclude_visits=exclude_visits,
    )
    results = []
    for item in items:
        exact = identical.get((item.kind, item.sha256))
        match = Reuse(exact, {"identical": True}, 0) if exact is not None else disguised.get(str(item.id))
        if match is None:
            results.append(Check(code, True, INFO, "未发现重复使用 Not found elsewhere", slot=item.slot))
            continue
        other = match.other
        how = "完全相同 identical" if match.numbers.get("identical") else _how(match.numbers)
        where = f"(visit {other['visit_id']}, {other['slot']}, household {other['household_id']})"
        own = copy_of_own(item, match) if exclude_household else None
        if own is None:
            results.append(
                Check(
                    code,
                    False,
                    ERROR,
                    f"{item.slot} 与另一次走访的图片{how} {where}",
                    slot=item.slot,
                    data=match.data(),
                )
            )
            continue
        results.append(  # the other visit shows this household's room: it is the copy (re-checked: RECHECK)
            Check(
                code,
                False,
                WARNING,
                f"{item.slot} 的画面也出现在另一户的走访中 {where}; 那张是本户早先照片的复制 (visit "
                f"{own['visit_id']}, {own['slot']}): the other visit copied this household's photo",
                slot=item.slot,
                data=match.data() | {"copy_of": own, RECHECK: other["visit_id"]},
            )
        )
    return results


def copy_of_own(item: Attachment, match: Reuse, most: int = OWN_PHOTOS_CHECKED) -> dict | None:
    """The querying household's earlier photo that the matched photo (another household's) is itself a
    copy of, or None. Household B's visit reused A's stove photo; A's honest revisit shows the same
    stove and matches B's copy: the copy is B's, so A's visit gets a warning and B's is checked again
    (it then matches A's photos). Asked only when a match was found: a few verifications at most."""
    own = list(
        Attachment.objects(household_id=item.household_id, kind=item.kind, visit_id__ne=item.visit_id)
        .order_by("-uploaded_at")
        .only("id", "visit_id", "slot", "sha256")
        .limit(most)
        .as_pymongo()
    )
    if match.numbers.get("identical"):
        same = [o for o in own if o["sha256"] == item.sha256]
    else:
        wanted = [str(o["_id"]) for o in own] + [str(match.other["_id"])]
        prints = {p.attachment_id: p for p in EvidencePrint.objects(attachment_id__in=wanted)}
        theirs = prints.get(str(match.other["_id"]))
        same = [
            o
            for o in own
            if theirs is not None
            and (mine := prints.get(str(o["_id"]))) is not None
            and verified(item.kind, theirs, mine) is not None
        ]
    return (
        {"attachment_id": str(same[0]["_id"]), "visit_id": same[0]["visit_id"], "slot": same[0]["slot"]}
        if same
        else None
    )


def visits_to_recheck(checks: list[Check]) -> set[str]:
    """Other visits whose photo turned out to be a copy of this household's: their checks run again."""
    return {c.data[RECHECK] for c in checks if c.data and c.data.get(RECHECK)}


def _how(numbers: dict) -> str:
    if "stroke_distance_px" in numbers:
        return f"笔迹逐笔重合 strokes coincide (mean {numbers['stroke_distance_px']} px)"
    turn = "镜像 mirrored, " if numbers["mirrored"] else ""
    return (
        f"为同一画面 same picture ({turn}{numbers['inliers']} matching points, "
        f"turned {numbers['angle_deg']}°, scale {numbers['scale']})"
    )
