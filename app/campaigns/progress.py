"""Each team's progress on its assignment: visited, flagged, approved. The assignment follows the team's
visits (called by the visit lifecycle) and the ledger items opened on them (called by the ledger).

A team's submitted visit becomes the household's assignment visit; that visit's later states then move the
assignment. Visit states are named here as strings so that this package does not depend on the visits
package (which depends on it to tag visits).
"""

from __future__ import annotations

from datetime import datetime

from app.campaigns.models import Assignment, Campaign

FLAGGED = ("has_issues", "rejected", "revisit_requested")  # failed checks or sent back by a verifier
APPROVED = ("approved",)


def follow_visit(campaign_id: str, household_id: str, visit_id: str, state: str, at: datetime) -> bool:
    """Record the team visit's new state on its assignment; False when another visit speaks for it."""
    if state == "receiving":
        return False
    query = Assignment.objects(campaign_id=campaign_id, household_id=household_id)
    if state == "submitted":  # the newest submitted team visit is the one that counts
        return bool(query.update_one(set__visit_id=visit_id, set__visit_state=state, set__updated_at=at))
    return bool(query.filter(visit_id=visit_id).update_one(set__visit_state=state, set__updated_at=at))


def note_problem(campaign_id: str, household_id: str) -> bool:
    """A ledger item was opened on a team visit of the household: the assignment counts as flagged."""
    return bool(
        Assignment.objects(campaign_id=campaign_id, household_id=household_id).update_one(inc__problems=1)
    )


def _count_if(condition: dict) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def team_counts(campaign_id: str) -> dict[int, dict[str, int]]:
    """Per team number: households assigned, visited, flagged, approved and still to visit."""
    state = {"$ifNull": ["$visit_state", ""]}
    pipeline = [
        {"$match": {"campaign_id": campaign_id}},
        {
            "$group": {
                "_id": "$team",
                "households": {"$sum": 1},
                "visited": _count_if({"$ne": [state, ""]}),
                "flagged": _count_if(
                    {"$or": [{"$in": [state, list(FLAGGED)]}, {"$gt": [{"$ifNull": ["$problems", 0]}, 0]}]}
                ),
                "approved": _count_if({"$in": [state, list(APPROVED)]}),
            }
        },
    ]
    counts = {}
    for row in Assignment.objects.aggregate(pipeline):
        number = row.pop("_id")
        counts[number] = row | {"pending": row["households"] - row["visited"]}
    return counts


def progress(campaign: Campaign) -> list[dict]:
    """The drawn teams in order, each with its members, target and progress figures."""
    counts = team_counts(str(campaign.id))
    empty = {"households": 0, "visited": 0, "flagged": 0, "approved": 0, "pending": 0}
    return [
        {
            "number": team.number,
            "home_code": team.home_code,
            "home_name": team.home_name,
            "target_code": team.target_code,
            "target_name": team.target_name,
            "members": list(team.members),
            "member_ids": list(team.member_ids),
        }
        | counts.get(team.number, empty)
        for team in campaign.teams
    ]
