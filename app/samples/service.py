"""Draw, record and read spot-check samples (supervisors and admins)."""

from __future__ import annotations

import secrets

from bson import ObjectId

from app.areas.models import Area
from app.areas.service import area_in_scope
from app.audit import service as audit
from app.auth.principal import Principal
from app.clock import now
from app.samples.draw import MAX_SEED, Params, draw_sample
from app.samples.models import Sample, SampledHousehold, Stratum


def draw(
    principal: Principal,
    *,
    area: str,
    counties_per_city: int,
    villages_per_county: int,
    households_per_village: int,
    seed: int | None = None,
) -> Sample:
    """Draw a stratified sample in `area` and record it; without a seed one is chosen and recorded."""
    principal.require("samples.write")
    unit = area_in_scope(principal, area)
    params = Params(
        counties_per_city=counties_per_city,
        villages_per_county=villages_per_county,
        households_per_village=households_per_village,
        seed=secrets.randbelow(MAX_SEED) if seed is None else seed,
    )
    result = draw_sample(unit, params)
    sample = Sample(
        area_code=unit.code,
        area_name=unit.name,
        area_path=unit.path,
        params={
            "counties_per_city": counties_per_city,
            "villages_per_county": villages_per_county,
            "households_per_village": households_per_village,
        },
        seed=params.seed,
        households=[
            SampledHousehold(
                household_id=str(h.id),
                number=h.number,
                head_name=h.head_name,
                village_code=village,
                area_path=h.area_path,
            )
            for village, h in result.households
        ],
        strata=[Stratum(**s) for s in result.strata],
        created_by=principal.username,
        created_by_id=principal.user_id,
        created_at=now(),
    )
    sample.save()
    audit.record(
        principal,
        "sample.draw",
        "sample",
        str(sample.id),
        sample.area_path,
        params=sample.params,
        seed=sample.seed,
        households=len(sample.households),
    )
    return sample


def get_sample(principal: Principal, sample_id: str) -> Sample:
    principal.require("samples.read")
    sample = Sample.objects(id=sample_id).first() if ObjectId.is_valid(sample_id) else None
    return principal.check_visible(sample)


def visible_samples(principal: Principal, *, area: str | None = None):
    principal.require("samples.read")
    query = Sample.objects(principal.scope())
    if area:
        query = query.filter(area_path=area)
    return query.order_by("-created_at")


def area_names(sample: Sample) -> dict[str, str]:
    """Names of every area on the sampled households' paths, in one query (for exports)."""
    codes = {code for h in sample.households for code in h.area_path}
    return dict(Area.objects(code__in=sorted(codes)).scalar("code", "name"))
