"""The city's spot re-check (市级抽查复核): a seeded draw of approved visits that the city then signs.

The share drawn is the area's chain's `recheck_percent` (or the one asked for). The draw is random and
reproducible: approved visits not drawn before, in id order, sampled with a generator seeded from the
seed and the area code (app.samples.draw), so the same seed over the same visits draws the same ones.
Drawn visits stay `approved` (the approval stands until overturned) and wait for the city level
(`review_level: city`); the city's decision then confirms or overturns them (app.review.service).
"""

from __future__ import annotations

import math

from bson import ObjectId

from app.areas.service import area_in_scope
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.errors import Forbidden, NotFound, ValidationFailed
from app.review import chains
from app.review.models import RecheckDraw
from app.samples.draw import pick
from app.visits.models import Visit


def draw_recheck(
    principal: Principal, area_code: str, seed: int, default: chains.Chain, percent: float | None = None
) -> RecheckDraw:
    """Draw approved visits in `area_code` for the city to re-check; records and returns the draw."""
    principal.require("review.recheck")
    area = area_in_scope(principal, area_code)
    if not principal.is_admin and not chains.may_sign(principal, chains.RECHECK_LEVEL, area.path):
        raise Forbidden("市级抽查由市级督查人员进行 Re-checks are drawn by the city", area=area.code)
    if percent is None:
        percent = chains.chain_for(area.path, default).recheck_percent
    if not 0 < percent <= 100:
        raise ValidationFailed(
            errors={"percent": ["该区划未设置抽查比例 No re-check share set for the area"]}
        )
    candidates = [
        str(v.id)
        for v in Visit.objects(
            area_path=area.code,
            state="approved",
            review_level=None,
            recheck__draw_id__exists=False,
            review_chain__levels__ne=chains.RECHECK_LEVEL,  # the city signed those already
        )
        .only("id")
        .order_by("id")
    ]
    chosen = pick(seed, area.code, candidates, math.ceil(len(candidates) * percent / 100))
    stamp = now()
    draw = RecheckDraw(
        area_code=area.code,
        area_path=area.path,
        seed=seed,
        percent=percent,
        candidates=len(candidates),
        created_by=principal.username,
        created_by_id=principal.user_id,
        created_at=stamp,
    )
    draw.save()
    marked = []
    for visit_id in chosen:
        recheck = {"draw_id": str(draw.id), "drawn_at": stamp, "status": "pending"}
        if Visit.objects(id=visit_id, state="approved", recheck__draw_id__exists=False).update_one(
            set__review_level=chains.RECHECK_LEVEL, set__recheck=recheck
        ):
            marked.append(visit_id)
    draw.update(set__visit_ids=marked)
    draw.visit_ids = marked
    audit.record(
        principal,
        "review.recheck.draw",
        "recheck_draw",
        str(draw.id),
        area.path,
        seed=seed,
        percent=percent,
        candidates=len(candidates),
        drawn=len(marked),
    )
    return draw


def get_draw(principal: Principal, draw_id: str) -> RecheckDraw:
    principal.require("review.recheck")
    draw = RecheckDraw.objects(id=draw_id).first() if ObjectId.is_valid(draw_id) else None
    if draw is None:
        raise NotFound()
    return principal.check_visible(draw)
