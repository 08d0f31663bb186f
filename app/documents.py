"""Every Document the app stores, for index creation and test clean-up."""

from app.adjustment.models import Identification
from app.areas.models import Area
from app.audit.models import AuditEvent
from app.campaigns.models import Assignment, Campaign
from app.exports.models import ExportJob
from app.households.models import Household, PovertyEvent
from app.login.models import AppToken
from app.rectification.models import RectificationItem
from app.review.models import RecheckDraw, ReviewChain
from app.samples.models import Sample
from app.tallies.models import AreaCounter, TallyOp
from app.users.models import User
from app.visits.models import Attachment, CommonKey, EvidencePrint, Visit

ALL_DOCUMENTS: list = [
    Area,
    Household,
    PovertyEvent,
    Identification,
    User,
    AuditEvent,
    RectificationItem,
    Sample,
    ReviewChain,
    RecheckDraw,
    Visit,
    Attachment,
    AreaCounter,
    TallyOp,
    EvidencePrint,
    CommonKey,
    AppToken,
    Campaign,
    Assignment,
    ExportJob,
]
