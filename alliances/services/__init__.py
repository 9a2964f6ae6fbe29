"""Queries and rules for alliances, organisations, applications, streets, communities and the rotating chair.

One module per thing: `_alliances`, `_places` (streets and communities), `_organizations`, `_applications` and
`_chair`, with the checks registering and applying share in `_checks`; callers import from here. Every function that
changes state expects to run inside `writing(session)` and writes its audit entry there, with the kernel's recorder.
"""

from __future__ import annotations

from alliances.services._alliances import AllianceRow, get_alliance, list_alliances
from alliances.services._applications import (
    APPLICATION_TRANSITIONS,
    approve_application,
    get_application,
    list_applications,
    reject_application,
    submit_application,
)
from alliances.services._chair import (
    SCHEDULE_ENTITY_ID,
    create_activity,
    list_activities,
    replace_schedule,
    requested_terms,
    schedule,
    term_on,
)
from alliances.services._organizations import (
    ORG_TRANSITIONS,
    OrganizationFilter,
    create_organization,
    get_organization,
    list_organizations,
    update_organization,
)
from alliances.services._places import create_community, create_street, list_communities, list_streets

__all__ = [
    "APPLICATION_TRANSITIONS",
    "ORG_TRANSITIONS",
    "SCHEDULE_ENTITY_ID",
    "AllianceRow",
    "OrganizationFilter",
    "approve_application",
    "create_activity",
    "create_community",
    "create_organization",
    "create_street",
    "get_alliance",
    "get_application",
    "get_organization",
    "list_activities",
    "list_alliances",
    "list_applications",
    "list_communities",
    "list_organizations",
    "list_streets",
    "reject_application",
    "replace_schedule",
    "requested_terms",
    "schedule",
    "submit_application",
    "term_on",
    "update_organization",
]
