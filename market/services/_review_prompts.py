"""When an up-review (双向点评) becomes due, its reviewer is told: one call from the write that makes it due.

Apart from the reviews' service so that the project and order services, which it stands above, can call it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from market import notify
from market.models import Project, ServiceOrder


async def up_reviews_due_on_project(db: AsyncSession, project: Project) -> None:
    """The lead organisation may now rate the posting unit and the committee's handling."""
    await notify.to_orgs(
        db,
        [project.organization_id],
        "up_review.project_due",
        {"project": project.title},
        link=f"/org/projects/{project.id}",
    )


async def up_reviews_due_on_order(db: AsyncSession, order: ServiceOrder) -> None:
    """The ordering secretary may now rate the committee's service; an organisation that provided it, the
    community's cooperation."""
    params: notify.Params = {"service": order.offering.title}
    link = f"/orders/{order.id}"
    await notify.to_users(db, [order.ordered_by_id], "up_review.order_due", params, link=link)
    if order.offering.organization_id is not None:
        await notify.to_orgs(db, [order.offering.organization_id], "up_review.order_due_provider", params, link=link)
