"""Open campaigns, draw their mutual-check teams, read them with their progress (supervisors open and draw;
everyone inside a campaign's area reads it)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bson import ObjectId
from mongoengine import Q

from app.area_codes import LEVELS, ancestors
from app.areas.models import Area
from app.areas.service import area_in_scope
from app.audit import service as audit
from app.auth.principal import Principal
from app.campaigns import progress, schedule
from app.campaigns.draw import draw_teams
from app.campaigns.models import PHASE_LABELS, PHASES, Assignment, Campaign, Phase, Team
from app.campaigns.schedule import china_midnight
from app.clock import now
from app.errors import Conflict, NotFound, ValidationFailed
from app.users.grants import grant_area
from app.users.models import AreaGrant

MAX_SEED = 2**62


def _unit_level(area: Area, unit_level: str | None) -> str:
    """The level whose areas form the teams: the one below the campaign's area unless given."""
    below = LEVELS[LEVELS.index(area.level) + 1 : LEVELS.index("village") + 1]
    level = unit_level or (below[0] if below else None)
    if level not in below:
        raise ValidationFailed(errors={"unit_level": [f"须为下级区划层级 One of: {', '.join(below) or '-'}"]})
    return level


def _phases(items: list[dict]) -> list[Phase]:
    names = [p["name"] for p in items]
    if not items or len(set(names)) != len(names):
        raise ValidationFailed(errors={"phases": ["每个阶段至多一次 Each phase at most once, at least one"]})
    for item in items:
        if item["ends_on"] < item["starts_on"]:
            raise ValidationFailed(errors={"phases": [f"{item['name']}: 结束早于开始 ends before it starts"]})
    return [Phase(**item) for item in sorted(items, key=lambda p: PHASES.index(p["name"]))]


def _overlapping(area: Area, starts_on, ends_on):
    """Campaigns over this area, an area above it or one below it, whose dates overlap."""
    nested = Q(area_code__in=area.path) | Q(area_path=area.code)
    return Campaign.objects(nested).filter(starts_on__lte=ends_on, ends_on__gte=starts_on)


def open_campaign(
    principal: Principal,
    *,
    area: str,
    name: str,
    phases: list[dict],
    unit_level: str | None = None,
    households_per_team: int | None = None,
) -> Campaign:
    """Open a campaign for `area` with its phases (自查, 互查, 整改) and dates."""
    principal.require("campaigns.write")
    unit = area_in_scope(principal, area)
    level = _unit_level(unit, unit_level)
    ordered = _phases(phases)
    starts_on, ends_on = min(p.starts_on for p in ordered), max(p.ends_on for p in ordered)
    clash = _overlapping(unit, starts_on, ends_on).first()
    if clash is not None:
        raise Conflict(
            "该区划同期已有核查活动 Another campaign covers this area on these dates",
            campaign_id=str(clash.id),
        )
    campaign = Campaign(
        name=name,
        area_code=unit.code,
        area_name=unit.name,
        area_path=unit.path,
        unit_level=level,
        phases=ordered,
        starts_on=starts_on,
        ends_on=ends_on,
        households_per_team=households_per_team,
        created_by=principal.username,
        created_by_id=principal.user_id,
        created_at=now(),
    )
    campaign.save()
    schedule.RUNNING.forget()
    audit.record(
        principal, "campaign.open", "campaign", str(campaign.id), campaign.area_path,
        name=name, phases={p.name: [str(p.starts_on), str(p.ends_on)] for p in ordered},
    )  # fmt: skip
    return campaign


