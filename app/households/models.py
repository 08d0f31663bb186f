"""Registered households (建档立卡户) and their members."""

from __future__ import annotations

from mongoengine import (
    DateField,
    DateTimeField,
    DictField,
    EmbeddedDocument,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    QuerySet,
    StringField,
)

from app.area_codes import CODE_PATTERN
from app.tallies.models import TALLY_INDEXES, Tallied

CATEGORIES = ("with_labour", "without_labour")
CATEGORY_LABELS = {"with_labour": "有劳动能力", "without_labour": "无劳动能力"}

# Verification status of a household, moved only through app.households.lifecycle.
MAX_MEMBERS = 30
MAX_CAUSES = 20

STATUSES = (
    "registered",
    "visit_submitted",
    "checked",
    "has_issues",
    "verified",
    "revisit_requested",
    "rejected",
)

# Poverty status (贫困状态), the documents' household lifecycle; moved only through
# app.households.poverty. A different dimension from the verification status above.
POVERTY_STATUSES = {
    "candidate": "候选户（识别中）",
    "poor": "贫困户（未脱贫）",
    "lifted_supported": "脱贫户（享受政策）",
    "lifted_unsupported": "脱贫户（不享受政策）",
    "unstable": "监测对象：脱贫不稳定户",
    "marginal": "监测对象：边缘易致贫户",
    "sudden_hardship": "监测对象：突发严重困难户",
    "relapsed": "返贫户",
    "ordinary": "一般农户",
    "removed": "清退",
    "dissolved": "自然减员",
}
TERMINAL = ("removed", "dissolved")  # off the books (清退, 自然减员): no longer a household to visit
EXITED = ("lifted_supported", "lifted_unsupported", "unstable")  # reported out of poverty
# 四个必到: who must be visited besides registered households (reasons a candidate was found)
NEEDS = {
    "dibao": "低保户",
    "tekun": "特困供养（五保）户",
    "low_income": "低收入户",
    "disabled": "有残疾人的户",
}


class Member(EmbeddedDocument):
    name = StringField(required=True, max_length=50)
    relation = StringField(max_length=20)  # 户主 / 配偶 / 子女 / 父母 ...
    id_number = StringField(max_length=18)
    birth_date = DateField()
    labour_ability = StringField(max_length=30)  # 普通劳动力 / 丧失劳动力 / 无劳动力
    health = StringField(max_length=30)  # 健康 / 长期慢性病 / 大病 / 残疾
    schooling = StringField(max_length=30)  # 学前 / 小学 / 初中 / 高中 / 在校生 / 辍学 ...


class HouseholdQuerySet(QuerySet):
    def in_area(self, code: str) -> HouseholdQuerySet:
        return self.filter(area_path=code)


class Household(Tallied):
    number = StringField(required=True, unique=True, max_length=40)  # 户编号
    village_code = StringField(required=True, regex=CODE_PATTERN)
    area_path = ListField(StringField(), required=True)  # province .. village, for scoping
    head_name = StringField(required=True, max_length=50)
    id_number = StringField(max_length=18)
    phone = StringField(max_length=20)
    address = StringField(max_length=200)
    lat = FloatField(min_value=-90, max_value=90)
    lon = FloatField(min_value=-180, max_value=180)
    category = StringField(choices=CATEGORIES)
    poverty_causes = ListField(StringField(max_length=30), max_length=MAX_CAUSES)
    helper_id = StringField()  # the cadre responsible (帮扶责任人), a User id
    helper_name = StringField(max_length=50)
    members = EmbeddedDocumentListField(Member, max_length=MAX_MEMBERS)
    status = StringField(choices=STATUSES, default="registered")
    poverty_status = StringField(choices=list(POVERTY_STATUSES), default="poor")
    poverty_changed_at = DateTimeField()
    needs = ListField(StringField(choices=list(NEEDS)))  # 四个必到 categories, for candidates
    satisfaction = DictField()  # the latest satisfaction answer: {answer, visit_id, at}
    latest_assessment = DictField()
    latest_visit_id = StringField()
    verified_visit_id = StringField()
    # what the verifying (approved) visit found: {assessed, record_matches, member_count_matches}
    verified_record = DictField()
    import_digest = StringField()  # hash of the imported row, for idempotent re-import
    version = IntField(default=1)
    created_at = DateTimeField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {
        "collection": "households",
        "queryset_class": HouseholdQuerySet,
        "indexes": [
            *TALLY_INDEXES,
            "area_path",
            ("area_path", "status"),
            ("area_path", "poverty_status"),
            "village_code",
            "helper_id",
            "id_number",
            "head_name",
        ],
    }

    @property
    def size(self) -> int:
        return len(self.members) or 1


class PovertyEvent(Tallied):
    """One change of a household's poverty status (or one 即时帮扶 given): who, when, why, on what
    evidence. Append-only, like the audit log; reports count these per area and year."""

    household_id = StringField(required=True)
    household_number = StringField()
    area_path = ListField(StringField(), required=True)
    event = StringField(required=True)  # register, identify, lift_out, monitor, relapse, assist, ...
    from_status = StringField()
    to_status = StringField(required=True)
    reason = StringField()
    evidence = DictField()  # {visit_id, identification_id, documents: [...], measures}
    actor_id = StringField(required=True)
    actor = StringField(required=True)
    role = StringField(required=True)
    at = DateTimeField(required=True)
    year = IntField(required=True)

    meta = {
        "collection": "poverty_events",
        "indexes": [
            ("household_id", "at"),
            ("area_path", "year", "event"),
            "at",
            {"fields": ["tally_pending.op"], "sparse": True},
        ],
    }

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("poverty events are append-only")
        return super().save(*args, **kwargs)
