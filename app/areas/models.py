"""Administrative areas, stored with their ancestor path so subtree queries hit one multikey index."""

from __future__ import annotations

from mongoengine import Document, IntField, ListField, QuerySet, StringField

from app.area_codes import CODE_PATTERN, LEVELS


class AreaQuerySet(QuerySet):
    def children_of(self, code: str) -> AreaQuerySet:
        return self.filter(parent=code)


class Area(Document):
    code = StringField(required=True, unique=True, regex=CODE_PATTERN)
    name = StringField(required=True, max_length=100)
    level = StringField(required=True, choices=LEVELS)
    depth = IntField(required=True)
    parent = StringField()
    path = ListField(StringField(), required=True)  # ancestor codes, root first, self last

    meta = {
        "collection": "areas",
        "queryset_class": AreaQuerySet,
        "indexes": ["path", "parent", "level"],
    }

    @property
    def area_path(self) -> list[str]:
        return self.path
