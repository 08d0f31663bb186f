"""Who may do what: the one table of role permissions. Area scoping is separate (see principal.py)."""

from __future__ import annotations

ROLES = ("cadre", "verifier", "supervisor", "admin")

PERMISSIONS: dict[str, frozenset[str]] = {
    "areas.read": frozenset(ROLES),
    "areas.write": frozenset({"admin"}),
    "users.read": frozenset({"supervisor", "admin"}),
    "users.write": frozenset({"supervisor", "admin"}),
    "households.read": frozenset(ROLES),
    "households.write": frozenset({"supervisor", "admin"}),
    "households.see_id_number": frozenset({"supervisor", "admin"}),
    "households.see_phone": frozenset({"cadre", "supervisor", "admin"}),
    "forms.read": frozenset(ROLES),
    "visits.read": frozenset(ROLES),
    "visits.submit": frozenset({"cadre"}),
    # town verifiers and county/city supervisors sign off at their level of the review chain
    "visits.review": frozenset({"verifier", "supervisor"}),
    "review.configure": frozenset({"supervisor", "admin"}),
    "review.recheck": frozenset({"supervisor", "admin"}),
    "poverty.decide": frozenset({"supervisor", "admin"}),
    "poverty.assist": frozenset({"cadre", "verifier", "supervisor"}),
    "identification.file": frozenset({"cadre", "verifier", "supervisor"}),
    "reports.read": frozenset({"verifier", "supervisor", "admin"}),
    "samples.write": frozenset({"supervisor", "admin"}),
    "samples.read": frozenset({"supervisor", "admin"}),
    "audit.read": frozenset({"supervisor", "admin"}),
    "rectification.write": frozenset({"verifier", "supervisor", "admin"}),
    "exports.read": frozenset({"verifier", "supervisor", "admin"}),
    "campaigns.read": frozenset(ROLES),
    "campaigns.write": frozenset({"supervisor", "admin"}),
}

# Roles a user of each role may create or change (always within their own areas).
MANAGEABLE_ROLES: dict[str, frozenset[str]] = {
    "admin": frozenset(ROLES),
    "supervisor": frozenset({"cadre", "verifier", "supervisor"}),
}


def allowed(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]
