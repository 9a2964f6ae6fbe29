"""Up-reviews (双向点评): rating the units above, what is due, and the published yearly aggregates."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import JSONBody, QueryParameter

from market.kernel.clock import local
from market.kernel.db import writing
from market.models import UpReview, User
from market.params import Db, Now, PathId
from market.schemas._reviews import UnitAggregate, UpReviewCreate, UpReviewGiven, UpReviewsDue, UpReviewYear
from market.services import projects, resources, reviews

Year = Annotated[int | None, QueryParameter(ge=2000, le=2100, description="the calendar year (Asia/Shanghai)")]


def given(r: UpReview) -> UpReviewGiven:
    """The review as its author sees it back: no author, no time."""
    return UpReviewGiven(r.unit, r.clarity, r.timeliness, r.fairness, r.comment)


def due(d: reviews.Due) -> UpReviewsDue:
    """What the viewer may still rate, and what is rated already."""
    return UpReviewsDue(due=d.due, given=d.given)


def aggregate(a: reviews.Aggregate) -> UnitAggregate:
    """A unit's yearly aggregate."""
    return UnitAggregate(
        unit=a.unit,
        community_id=a.community_id,
        community_name=a.community_name,
        posting_unit=a.posting_unit,
        year=a.year,
        count=a.count,
        clarity=a.clarity,
        timeliness=a.timeliness,
        fairness=a.fairness,
        comments=a.comments,
    )


class ProjectUpReviewController(Controller):
    """A closed project's lead organisation rates its posting unit and the committee."""

    path = "/projects/{project_id:int}/up-reviews"
    tags = ["reviews"]

    @get("/due")
    async def due(self, request: Request[User, Any, Any], db_session: Db, project_id: PathId) -> UpReviewsDue:
        """The units the viewer may rate for this project now (none unless the viewer leads it and it is closed)."""
        project = await projects.get_project(db_session, project_id)
        return due(await reviews.due_on_project(db_session, request.user, project))

    @post("/")
    async def give(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        project_id: PathId,
        data: JSONBody[UpReviewCreate],
    ) -> UpReviewGiven:
        """Rate the posting unit or the committee's handling (clarity, timeliness, fairness, 1–5), once each.

        Only the lead organisation, only once the project is closed (409 before; 409 a second time). Anonymous to
        the unit rated: published only in its yearly aggregate, once three exist.
        """
        async with writing(db_session):
            review = await reviews.review_project(db_session, project_id, data, actor=request.user, now=clock.now())
        return given(review)


class OrderUpReviewController(Controller):
    """A delivered order's secretary rates the committee's service; its providing organisation, the community."""

    path = "/orders/{order_id:int}/up-reviews"
    tags = ["reviews"]

    @get("/due")
    async def due(self, request: Request[User, Any, Any], db_session: Db, order_id: PathId) -> UpReviewsDue:
        """The units the viewer may rate for this order now."""
        order = await resources.get_order(db_session, order_id, viewer=request.user)
        return due(await reviews.due_on_order(db_session, request.user, order))

    @post("/")
    async def give(
        self,
        request: Request[User, Any, Any],
        db_session: Db,
        clock: Now,
        order_id: PathId,
        data: JSONBody[UpReviewCreate],
    ) -> UpReviewGiven:
        """Rate the committee's service (the ordering secretary) or the community's cooperation (the providing
        organisation), once each, when the order has been delivered (409 before, and a second time)."""
        async with writing(db_session):
            review = await reviews.review_order(db_session, order_id, data, actor=request.user, now=clock.now())
        return given(review)


class UpReviewController(Controller):
    """The published up-reviews: each unit's yearly aggregate, once it has three."""

    path = "/up-reviews"
    tags = ["reviews"]

    @get("/", exclude_from_auth=True)
    async def year(self, db_session: Db, clock: Now, year: Year = None) -> UpReviewYear:
        """Every unit's aggregate for the year (default: this year): count, mean per aspect, comments in text order.

        A unit with fewer than three reviews that year is not listed; no author or date is ever shown.
        """
        chosen = year or local(clock.now()).year
        found = await reviews.aggregates(db_session, chosen)
        return UpReviewYear(year=chosen, minimum=reviews.MINIMUM, units=[aggregate(a) for a in found])
