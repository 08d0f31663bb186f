"""The counters of one area, and the fields a counted document keeps about what it last added."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, DictField, Document, IntField, ListField, StringField


class AreaCounter(Document):
    """Raw counts (households, visited, …) summed over everything in one area's subtree."""

    code = StringField(primary_key=True)  # the area's code
    counts = DictField()  # raw count name -> number, as in app.tallies.kinds
    # ids of the most recent tally operations applied here: applying one again changes nothing
    ops = ListField(StringField())
    needs_reconcile = BooleanField()  # an operation too old to tell was left for `doorstep reconcile`

    meta = {"collection": "area_counters"}


class TallyOp(Document):
    """An operation that reached the counters (app.tallies.settle); kept a week, for recovery."""

    op = StringField(primary_key=True)
    at = DateTimeField(required=True)

    meta = {"collection": "tally_ops", "indexes": [{"fields": ["at"], "expireAfterSeconds": 7 * 24 * 3600}]}


class Tallied(Document):
    """A document that adds to its areas' counters (written by app.tallies.settle, never by hand)."""

    tally = DictField()  # what it added last
    tally_areas = ListField(StringField())  # where it added it
    tally_version = IntField()
    tally_pending = DictField(null=True)  # the last claimed change: {op, parts}; done once in tally_ops

    meta = {"abstract": True}


# indexes every Tallied document declares: the sweeper looks for recent and half-settled documents
TALLY_INDEXES = ["updated_at", {"fields": ["tally_pending.op"], "sparse": True}]
