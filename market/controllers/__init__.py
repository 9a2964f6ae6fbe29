"""Every JSON API controller, mounted under /api/v1 by the app."""

from __future__ import annotations

from market.controllers._accounts import AuthController, MeController, UserController

API_HANDLERS: list[type] = [
    AuthController,
    MeController,
    UserController,
]
