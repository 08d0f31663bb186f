"""An export run as a job: what was asked, by whom (their scope at the time), its progress and its file."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, IntField, ListField, StringField

KINDS = ("visits", "media")
FORMATS = ("csv", "xlsx", "zip")
STATES = ("queued", "running", "done", "failed")


class ExportJob(Document):
    kind = StringField(required=True, choices=KINDS)
    format = StringField(required=True, choices=FORMATS)
    filters = DictField()
    # the requester, as they were when they asked: the job exports what they could see then
    requested_by = StringField(required=True)
    requested_by_id = StringField(required=True)
    role = StringField(required=True)
    area_codes = ListField(StringField())
    state = StringField(required=True, choices=STATES, default="queued")
    total = IntField(default=0)  # visits to export
    done = IntField(default=0)  # visits written so far
    key = StringField()  # the file in the object store
    size = IntField()
    filename = StringField()  # the Chinese name, without extension
    ascii_name = StringField()
    error = StringField()
    created_at = DateTimeField(required=True)
    started_at = DateTimeField()
    finished_at = DateTimeField()
    expires_at = DateTimeField()  # the file is removed, and no link works, after this

    meta = {"collection": "export_jobs", "indexes": [("requested_by_id", "-created_at"), "expires_at"]}
