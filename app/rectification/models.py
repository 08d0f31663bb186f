"""One problem on the rectification ledger (整改台账), where it came from, its evidence and its closing."""

from __future__ import annotations

from mongoengine import (
    DateField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    QuerySet,
    StringField,
)

SOURCES = ("check", "review", "manual")
STATUSES = ("open", "closed")
EVIDENCE_KINDS = ("visit", "photo")  # a follow-up visit, or a photo of a document (receipt, certificate)


class Evidence(EmbeddedDocument):
    """整改佐证: proof the problem was fixed."""

    kind = StringField(required=True, choices=EVIDENCE_KINDS)
    visit_id = StringField()  # kind visit
    key = StringField()  # kind photo: where the file is stored
    sha256 = StringField()
    size = IntField()
    content_type = StringField()
    note = StringField(max_length=500)
    added_by = StringField(required=True)
    added_by_id = StringField()
    added_at = DateTimeField(required=True)


class RectificationQuerySet(QuerySet):
    def in_area(self, code: str) -> RectificationQuerySet:
        return self.filter(area_path=code)


class RectificationItem(Document):
    # Deduplication key: "check:<visit>:<code>", "review:<visit>" or "manual:<uuid>". Makes the
    # automatic openers idempotent: a re-run of a job finds the item it opened before.
    key = StringField(required=True, unique=True)
    area_path = ListField(StringField(), required=True)
    household_id = StringField(required=True)
    household_number = StringField()
    visit_id = StringField()
    campaign_id = StringField()  # the campaign and phase in which the problem was found
    phase = StringField()
    source = StringField(required=True, choices=SOURCES)
    code = StringField()  # the failed check's code, or the review decision
    problem = StringField(required=True, max_length=2000)
    responsible_id = StringField()  # a User id
    responsible = StringField(max_length=50)  # the name shown on the ledger
    measure = StringField(max_length=2000)
    deadline = DateField()
    evidence = EmbeddedDocumentListField(Evidence)
    status = StringField(required=True, choices=STATUSES, default="open")
    close_note = StringField(max_length=2000)
    closed_at = DateTimeField()
    closed_by = StringField()
    closed_by_id = StringField()
    created_by = StringField(required=True)
    created_by_id = StringField()
    created_by_role = StringField()  # the opener's role: who may close it (销号) follows from it
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {
        "collection": "rectifications",
        "queryset_class": RectificationQuerySet,
        "indexes": [
            ("area_path", "status", "-created_at"),
            ("area_path", "status", "deadline"),
            "household_id",
            "visit_id",
            "responsible_id",
            "campaign_id",
        ],
    }
