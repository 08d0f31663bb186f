"""Every Document the app stores, for index creation and test clean-up."""

from app.areas.models import Area
from app.audit.models import AuditEvent
from app.households.models import Household
from app.login.models import AppToken
from app.rectification.models import RectificationItem
from app.samples.models import Sample
from app.users.models import User
from app.visits.models import Attachment, Visit

ALL_DOCUMENTS: list = [
    Area,
    Household,
    User,
    AuditEvent,
    RectificationItem,
    Sample,
    Visit,
    Attachment,
    AppToken,
]
