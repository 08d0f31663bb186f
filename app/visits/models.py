"""Visits (入户核查) and their attachments (photos, signatures, letters)."""

from __future__ import annotations

from mongoengine import (
    BinaryField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    LongField,
    ObjectIdField,
    QuerySet,
    StringField,
)

from app.tallies.models import TALLY_INDEXES, Tallied
from app.visits.states import STATES


class StateChange(EmbeddedDocument):
    at = DateTimeField(required=True)
    state = StringField(required=True)
    actor_id = StringField()
    actor = StringField()
    role = StringField()
    note = StringField()
    level = StringField()  # the review level that signed, for sign-offs


class VisitQuerySet(QuerySet):
    def in_area(self, code: str) -> VisitQuerySet:
        return self.filter(area_path=code)

    def awaiting_queue(self) -> VisitQuerySet:
        """Submitted visits whose checks were never handed to the queue (Redis was down)."""
        return self.filter(state="submitted", queued_at=None)


class Visit(Tallied):
    instance_id = StringField(required=True, unique=True)  # client UUID: the idempotency key
    content_digest = StringField(required=True)
    form_id = StringField(required=True)
    form_version = IntField(required=True)
    household_id = StringField(required=True)
    household_number = StringField()
    area_path = ListField(StringField(), required=True)
    county_code = StringField()  # area_path's county as a scalar: the shard key's leading field (SCALING.md)
    cadre_id = StringField(required=True)
    cadre = StringField()
    started_at = DateTimeField(required=True)
    ended_at = DateTimeField(required=True)
    lat = FloatField()
    lon = FloatField()
    accuracy_m = FloatField()
    answers = DictField()
    state = StringField(required=True, choices=STATES, default="receiving")
    expected_slots = ListField(StringField())  # required slots, from the form version
    # where it came from, not part of its content: {"source": "openrosa", "device_id", "supersedes"}
    origin = DictField()
    device_audit = DictField()  # ODK Collect's audit log (audit.csv) as stored: {key, sha256, size}
    superseded_by = StringField()  # the edited visit that replaced this one
    checks = ListField(DictField())
    assessment = DictField()
    review = DictField()  # the latest sign-off (decision, comment, slot comments, who, level)
    signoffs = ListField(DictField())  # every sign-off up the chain, in order (谁签字谁负责)
    review_chain = DictField()  # the chain snapshot taken when the checks finished
    review_level = StringField()  # the level whose sign-off the visit waits for; None when none
    recheck = DictField()  # a city re-check draw: {draw_id, drawn_at, status: pending|confirmed|overturned}
    revises = StringField()  # the sent-back visit this one corrects
    revised_by = StringField()  # the visit that corrects this sent-back one
    form_role = DictField()  # what the form contributes to, as its settings said at intake
    history = EmbeddedDocumentListField(StateChange)
    campaign_id = StringField()  # the campaign running when the visit was made, its phase and team
    phase = StringField()
    team = IntField()
    submitted_at = DateTimeField()
    queued_at = DateTimeField()
    checked_at = DateTimeField()
    decided_at = DateTimeField()
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {
        "collection": "visits",
        "queryset_class": VisitQuerySet,
        "indexes": [
            *TALLY_INDEXES,
            ("area_path", "state", "submitted_at"),
            ("area_path", "-created_at"),
            ("household_id", "-created_at"),
            ("state", "queued_at"),
            ("review_level", "area_path", "submitted_at"),
            ("cadre_id", "started_at"),
            "revises",
            ("campaign_id", "phase"),
        ],
    }


class Attachment(Document):
    """One stored file for one slot of one visit; (visit_id, slot) is unique."""

    visit_id = StringField(required=True)
    visit_oid = ObjectIdField()  # the visit's _id as stored, so a visit is read with its files in one go
    household_id = StringField(required=True)
    area_path = ListField(StringField())
    county_code = StringField()  # the shard key's leading field (SCALING.md)
    slot = StringField(required=True)
    kind = StringField(required=True)  # photo | signature | letter
    key = StringField(required=True)
    thumbnails = DictField()  # {"240": key, "1024": key}, filled by the image job
    sha256 = StringField(required=True)
    size = IntField(required=True)
    content_type = StringField(required=True)
    width = IntField()
    height = IntField()
    exif = DictField()
    phash = StringField()
    phash_bands = ListField(StringField())
    match_keys = ListField(LongField())  # robust-search index keys (app/images/fingerprint.py), image job
    print_version = IntField()  # derive.PRINT_VERSION of the stored fingerprint (None: before versions)
    uploaded_by = StringField()
    uploaded_at = DateTimeField(required=True)

    meta = {
        "collection": "attachments",
        "indexes": [
            {"fields": ("visit_id", "slot"), "unique": True},
            "visit_oid",
            "sha256",
            "phash_bands",
            "match_keys",
            "household_id",
        ],
    }


class EvidencePrint(Document):
    """What verifying a photo or signature match needs, kept apart so attachment reads stay small:
    packed features (as is and mirrored) and the keys to probe when searching for this one's source."""

    attachment_id = StringField(primary_key=True)
    kind = StringField(required=True)
    features = BinaryField()
    mirrored_features = BinaryField()
    tiny = BinaryField()  # photos: the work image at 1/8 (`fingerprint.tiny_image`), for pixel agreement
    probes = ListField(LongField())

    meta = {"collection": "evidence_prints"}


class CommonKey(Document):
    """A search key too many other households' photos share to point at any one of them (a plain wall
    edge, a window corner): the robust search skips it (`app/checks/common_keys.py`)."""

    key = LongField(primary_key=True)
    kind = StringField(required=True)
    shared_by = IntField()  # photos that carried it when a search marked it
    marked_at = DateTimeField()

    meta = {"collection": "common_match_keys"}
