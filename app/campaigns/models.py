"""A campaign over an area, its phases, its drawn mutual-check teams and each team's assigned households."""

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

# In the order the documents run them; the rectification phase may overlap the other two (边查边改).
PHASES = ("self_check", "mutual_check", "rectification")
PHASE_LABELS = {"self_check": "自查", "mutual_check": "互查", "rectification": "整改"}


class Phase(EmbeddedDocument):
    name = StringField(required=True, choices=PHASES)
    starts_on = DateField(required=True)  # China dates, both inclusive
    ends_on = DateField(required=True)


class Team(EmbeddedDocument):
    """A mutual-check team: people from one unit (e.g. a town) checking another unit drawn by lot."""

    number = IntField(required=True)  # 1.. in the order of the home units' codes
    home_code = StringField(required=True)
    home_name = StringField()
    target_code = StringField(required=True)
    target_name = StringField()
    member_ids = ListField(StringField())
    members = ListField(StringField())  # usernames, as drawn
    households = IntField(default=0)  # size of the assignment


class CampaignQuerySet(QuerySet):
    def covering(self, area_path: list[str]) -> CampaignQuerySet:
        """Campaigns whose area contains an object with this ancestor path."""
        return self.filter(area_code__in=list(area_path))


class Campaign(Document):
    name = StringField(required=True, max_length=100)
    area_code = StringField(required=True)
    area_name = StringField()
    area_path = ListField(StringField(), required=True)
    unit_level = StringField(required=True)  # the level whose areas form teams and are checked
    phases = EmbeddedDocumentListField(Phase)
    starts_on = DateField(required=True)  # the first phase's start and the last phase's end
    ends_on = DateField(required=True)
    households_per_team = IntField()  # None: every household of the checked unit
    seed = IntField()
    teams = EmbeddedDocumentListField(Team)
    drawn_at = DateTimeField()
    drawn_by = StringField()
    created_by = StringField(required=True)
    created_by_id = StringField(required=True)
    created_at = DateTimeField(required=True)

    meta = {
        "collection": "campaigns",
        "queryset_class": CampaignQuerySet,
        "indexes": [("area_path", "-starts_on"), ("area_code", "ends_on")],
    }

    def phase(self, name: str) -> Phase | None:
        return next((p for p in self.phases if p.name == name), None)

    def team(self, number: int) -> Team | None:
        return next((t for t in self.teams if t.number == number), None)


class Assignment(Document):
    """One household a mutual-check team must visit, and how far its visit has got."""

    campaign_id = StringField(required=True)
    team = IntField(required=True)
    household_id = StringField(required=True)
    household_number = StringField()
    area_path = ListField(StringField(), required=True)
    visit_id = StringField()  # the team's latest submitted visit of the household
    visit_state = StringField()
    problems = IntField(default=0)  # ledger items opened from the team's visits of the household
    updated_at = DateTimeField()

    meta = {
        "collection": "campaign_assignments",
        "indexes": [
            {"fields": ("campaign_id", "household_id"), "unique": True},
            ("campaign_id", "team", "household_id"),
        ],
    }
