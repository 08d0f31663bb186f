"""A recorded spot-check draw: who drew it, when, with which parameters and seed, and what it drew."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    StringField,
)


class SampledHousehold(EmbeddedDocument):
    household_id = StringField(required=True)
    number = StringField(required=True)
    head_name = StringField()
    village_code = StringField(required=True)  # the village stratum it was drawn in
    area_path = ListField(StringField())


class Stratum(EmbeddedDocument):
    """One draw: `drawn` of `candidates` units (counties, villages or households) inside `code`."""

    level = StringField(required=True)  # what was drawn: county | village | household
    code = StringField(required=True)  # the area drawn within
    candidates = IntField(required=True)
    drawn = IntField(required=True)


class Sample(Document):
    area_code = StringField(required=True)
    area_name = StringField()
    area_path = ListField(StringField(), required=True)
    params = DictField()  # counties_per_city, villages_per_county, households_per_village
    seed = IntField(required=True)
    households = EmbeddedDocumentListField(SampledHousehold)
    strata = EmbeddedDocumentListField(Stratum)
    created_by = StringField(required=True)
    created_by_id = StringField(required=True)
    created_at = DateTimeField(required=True)

    meta = {"collection": "samples", "indexes": [("area_path", "-created_at")]}
