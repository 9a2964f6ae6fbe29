"""The demo district (`jiebang demo`): a year of the marketplace, played through the real API.

Every record is made the way users would make it, by HTTP requests against an in-process app whose
clock the loader moves through the year, so the demo obeys every rule and leaves a full audit trail.
"""

from __future__ import annotations

from market.demo._loader import DemoReport, load_demo

__all__ = ["DemoReport", "load_demo"]
