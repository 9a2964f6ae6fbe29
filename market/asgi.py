"""The ASGI entry point for servers: `uvicorn market.asgi:app`."""

from __future__ import annotations

from market.app import create_app

app = create_app()
