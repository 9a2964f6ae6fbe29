"""The proposal form an organisation fills in to claim a task and to edit its draft: money typed in yuan, the
partners to invite, and the service's field names mapped to the page's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import OrgStatus
from market.i18n import t
from market.models import Organization, Task
from market.pages._base import FormState, form_values, int_or_none, parse_form, yuan_figure
from market.schemas._proposals import Proposal as ProposalView
from market.schemas._proposals import ProposalCreate

TEXT_FIELDS = ("strengths", "work_plan", "expected_results")
YUAN_FIELD = "requested_budget_yuan"
PARTNERS_FIELD = "partner_ids"
PROPOSAL_FIELDS = (*TEXT_FIELDS, YUAN_FIELD, PARTNERS_FIELD)
MAX_PARTNERS = 10
# Services name some fields as the API does; the page's inputs for them are called otherwise.
FIELD_ON_PAGE = {"requested_budget_fen": YUAN_FIELD, "file": "data"}


# Money typed in yuan ------------------------------------------------------------------------------------------

_YUAN = re.compile(r"^\d{1,10}(\.\d{1,2})?$")


def yuan_to_fen(raw: str) -> int | None:
    """ "40000", "40,000.5", "¥40000元" → fen; None for anything else (or for nothing)."""
    cleaned = raw.strip().replace(",", "").replace("\uff0c", "").lstrip("¥\uffe5").removesuffix("元").strip()
    if not _YUAN.match(cleaned):
        return None
    fen = int(Decimal(cleaned) * 100)
    return fen if fen >= 1 else None


async def partner_choices(
    db: AsyncSession, task: Task, lead_org_id: int, current: Sequence[Organization] = ()
) -> list[Organization]:
    """Organisations that may be invited: active, in one of the task's alliances, not the lead; current partners
    stay listed even if no longer eligible, so that saving the form never drops one silently."""
    if not task.allow_joint:
        return []
    found: dict[int, Organization] = {}
    for alliance in task.alliances:
        where = alliance_services.OrganizationFilter(alliance=alliance.code, status=OrgStatus.ACTIVE)
        for org in await alliance_services.list_organizations(db, where, limit=500, offset=0):
            found[org.id] = org
    for org in current:
        found[org.id] = org
    found.pop(lead_org_id, None)
    return sorted(found.values(), key=lambda o: (o.alliance.code, o.name))


# The proposal form (claim and edit) ---------------------------------------------------------------------------


async def read_proposal_form(request: Request[Any, Any, Any]) -> tuple[dict[str, str], list[str]]:
    """The form's single values (text with browser line ends made plain) and the chosen partners."""
    values = await form_values(request)
    for name in TEXT_FIELDS:
        if name in values:
            values[name] = values[name].replace("\r\n", "\n")
    chosen = [v for v in (await request.form()).getall(PARTNERS_FIELD, []) if isinstance(v, str)]
    values.pop(PARTNERS_FIELD, None)
    return values, chosen


def parse_proposal(values: dict[str, str], chosen: list[str], lang: str) -> ProposalCreate | FormState:
    """The form as the API's ProposalCreate (budget converted from yuan to fen), or every field that was refused."""
    errors: dict[str, str] = {}
    raw_yuan = values.get(YUAN_FIELD, "")
    fen = yuan_to_fen(raw_yuan)
    if fen is None:
        errors[YUAN_FIELD] = t("form.required" if not raw_yuan.strip() else "org.claim.yuan_invalid", lang)
    partner_ids: list[int] = []
    for raw in chosen:
        org_id = int_or_none(raw)
        if org_id is None:
            errors[PARTNERS_FIELD] = t("form.invalid", lang)
            break
        partner_ids.append(org_id)
    partner_ids = list(dict.fromkeys(partner_ids))
    if len(partner_ids) > MAX_PARTNERS:
        errors[PARTNERS_FIELD] = t("org.claim.too_many_partners", lang, n=MAX_PARTNERS)
    fields = {name: values.get(name, "") for name in TEXT_FIELDS} | {"requested_budget_fen": str(fen or "")}
    parsed = parse_form(fields, ProposalCreate, lang, ints=("requested_budget_fen",))
    if isinstance(parsed, FormState):
        # The page's own reading of the yuan figure and the partners says more than the struct's.
        errors = {FIELD_ON_PAGE.get(k, k): v for k, v in parsed.errors.items()} | errors
        return FormState(values, errors, parsed.general)
    if errors:
        return FormState(values, errors)
    parsed.partner_ids = partner_ids
    return parsed


def proposal_form_values(view: ProposalView) -> dict[str, str]:
    """A saved proposal as the edit form shows it."""
    return {
        "strengths": view.strengths,
        "work_plan": view.work_plan,
        "expected_results": view.expected_results,
        YUAN_FIELD: yuan_figure(view.requested_budget_fen),
    }
