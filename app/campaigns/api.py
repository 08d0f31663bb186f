"""Campaigns (核查活动): open one, draw its mutual-check teams, follow each team's progress."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.auth.current import current_principal
from app.campaigns import service
from app.campaigns.schemas import (
    AssignmentOut,
    CampaignIn,
    CampaignOut,
    CampaignQuery,
    CampaignSummaryOut,
    DrawIn,
)
from app.pagination import PAGE, QuerySetPage, RenderedQuery

blp = Blueprint("campaigns", __name__, description="核查活动 Campaigns: 自查, 互查, 整改")


@blp.route("")
class CampaignsView(MethodView):
    @blp.arguments(CampaignIn)
    @blp.response(201, CampaignOut)
    @blp.alt_response(409, description="another campaign covers the area on overlapping dates")
    def post(self, data):
        """Open a campaign for an area (supervisors, admins) with its phases and their dates.

        Visits made in the area while it runs are tagged with the campaign and the phase of their date;
        a mutual-check team member's visit of an assigned household is tagged with the team."""
        campaign = service.open_campaign(current_principal(), **data)
        return service.campaign_view(current_principal(), str(campaign.id))

    @blp.arguments(CampaignQuery, location="query")
    @blp.response(200, CampaignSummaryOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, query):
        """Campaigns over, above or inside your areas, newest first."""
        return RenderedQuery(
            service.visible_campaigns(current_principal(), **query),
            lambda page: [service.campaign_summary(c) for c in page],
        )


@blp.route("/<campaign_id>")
class CampaignView(MethodView):
    @blp.response(200, CampaignOut)
    def get(self, campaign_id):
        """The campaign's phases and dates, its drawn teams and each team's progress."""
        return service.campaign_view(current_principal(), campaign_id)


@blp.route("/<campaign_id>/draw")
class DrawView(MethodView):
    @blp.arguments(DrawIn)
    @blp.response(201, CampaignOut)
    @blp.alt_response(409, description="teams were already drawn")
    def post(self, data, campaign_id):
        """Draw the mutual-check teams by lot (互查抽签), once, recorded in the audit log.

        Each unit's team (its cadres) checks another unit: one seeded cycle over the units sorted by code,
        so no team checks its own unit and the same seed over the same units draws the same teams. Members
        may read and visit the unit they check during the mutual-check dates."""
        campaign = service.draw(current_principal(), campaign_id, data["seed"])
        return service.campaign_view(current_principal(), str(campaign.id))


@blp.route("/<campaign_id>/teams/<int:number>/households")
class AssignmentView(MethodView):
    @blp.response(200, AssignmentOut(many=True))
    @blp.paginate(QuerySetPage, **PAGE)
    def get(self, campaign_id, number):
        """The households a team must visit (in your areas), by household number, and their visits' state."""
        return service.team_assignment(current_principal(), campaign_id, number)
