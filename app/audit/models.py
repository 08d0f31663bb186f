"""The append-only audit log: who did what to which object, when, from where."""

from __future__ import annotations

from mongoengine import DateTimeField, DictField, Document, ListField, StringField


class AuditEvent(Document):
    at = DateTimeField(required=True)
    actor_id = StringField(required=True)
    actor = StringField(required=True)  # username at the time
    role = StringField(required=True)
    action = StringField(required=True)  # e.g. user.create, household.import, visit.review
    object_type = StringField(required=True)
    object_id = StringField()
    area_path = ListField(StringField())
    county_code = StringField()  # the shard key's leading field (SCALING.md)
    ip = StringField()
    user_agent = StringField()
    details = DictField()

    meta = {
        "collection": "audit_events",
        "indexes": [("area_path", "-at"), ("actor", "-at"), ("object_type", "object_id"), "-at"],
    }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("audit events are append-only")
        return super().save(*args, **kwargs)
