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

from app.checks.evidence import ERROR, INFO, Check
from app.images.fingerprint import PhotoPrint
from app.images.matching import verify
from app.images.signature_print import COPY_DISTANCE_PX, stroke_distance
from app.visits.models import Attachment, EvidencePrint

MAX_VERIFIED = 12  # candidates verified per photo, most shared keys first


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
    mine = EvidencePrint.objects(attachment_id=str(attachment.id)).first()
    if mine is None or not mine.probes:
        return None
    query = {
        "match_keys": {"$in": list(mine.probes)},
        "kind": attachment.kind,
        "visit_id": {"$nin": [attachment.visit_id, *exclude_visits]},
    }
    if exclude_household:
        query["household_id"] = {"$ne": attachment.household_id}
    probes = set(mine.probes)
    fields = {"visit_id": 1, "household_id": 1, "slot": 1, "match_keys": 1}
    shared = Counter()
    found = {}
    for doc in Attachment.objects(__raw__=query).fields(**fields).as_pymongo():
        found[str(doc["_id"])] = doc
        shared[str(doc["_id"])] = len(probes.intersection(doc.get("match_keys") or ()))
    best: Reuse | None = None
    ranked = [aid for aid, _ in shared.most_common(MAX_VERIFIED)]
    prints = {p.attachment_id: p for p in EvidencePrint.objects(attachment_id__in=ranked)}
    for aid in ranked:
        other = prints.get(aid)
        if other is None:
            continue
        numbers = _verified(attachment.kind, mine, other)
        if numbers is not None and (best is None or _strength(numbers) > _strength(best.numbers)):
            best = Reuse(found[aid], numbers, shared[aid])
    return best


def _verified(kind: str, mine: EvidencePrint, other: EvidencePrint) -> dict | None:
    if kind == "signature":
        distance = stroke_distance(mine.features, other.features)
        return {"stroke_distance_px": round(distance, 2)} if distance <= COPY_DISTANCE_PX else None
    match = verify(mine.features, mine.mirrored_features, other.features)
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
    results = []
    for item in items:
        skip = [visit_id, *exclude_visits]
        others = Attachment.objects(visit_id__nin=skip, kind=item.kind, sha256=item.sha256)
        if exclude_household:
            others = others.filter(household_id__ne=item.household_id)
        exact = others.only("visit_id", "household_id", "slot").as_pymongo().first()
        if exact is not None:
            match = Reuse(exact, {"identical": True}, 0)
        else:
            match = find_reuse(item, exclude_household=exclude_household, exclude_visits=exclude_visits)
        if match is None:
            results.append(Check(code, True, INFO, "未发现重复使用 Not found elsewhere", slot=item.slot))
            continue
        other = match.other
        how = "完全相同 identical" if match.numbers.get("identical") else _how(match.numbers)
        results.append(
            Check(
                code,
                False,
                ERROR,
                f"{item.slot} 与另一次走访的图片{how} (visit {other['visit_id']}, {other['slot']}, "
                f"household {other['household_id']})",
                slot=item.slot,
                data=match.data(),
            )
        )
    return results


def _how(numbers: dict) -> str:
    if "stroke_distance_px" in numbers:
        return f"笔迹逐笔重合 strokes coincide (mean {numbers['stroke_distance_px']} px)"
    turn = "镜像 mirrored, " if numbers["mirrored"] else ""
    return (
        f"为同一画面 same picture ({turn}{numbers['inliers']} matching points, "
        f"turned {numbers['angle_deg']}°, scale {numbers['scale']})"
    )
