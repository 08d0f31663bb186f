"""Plausible visits to household_visit v1 for a household, for demo data, tests, drills and benchmarks."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta

# 09:00 UTC three days before today: inside the window intake accepts (app.inputs.VISIT_TIME), whenever
# the tests or the demo run
VISIT_START = datetime.combine(datetime.now(UTC).date() - timedelta(days=3), time(9), tzinfo=UTC)


def visit_json(household, *, instance_id: str | None = None, seed: int = 1) -> dict:
    """The JSON a phone posts to /visits for `household`: a 45-minute visit at the household."""
    return {
        "instance_id": instance_id or str(uuid.uuid4()),
        "form_id": "household_visit",
        "form_version": "1",
        "household_id": str(household.id),
        "started_at": VISIT_START.isoformat(),
        "ended_at": (VISIT_START + timedelta(minutes=45)).isoformat(),
        "location": {"lat": household.lat, "lon": household.lon, "accuracy_m": 10},
        "answers": sample_answers(household, random.Random(seed)),
    }


def sample_answers(
    household, rng: random.Random, *, per_capita_income: float | None = None, satisfaction: str | None = None
) -> dict:
    size = max(1, len(getattr(household, "members", []) or []))
    per_capita = (
        per_capita_income if per_capita_income is not None else rng.choice([5200, 6100, 7400, 8800, 4100])
    )
    children = [m for m in (getattr(household, "members", []) or []) if m.schooling == "在校生"]
    answers = {
        "record_check": {"record_matches": True, "head_present": True, "member_count_matches": True},
        "talk": {
            "satisfaction": satisfaction
            or rng.choice(["satisfied"] * 6 + ["basically_satisfied"] * 3 + ["dissatisfied"]),
            "needs": rng.sample(["employment", "industry", "medical", "housing"], rng.randint(0, 2)),
        },
        "food_clothing": {"food_secure": True, "clothing_secure": True},
        "education": {"has_school_age_children": bool(children)},
        "medical": {"all_insured": True, "family_doctor_signed": True, "has_chronic_illness": False},
        "housing": {"grade": rng.choice(["A", "B", "B", "C"])},
        "water": {"safe_drinking_water": True, "water_source": rng.choice(["piped", "piped", "well"])},
        "income": {
            "wage_income": round(per_capita * size * 0.7, 2),
            "transfer_income": round(per_capita * size * 0.3, 2),
            "total_net_income": round(per_capita * size, 2),
            "household_size": size,
            "income_documented": True,
        },
        "living": {"environment_tidy": True, "helper_knows_measures": True},
    }
    if answers["talk"]["satisfaction"] == "dissatisfied":
        answers["talk"]["dissatisfaction_reason"] = "希望增加公益岗位"
    if answers["housing"]["grade"] in ("C", "D"):
        answers["housing"]["repair_plan"] = True
        answers["housing"]["repair_deadline"] = "2027-06-30"
    if children:
        answers["education"]["children"] = [
            {"name": c.name, "age": 10, "stage": "primary", "in_school": True, "subsidy_received": True}
            for c in children[:10]
        ]
    return answers
