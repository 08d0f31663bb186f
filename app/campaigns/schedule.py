"""Which campaign and phase a visit (or a ledger item) belongs to, from its area, its date and who made it.

A visit made while a campaign over its area runs is tagged with that campaign. Its phase is the mutual
check (互查) when a member of the team drawn for the household made it during the mutual-check dates;
otherwise the first phase running that day in the order self-check, rectification, mutual check (the
documents let rectification run alongside the checks: 边查边改). Dates are China dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from bson import ObjectId

from app.campaigns.models import Assignment, Campaign
from app.clock import CHINA_TZ

# A local cadre's visit during overlapping phases counts in the first of these that runs that day.
PHASE_PRIORITY = ("self_check", "rectification", "mutual_check")


@dataclass(frozen=True)
class CampaignTag:
    campaign_id: str
    phase: str
    team: int | None = None  # the mutual-check team whose member made the visit


def china_date(at: datetime) -> date:
    """The day a person in China would write for `at` (a time without an offset is China time)."""
    return (at if at.tzinfo else at.replace(tzinfo=CHINA_TZ)).astimezone(CHINA_TZ).date()


def china_midnight(day: date) -> datetime:
    """The start of a China date, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(UTC)


def running_phases(campaign: Campaign, day: date) -> list[str]:
    return [p.name for p in campaign.phases if p.starts_on <= day <= p.ends_on]


def campaign_on(area_path: list[str], day: date) -> Campaign | None:
    """The campaign running on `day` over an area containing `area_path` (campaigns never overlap)."""
    return Campaign.objects.covering(area_path).filter(starts_on__lte=day, ends_on__gte=day).first()


def campaign_tag(area_path: list[str], household_id: str, user_id: str, at: datetime) -> CampaignTag | None:
    """The campaign, phase and team of work on a household by `user_id` at `at` (a visit's start, an item
    opened by hand); None outside every campaign."""
    day = china_date(at)
    campaign = campaign_on(area_path, day)
    if campaign is None:
        return None
    running = running_phases(campaign, day)
    if "mutual_check" in running:
        assignment = Assignment.objects(campaign_id=str(campaign.id), household_id=household_id).first()
        team = campaign.team(assignment.team) if assignment else None
        if team is not None and user_id in team.member_ids:
            return CampaignTag(str(campaign.id), "mutual_check", team.number)
    phase = next((name for name in PHASE_PRIORITY if name in running), None)
    return CampaignTag(str(campaign.id), phase) if phase else None


def rectification_end(campaign_id: str | None) -> date | None:
    """The last day of the campaign's rectification phase (整改期限), if it has one."""
    if not campaign_id or not ObjectId.is_valid(campaign_id):
        return None
    campaign = Campaign.objects(id=campaign_id).only("phases").first()
    phase = campaign.phase("rectification") if campaign else None
    return phase.ends_on if phase else None
