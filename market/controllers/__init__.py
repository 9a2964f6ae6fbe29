"""Every JSON API controller, mounted under /api/v1 by the app."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from alliances.controllers import ALLIANCE_HANDLERS
from market.controllers._accounts import AuthController, MeController, UserController
from market.controllers._audit import AuditController, ListsController, TaskAuditController
from market.controllers._awards import AwardController, ObjectionController, TaskAwardController, TickController
from market.controllers._bars import WatchListController
from market.controllers._classes import ClassController, ProjectClassController, SignupController
from market.controllers._exports import EXPORT_HANDLERS
from market.controllers._needs import NeedController
from market.controllers._ocds import OcdsController
from market.controllers._points import OrganizationPointsController, PointsController, SignupPointsController
from market.controllers._projects import OrganizationRecordController, ProjectController
from market.controllers._proposals import ProposalController, TaskProposalController
from market.controllers._resources import MeetingController, OfferingController, OrderController
from market.controllers._reviews import OrderUpReviewController, ProjectUpReviewController, UpReviewController
from market.controllers._scoring import PanelController, ScoreController
from market.controllers._stats import StatsController
from market.controllers._tasks import TaskController

API_HANDLERS: list[ControllerRouterHandler] = [
    AuthController,
    MeController,
    UserController,
    TaskController,
    TaskProposalController,
    ProposalController,
    PanelController,
    ScoreController,
    TaskAwardController,
    AwardController,
    ObjectionController,
    TickController,
    ProjectController,
    OrganizationRecordController,
    WatchListController,
    ProjectClassController,
    ClassController,
    SignupController,
    NeedController,
    OfferingController,
    OrderController,
    MeetingController,
    ProjectUpReviewController,
    OrderUpReviewController,
    UpReviewController,
    PointsController,
    OrganizationPointsController,
    SignupPointsController,
    StatsController,
    OcdsController,
    AuditController,
    TaskAuditController,
    ListsController,
    # Paths with a suffix (/needs.csv) sit beside their controllers' lists, not under them.
    *EXPORT_HANDLERS,
    *ALLIANCE_HANDLERS,
]
