"""Every JSON API controller, mounted under /api/v1 by the app."""

from __future__ import annotations

from market.controllers._accounts import AuthController, MeController, UserController
from market.controllers._proposals import ProposalController, TaskProposalController
from market.controllers._tasks import TaskController

API_HANDLERS: list[type] = [
    AuthController,
    MeController,
    UserController,
    TaskController,
    TaskProposalController,
    ProposalController,
]
