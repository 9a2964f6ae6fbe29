"""The ASGI entry point for servers: `uvicorn market.asgi:app`."""

from __future__ import annotations

from market.app import create_app
from market.serving import configure_access_log
from market.settings import get_settings

if get_settings().access_log:
    configure_access_log()
app = create_app()
