"""Every blueprint and where it is mounted: the API's table of contents."""

from app.adjustment.api import blp as adjustment_blp
from app.areas.api import blp as areas_blp
from app.audit.api import blp as audit_blp
from app.campaigns.api import blp as campaigns_blp
from app.dossier.api import blp as dossier_blp
from app.exports.api import blp as exports_blp
from app.exports.api import files_blp as export_files_blp
from app.forms.api import blp as forms_blp
from app.health.api import blp as health_blp
from app.households.api import blp as households_blp
from app.login.api import blp as login_blp
from app.media.links import PREFIX as MEDIA
from app.openrosa.setup_api import blp as phone_setup_blp
from app.rectification.api import blp as rectification_blp
from app.reports.api import blp as reports_blp
from app.review.api import blp as review_blp
from app.samples.api import blp as samples_blp
from app.users.api import blp as users_blp
from app.visits.api import blp as visits_blp
from app.visits.files_api import blp as media_blp

API = "/api/v1"

BLUEPRINTS = [
    (health_blp, ""),
    (login_blp, API + "/auth"),
    (areas_blp, API + "/areas"),
    (users_blp, API + "/users"),
    (phone_setup_blp, API + "/users"),  # /users/{id}/app-tokens, /users/{id}/collect-qr.png
    (households_blp, API + "/households"),
    (forms_blp, API + "/forms"),
    (visits_blp, API + "/visits"),
    (audit_blp, API + "/audit"),
    (review_blp, API),  # /review/queue, /review/bulk-approve, /visits/{id}/review, /visits/{id}/history
    (reports_blp, API + "/reports"),
    (dossier_blp, API + "/households"),  # /households/{id}/dossier.pdf
    (samples_blp, API + "/samples"),
    (rectification_blp, API + "/rectifications"),
    (media_blp, MEDIA),  # signed, short-lived links to photos and signatures (outside the bearer API)
    # /households/{id}/poverty-events, /households/{id}/assistance, /identifications
    (adjustment_blp, API),
    (campaigns_blp, API + "/campaigns"),
    (exports_blp, API + "/exports"),
    (
        export_files_blp,
        "/downloads",
    ),  # signed, short-lived links to finished exports (outside the bearer API)
]
