"""What registering an organisation and applying to the register both check: names, credit codes, categories."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from alliances.credit_code import InvalidCreditCode, normalize_credit_code
from alliances.models import (
    Alliance,
    Organization,
    ServiceCategory,
)
from market.kernel.errors import InvalidInput, StateConflict


def clean_name(raw: str, field: str = "name") -> str:
    """A name stripped of surrounding blanks, or 422 naming the field when nothing is left."""
    name = raw.strip()
    if not name:
        raise InvalidInput("error.name_blank", field=field)
    return name


def checked_credit_code(raw: str) -> str:
    """The credit code normalised, or 422 naming `credit_code` with what is wrong (GB 32100-2015)."""
    try:
        return normalize_credit_code(raw)
    except InvalidCreditCode as exc:
        raise InvalidInput(exc.key, field="credit_code", **exc.params) from exc


def checked_categories(values: Sequence[ServiceCategory]) -> list[str]:
    """The categories as stored, or 422 when one repeats."""
    if len(set(values)) != len(values):
        raise InvalidInput("error.categories_must_not_repeat", field="categories")
    return [str(value) for value in values]


async def alliance_by_id(db: AsyncSession, alliance_id: int) -> Alliance:
    """The alliance a body names, or 422 naming `alliance_id`."""
    alliance = await db.get(Alliance, alliance_id)
    if alliance is None:
        raise InvalidInput("error.no_such_alliance", field="alliance_id")
    return alliance


async def ensure_unregistered(db: AsyncSession, name: str, credit_code: str) -> None:
    """409 if an organisation already has this name or credit code (the database enforces it too)."""
    if await db.scalar(select(func.count()).where(Organization.name == name)):
        raise StateConflict("error.organisation_name_registered", field="name")
    if await db.scalar(select(func.count()).where(Organization.credit_code == credit_code)):
        raise StateConflict("error.organisation_credit_code_registered", field="credit_code")
