"""Two-way review (双向点评) pages: the published yearly aggregates, and each reviewer's form.

The lead organisation rates a closed project's posting unit and the committee (`/org/projects/{id}/up-reviews`);
the ordering secretary rates the committee's service and the providing organisation the community's cooperation
(`/orders/{id}/up-reviews`). A form page lists what the viewer may rate now (the service's `due_on_*`, which the
write asks again) with one small form per unit; a refusal comes back on it beside its fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from market.kernel.clock import local
from market.kernel.errors import ApplicationError, Forbidden
from market.models import ReviewedUnit, UpReview, User
from market.pages._base import (
    ORG,
    PUBLIC,
    SIGNED_IN,
    FormState,
    Query,
    UserRequest,
    attempt,
    form_values,
    int_or_none,
    lang_of,
    page,
    parse_form,
    refused,
    say,
    see_other,
)
from market.params import Db, Now, PathId
from market.schemas._reviews import UpReviewCreate
from market.services import projects, resources, reviews

FIELDS = ("unit", "clarity", "timeliness", "fairness", "comment")
SCORES = ("clarity", "timeliness", "fairness")


@get("/up-reviews", **PUBLIC)
async def published(db_session: Db, clock: Now, year: Query = None) -> Template:
    """Every unit's yearly aggregate with at least three ratings (this year unless another is asked for)."""
    this_year = local(clock.now()).year
    chosen = int_or_none(year, low=2000, high=2100) or this_year
    return page(
        "market/reviews/year.html.j2",
        None,
        year=chosen,
        years=list(range(this_year, max(this_year - 5, 1999), -1)),
        minimum=reviews.MINIMUM,
        units=await reviews.aggregates(db_session, chosen),
    )


def _forms(due: reviews.Due, form: FormState | None) -> dict[ReviewedUnit, FormState]:
    """One form per unit due; the one just posted keeps its values and messages."""
    posted = form.values.get("unit") if form is not None else None
    return {u: form if form is not None and posted == u else FormState() for u in due.due}


def _review_page(
    viewer: User, subject: str, action: str, back: str, due: reviews.Due, form: FormState | None
) -> Template:
    forms = _forms(due, form)
    general = form.general if form is not None and form.values.get("unit") not in forms else None
    return page(
        "market/reviews/form.html.j2",
        viewer,
        status_code=422 if form is not None and form.invalid else 200,
        subject=subject,
        action=action,
        back=back,
        due=due,
        forms=forms,
        general=general,
    )


async def _project_form(db: AsyncSession, viewer: User, project_id: int, form: FormState | None = None) -> Template:
    project = await projects.get_project(db, project_id)
    if not reviews.project_units(viewer, project):
        # Only the lead organisation rates anything of a project; its partners and others have no form here.
        raise Forbidden("error.up_review_not_yours")
    due = await reviews.due_on_project(db, viewer, project)
    url = f"/org/projects/{project_id}"
    return _review_page(viewer, project.title, f"{url}/up-reviews", url, due, form)


async def _order_form(db: AsyncSession, viewer: User, order_id: int, form: FormState | None = None) -> Template:
    order = await resources.get_order(db, order_id, viewer=viewer)
    due = await reviews.due_on_order(db, viewer, order)
    url = f"/orders/{order_id}"
    return _review_page(viewer, order.offering.title, f"{url}/up-reviews", url, due, form)


async def _give(
    request: UserRequest,
    db: AsyncSession,
    write: Callable[[UpReviewCreate], Awaitable[UpReview]],
    again: Callable[[FormState], Awaitable[Template]],
    done: str,
) -> Template | Redirect:
    """Parse the form, rate in one transaction; a refusal (403, 409) comes back on the form page."""
    lang = lang_of(request)
    values = await form_values(request)
    data = parse_form({k: values.get(k, "") for k in FIELDS}, UpReviewCreate, lang, ints=SCORES)
    if isinstance(data, FormState):
        return await again(FormState(values, data.errors, data.general))
    # Not the viewer's to rate (403) or nothing to rate (404) is the error page; a conflict comes back on the form.
    given = await attempt(db, lambda: write(data), raising=(403, 404))
    if isinstance(given, ApplicationError):
        return await again(refused(values, given, lang, FIELDS))
    say(request, "reviews.given")
    return see_other(done)


@get("/org/projects/{project_id:int}/up-reviews", **ORG)
async def project_review_form(request: UserRequest, db_session: Db, project_id: PathId) -> Template:
    """The lead organisation's ratings of a closed project's posting unit and of the committee."""
    return await _project_form(db_session, request.user, project_id)


@post("/org/projects/{project_id:int}/up-reviews", **ORG)
async def review_project(request: UserRequest, db_session: Db, clock: Now, project_id: PathId) -> Template | Redirect:
    """Rate one unit: `unit`, `clarity`, `timeliness`, `fairness` (1–5), `comment`."""
    user = request.user
    return await _give(
        request,
        db_session,
        lambda data: reviews.review_project(db_session, project_id, data, actor=user, now=clock.now()),
        lambda form: _project_form(db_session, user, project_id, form),
        f"/org/projects/{project_id}/up-reviews",
    )


@get("/orders/{order_id:int}/up-reviews", **SIGNED_IN)
async def order_review_form(request: UserRequest, db_session: Db, order_id: PathId) -> Template:
    """The ordering secretary's rating of the committee's service, the provider's of the community's cooperation."""
    return await _order_form(db_session, request.user, order_id)


@post("/orders/{order_id:int}/up-reviews", **SIGNED_IN)
async def review_order(request: UserRequest, db_session: Db, clock: Now, order_id: PathId) -> Template | Redirect:
    """Rate one unit: `unit`, `clarity`, `timeliness`, `fairness` (1–5), `comment`."""
    user = request.user
    return await _give(
        request,
        db_session,
        lambda data: reviews.review_order(db_session, order_id, data, actor=user, now=clock.now()),
        lambda form: _order_form(db_session, user, order_id, form),
        f"/orders/{order_id}/up-reviews",
    )


UP_REVIEW_PAGES: list[ControllerRouterHandler] = [
    published,
    project_review_form,
    review_project,
    order_review_form,
    review_order,
]
