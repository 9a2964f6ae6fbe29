"""The committee's administration pages: accounts (the committee creates every account) and organisations
(registered with their credit code, suspended or reactivated after a confirmation step)."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from sqlalchemy.ext.asyncio import AsyncSession

from alliances import services as alliance_services
from alliances.models import OrgStatus, ServiceCategory
from alliances.schemas import OrganizationCreate, OrganizationUpdate
from alliances.services import OrganizationFilter
from market.i18n import label, t
from market.kernel.clock import Clock, local_date
from market.kernel.errors import ApplicationError, InvalidInput
from market.models import Role, User
from market.pages._base import (
    COMMITTEE,
    PAGE_SIZE,
    FormState,
    PageNo,
    Paging,
    Query,
    UserRequest,
    attempt,
    confirm_page,
    confirmed,
    enum_or_none,
    form_page,
    form_values,
    lang_of,
    page_number,
    parse_form,
    refused,
    say,
    see_other,
    text_or_none,
)
from market.params import Db, Now, PathId
from market.passwords import MAX_LENGTH, MIN_LENGTH, password_fault
from market.schemas._accounts import UserCreate
from market.services import accounts, bars

# Accounts ----------------------------------------------------------------------------------------------------

ACCOUNT_FIELDS = ("username", "password", "role", "display_name", "organization_id", "community_id")
# Left blank, these mean "none" rather than an empty value.
OPTIONAL_ACCOUNT_FIELDS = ("display_name", "organization_id", "community_id")


async def _accounts_page(
    db: AsyncSession, viewer: User, form: FormState, role: str | None = None, page_: str | None = None
) -> Template:
    number = page_number(page_)
    chosen = enum_or_none(Role, role)
    total, users = await accounts.list_users(db, role=chosen, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE)
    return form_page(
        "market/committee/accounts.html.j2",
        viewer,
        form,
        users=users,
        paging=Paging(number, total),
        filters={"role": chosen or ""},
        roles=list(Role),
        organizations=await alliance_services.list_organizations(db, OrganizationFilter(), limit=1000, offset=0),
        communities=await alliance_services.list_communities(db),
    )


@get("/committee/accounts", **COMMITTEE)
async def account_list(request: UserRequest, db_session: Db, role: Query = None, page_: PageNo = None) -> Template:
    """Every account (username, role, organisation or community), and the form to create one."""
    return await _accounts_page(db_session, request.user, FormState(), role, page_)


@post("/committee/accounts", **COMMITTEE)
async def create_account(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Create an account; the organisation or community must fit the role, as the API requires."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    given = {k: v for k, v in values.items() if k in ACCOUNT_FIELDS and (k not in OPTIONAL_ACCOUNT_FIELDS or v.strip())}
    kept = {k: v for k, v in values.items() if k != "password"}
    # The password rule's own message (too short, too common, the username) rather than the schema's "not accepted".
    typed = values.get("password", "")
    fault = password_fault(typed, values.get("username", "")) if typed else None
    found = {"password": t(fault, lang, n=MIN_LENGTH, max=MAX_LENGTH)} if fault else None
    data = parse_form(given, UserCreate, lang, found=found)
    if isinstance(data, FormState):
        data.values = kept
        return await _accounts_page(db_session, viewer, data)
    user = await attempt(db_session, lambda: accounts.create_user(db_session, data, actor=viewer, now=clock.now()))
    if isinstance(user, ApplicationError):
        return await _accounts_page(db_session, viewer, refused(kept, user, lang, ACCOUNT_FIELDS))
    say(request, "committee.accounts.created", name=user.username, role=label("role", user.role, lang))
    return see_other("/committee/accounts")


async def _reset_page(db: AsyncSession, viewer: User, user_id: int, form: FormState) -> Template:
    account = await accounts.get_user(db, user_id)
    return form_page("market/committee/reset_password.html.j2", viewer, form, account=account, max_length=MAX_LENGTH)


@get("/committee/accounts/{user_id:int}/password", **COMMITTEE)
async def reset_password_form(request: UserRequest, db_session: Db, user_id: PathId) -> Template:
    """The form giving an account a temporary password, which its owner must change at their next sign-in."""
    return await _reset_page(db_session, request.user, user_id, FormState())


@post("/committee/accounts/{user_id:int}/password", **COMMITTEE)
async def reset_password(request: UserRequest, db_session: Db, clock: Now, user_id: PathId) -> Template | Redirect:
    """Reset an account's password, as `POST /api/v1/users/{id}/password` does; refusals come back beside the field."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    temporary = values.get("password", "")
    account = await accounts.get_user(db_session, user_id)
    fault = password_fault(temporary, account.username) if temporary else "form.required"
    if fault is not None:
        message = t(fault, lang, n=MIN_LENGTH, max=MAX_LENGTH)
        return await _reset_page(db_session, viewer, user_id, FormState({}, {"password": message}))
    done = await attempt(
        db_session, lambda: accounts.reset_password(db_session, user_id, temporary, actor=viewer, now=clock.now())
    )
    if isinstance(done, ApplicationError):
        return await _reset_page(db_session, viewer, user_id, refused({}, done, lang, ("password",)))
    say(request, "committee.accounts.reset_done", name=account.username)
    return see_other("/committee/accounts")


# Organisations -----------------------------------------------------------------------------------------------

