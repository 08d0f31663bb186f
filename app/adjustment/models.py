"""Identification of a candidate household (贫困户识别), each step signed by whoever took it."""

from __future__ import annotations

from mongoengine import (
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    ListField,
    QuerySet,
    StringField,
)

IDENTIFICATION_STATUSES = ("in_progress", "identified", "declined")


class IdentificationStep(EmbeddedDocument):
    step = StringField(required=True)  # apply | village_review | public_notice | town_check | county_decision
    decision = StringField(required=True, choices=("pass", "fail"))
    note = StringField()
    evidence = DictField()
    actor_id = StringField(required=True)
    actor = StringField(required=True)
    actor_name = StringField()
    role = StringField(required=True)
    at = DateTimeField(required=True)


class IdentificationQuerySet(QuerySet):
    def in_area(self, code: str) -> IdentificationQuerySet:
        return self.filter(area_path=code)


class Identification(Document):
    household_id = StringField(required=True)
    household_number = StringField()
    head_name = StringField()
    area_path = ListField(StringField(), required=True)
    needs = ListField(StringField())  # 四个必到: dibao, tekun, low_income, disabled
    source_visit_id = StringField()  # the visit during which the household was found, if any
    status = StringField(required=True, choices=IDENTIFICATION_STATUSES, default="in_progress")
    steps = EmbeddedDocumentListField(IdentificationStep)
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {
        "collection": "identifications",
        "queryset_class": IdentificationQuerySet,
        "indexes": [("area_path", "status", "-created_at"), "household_id"],
    }
