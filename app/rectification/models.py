"""One problem on the rectification ledger (整改台账) and where it came from."""

from __future__ import annotations

from mongoengine import DateField, DateTimeField, ListField, QuerySet, StringField

from app.tallies.models import TALLY_INDEXES, Tallied

SOURCES = ("check", "review", "manual")
STATUSES = ("open", "closed")


class RectificationQuerySet(QuerySet):
    def in_area(self, code: str) -> RectificationQuerySet:
        return self.filter(area_path=code)


class RectificationItem(Tallied):
    # Deduplication key: "check:<visit>:<code>", "review:<visit>" or "manual:<uuid>". Makes the
    # automatic openers idempotent: a re-run of a job finds the item it opened before.
    key = StringField(required=True, unique=True)
    area_path = ListField(StringField(), required=True)
    household_id = StringField(required=True)
    household_number = StringField()
    visit_id = StringField()
    source = StringField(required=True, choices=SOURCES)
    code = StringField()  # the failed check's code, or the review decision
    problem = StringField(required=True, max_length=2000)
    responsible_id = StringField()  # a User id
    responsible = StringField(max_length=50)  # the name shown on the ledger
    measure = StringField(max_length=2000)
    deadline = DateField()
    status = StringField(required=True, choices=STATUSES, default="open")
    close_note = StringField(max_length=2000)
    closed_at = DateTimeField()
    closed_by = StringField()
    closed_by_id = StringField()
    created_by = StringField(required=True)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {
        "collection": "rectifications",
        "queryset_class": RectificationQuerySet,
        "indexes": [*TALLY_INDEXES, ("area_path", "status", "-created_at"), "household_id", "visit_id"],
    }