ORG_FIELDS = ("name", "credit_code", "alliance_id", "categories", "resident", "description", "contact_phone")


async def _organizations_page(
    db: AsyncSession,
    viewer: User,
    clock: Clock,
    form: FormState,
    *,
    chosen: list[str] | None = None,
    status: str | None = None,
    q: str | None = None,
    page_: str | None = None,
) -> Template:
    number = page_number(page_)
    where = OrganizationFilter(status=enum_or_none(OrgStatus, status), q=text_or_none(q))
    rows = await alliance_services.list_organizations(db, where, limit=PAGE_SIZE + 1, offset=(number - 1) * PAGE_SIZE)
    return form_page(
        "market/committee/organizations.html.j2",
        viewer,
        form,
        organizations=rows[:PAGE_SIZE],
        on_watch_list=await bars.watched(db, [o.id for o in rows[:PAGE_SIZE]]),
        page_number=number,
        has_next=len(rows) > PAGE_SIZE,
        filters={"status": where.status or "", "q": where.q or ""},
        statuses=list(OrgStatus),
        alliances=[row.alliance for row in await alliance_services.list_alliances(db, today=local_date(clock.now()))],
        categories=list(ServiceCategory),
        chosen=chosen or [],
    )


@get("/committee/organizations", **COMMITTEE)
async def organization_list(
    request: UserRequest, db_session: Db, clock: Now, status: Query = None, q: Query = None, page_: PageNo = None
) -> Template:
    """The register with each organisation's status, the form to register one, and suspend / reactivate."""
    return await _organizations_page(db_session, request.user, clock, FormState(), status=status, q=q, page_=page_)


@post("/committee/organizations", **COMMITTEE)
async def create_organization(request: UserRequest, db_session: Db, clock: Now) -> Template | Redirect:
    """Register an organisation; a credit code failing GB 32100-2015 comes back beside its field."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    chosen = [c for c in (await request.form()).getall("categories", []) if isinstance(c, str)]
    given: dict[str, Any] = {k: v for k, v in values.items() if k in ORG_FIELDS}
    given["categories"] = chosen
    given["resident"] = values.get("resident") == "yes"
    data = parse_form(given, OrganizationCreate, lang, ints=("alliance_id",))
    if isinstance(data, FormState):
        data.values = values
        return await _organizations_page(db_session, viewer, clock, data, chosen=chosen)
    org = await attempt(
        db_session, lambda: alliance_services.create_organization(db_session, data, actor=viewer, now=clock.now())
    )
    if isinstance(org, ApplicationError):
        state = refused(values, org, lang, ORG_FIELDS)
        return await _organizations_page(db_session, viewer, clock, state, chosen=chosen)
    say(request, "committee.orgs.created", name=org.name)
    return see_other("/committee/organizations")


@post("/committee/organizations/{org_id:int}/status", **COMMITTEE)
async def change_organization_status(
    request: UserRequest, db_session: Db, clock: Now, org_id: PathId
) -> Template | Redirect:
    """Suspend (it can no longer claim) or reactivate an organisation: the confirmation step asks why, and only a
    confirmed post with a reason changes anything."""
    lang, viewer = lang_of(request), request.user
    values = await form_values(request)
    target = enum_or_none(OrgStatus, values.get("status"))
    if target is None:
        raise InvalidInput("error.no_such_status", field="status")
    org = await alliance_services.get_organization(db_session, org_id)
    verb = "suspend" if target is OrgStatus.SUSPENDED else "reactivate"
    name = org.name
    # Read now: a refused write rolls back and expires the row, and the step is shown again after it.
    facts = [
        (t("committee.orgs.name", lang), name),
        (t("org.credit_code", lang), org.credit_code),
        (t("common.alliance", lang), label("alliance", org.alliance.code, lang)),
        (t("common.status", lang), label("org_status", org.status, lang)),
    ]

    def step(form: FormState | None = None) -> Template:
        return confirm_page(
            viewer,
            title=t(f"committee.orgs.{verb}_title", lang, name=name),
            warning=t(f"committee.orgs.{verb}_warning", lang),
            action=f"/committee/organizations/{org_id}/status",
            values=values,
            back="/committee/organizations",
            button=t(f"committee.orgs.{verb}_button", lang),
            facts=facts,
            reason=t(f"committee.orgs.{verb}_reason", lang),
            reason_help=t("committee.orgs.status_reason_help", lang),
            form=form,
        )

    if not confirmed(values):
        return step()
    # No words, no reason: left out, so that the service says it is missing, in the words the API's refusal uses.
    reason = values.get("reason", "")
    asked = {"status": target.value} | ({"reason": reason} if reason.strip() else {})
    data = parse_form(asked, OrganizationUpdate, lang)
    if isinstance(data, FormState):
        return step(data)
    done = await attempt(
        db_session,
        lambda: alliance_services.update_organization(db_session, org_id, data, actor=viewer, now=clock.now()),
    )
    if isinstance(done, ApplicationError):
        return step(refused(values, done, lang, ("reason",)))
    say(request, f"committee.orgs.{verb}_done", name=name)
    return see_other("/committee/organizations")


ADMIN_PAGES: list[ControllerRouterHandler] = [
    account_list,
    create_account,
    reset_password_form,
    reset_password,
    organization_list,
    create_organization,
    change_organization_status,
]