def draw(principal: Principal, campaign_id: str, seed: int | None = None) -> Campaign:
    """Draw the mutual-check teams by lot, once; members get the checked unit for the mutual-check dates."""
    principal.require("campaigns.write")
    campaign = get_campaign(principal, campaign_id)
    area = area_in_scope(principal, campaign.area_code)  # seeing a campaign above you is not running it
    if campaign.drawn_at is not None:
        raise Conflict("互查已抽签 Teams already drawn", seed=campaign.seed)
    mutual = campaign.phase("mutual_check")
    if mutual is None:
        raise ValidationFailed(errors={"phases": ["没有互查阶段 The campaign has no mutual-check phase"]})
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    drawn = draw_teams(area, campaign.unit_level, seed, campaign.households_per_team)
    if not drawn:
        raise ValidationFailed(
            errors={"area": ["至少需要两个有农户的下级区划 Needs two units with households to draw teams"]}
        )
    teams = [
        Team(
            number=t.number,
            home_code=t.home.code,
            home_name=t.home.name,
            target_code=t.target.code,
            target_name=t.target.name,
            member_ids=[str(u.id) for u in t.members],
            members=[u.username for u in t.members],
            households=len(t.households),
        )
        for t in drawn
    ]
    stamp = now()
    schedule.RUNNING.forget()
    claimed = Campaign.objects(id=campaign.id, drawn_at=None).update_one(
        set__teams=teams, set__seed=seed, set__drawn_at=stamp, set__drawn_by=principal.username
    )
    if not claimed:  # a concurrent draw won
        raise Conflict("互查已抽签 Teams already drawn")
    Assignment.objects.insert(
        [
            Assignment(
                campaign_id=str(campaign.id),
                team=t.number,
                household_id=str(h.id),
                household_number=h.number,
                area_path=h.area_path,
                updated_at=stamp,
            )
            for t in drawn
            for h in t.households
        ],
        load_bulk=False,
    )
    for team in teams:
        grant_area(
            team.member_ids,
            AreaGrant(
                area_code=team.target_code,
                starts_at=china_midnight(mutual.starts_on),
                ends_at=china_midnight(mutual.ends_on + timedelta(days=1)),
                source=f"campaign:{campaign.id}:team:{team.number}",
                reason=f"{campaign.name} 互查 {team.target_name}",
            ),
        )
    campaign.reload()
    audit.record(
        principal, "campaign.draw", "campaign", str(campaign.id), campaign.area_path, seed=seed,
        teams=[{"number": t.number, "home": t.home_code, "target": t.target_code, "members": t.members,
                "households": t.households} for t in teams],
    )  # fmt: skip
    return campaign


def _visible(principal: Principal, campaign: Campaign | None) -> bool:
    """People above the campaign's area and people inside it (its cadres and verifiers) see it."""
    if campaign is None:
        return False
    return principal.covers(campaign.area_path) or any(
        campaign.area_code in ancestors(code) for code in principal.area_codes
    )


def get_campaign(principal: Principal, campaign_id: str) -> Campaign:
    principal.require("campaigns.read")
    campaign = Campaign.objects(id=campaign_id).first() if ObjectId.is_valid(campaign_id) else None
    if not _visible(principal, campaign):
        raise NotFound()
    return campaign


def visible_campaigns(principal: Principal, *, area: str | None = None):
    """Campaigns over, above or below the caller's areas, newest first."""
    principal.require("campaigns.read")
    query = Campaign.objects
    if not principal.is_admin:
        above = sorted({a for code in principal.area_codes for a in ancestors(code)})
        query = query(Q(area_path__in=list(principal.area_codes)) | Q(area_code__in=above))
    if area:
        query = query.filter(area_path=area)
    return query.order_by("-starts_on", "-created_at")


def campaign_view(principal: Principal, campaign_id: str) -> dict:
    """A campaign with its phases, its teams and each team's progress (the API and the console show this)."""
    campaign = get_campaign(principal, campaign_id)
    return campaign_summary(campaign) | {"teams": progress.progress(campaign)}


def campaign_summary(campaign: Campaign) -> dict:
    return {
        "id": str(campaign.id),
        "name": campaign.name,
        "area_code": campaign.area_code,
        "area_name": campaign.area_name,
        "unit_level": campaign.unit_level,
        "phases": [
            {"name": p.name, "label": PHASE_LABELS[p.name], "starts_on": p.starts_on, "ends_on": p.ends_on}
            for p in campaign.phases
        ],
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "households_per_team": campaign.households_per_team,
        "seed": campaign.seed,
        "drawn_at": campaign.drawn_at,
        "drawn_by": campaign.drawn_by,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at,
    }


def team_assignment(principal: Principal, campaign_id: str, number: int):
    """The households a team must visit, by household number, with how far each visit has got."""
    campaign = get_campaign(principal, campaign_id)
    if campaign.team(number) is None:
        raise NotFound("没有这个互查组 No such team")
    return Assignment.objects(principal.scope(), campaign_id=str(campaign.id), team=number).order_by(
        "household_number"
    )
