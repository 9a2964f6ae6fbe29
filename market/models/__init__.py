"""Every table of the marketplace, importable from one place (and so all known to Alembic)."""

from __future__ import annotations

from alliances.models import (
    Alliance,
    ChairActivity,
    ChairTerm,
    Community,
    Organization,
    OrganizationApplication,
    Street,
)
from market.models._accounts import KeyValue, Notification, Role, User, UserSession, login_throttle
from market.models._audit import AuditEntry, AuditHead
from market.models._awards import Award, Objection
from market.models._bars import WatchEntry
from market.models._base import Availability
from market.models._classes import ClassSession, Signup
from market.models._dossiers import AwardDossier, DossierAddition
from market.models._needs import Need
from market.models._points import PointEntry, PointObjection, PointRuleVersion
from market.models._projects import Feedback, Milestone, ProgressReport, Project
from market.models._proposals import Attachment, Proposal, ProposalMember
from market.models._resources import (
    Offering,
    OrderingMeeting,
    ResourceCategory,
    ServiceOrder,
    meeting_offerings,
)
from market.models._reviews import UP_REVIEW, ReviewedUnit, UpReview
from market.models._scoring import PanelMember, Score
from market.models._stats import stats_days
from market.models._tasks import (
    FundingMode,
    Task,
    TaskAmendment,
    TaskQuestion,
    task_alliances,
    task_communities,
    task_needs,
)

__all__ = [
    "UP_REVIEW",
    "Alliance",
    "Attachment",
    "AuditEntry",
    "AuditHead",
    "Availability",
    "Award",
    "AwardDossier",
    "ChairActivity",
    "ChairTerm",
    "ClassSession",
    "Community",
    "DossierAddition",
    "Feedback",
    "FundingMode",
    "KeyValue",
    "Milestone",
    "Need",
    "Notification",
    "Objection",
    "Offering",
    "OrderingMeeting",
    "Organization",
    "OrganizationApplication",
    "PanelMember",
    "PointEntry",
    "PointObjection",
    "PointRuleVersion",
    "ProgressReport",
    "Project",
    "Proposal",
    "ProposalMember",
    "ResourceCategory",
    "ReviewedUnit",
    "Role",
    "Score",
    "ServiceOrder",
    "Signup",
    "Street",
    "Task",
    "TaskAmendment",
    "TaskQuestion",
    "UpReview",
    "User",
    "UserSession",
    "WatchEntry",
    "login_throttle",
    "meeting_offerings",
    "stats_days",
    "task_alliances",
    "task_communities",
    "task_needs",
]
