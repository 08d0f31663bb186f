"""Review configuration and records: each area's sign-off chain, and each city re-check draw."""

from __future__ import annotations

from mongoengine import DateTimeField, Document, FloatField, IntField, ListField, StringField


class ReviewChain(Document):
    """The sign-off chain (逐级签字把关) for the visits of one area's subtree; the nearest one wins."""

    area_code = StringField(required=True, unique=True)
    area_path = ListField(StringField(), required=True)
    levels = ListField(StringField(), required=True)  # e.g. ["town", "county"], in signing order
    recheck_percent = FloatField(default=0)  # share of approved visits the city re-checks
    reason = StringField()
    updated_by = StringField(required=True)
    updated_by_id = StringField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {"collection": "review_chains", "indexes": ["area_path"]}


class RecheckDraw(Document):
    """A city's seeded draw of approved visits to re-check (市级抽查复核): parameters and what it drew."""

    area_code = StringField(required=True)
    area_path = ListField(StringField(), required=True)
    seed = IntField(required=True)
    percent = FloatField(required=True)
    candidates = IntField(required=True)
    visit_ids = ListField(StringField())
    created_by = StringField(required=True)
    created_by_id = StringField(required=True)
    created_at = DateTimeField(required=True)

    meta = {"collection": "recheck_draws", "indexes": [("area_path", "-created_at")]}
