"""Request and response bodies for alliances, organisations, streets, communities and the chair rotation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from alliances import models, phones
from alliances.models import ApplicationStatus, OrgStatus, ServiceCategory
from market.kernel.rules import Day, Reason, check_rules
from market.kernel.text import LINE, TEXT

# The control-character patterns (`market.kernel.text`) and the rules a reason or a date obeys
# (`market.kernel.rules`) are the kernel's, shared with the market.
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=LINE)]
ShortName = Annotated[str, Meta(min_length=1, max_length=50, pattern=LINE)]
Place = Annotated[str, Meta(max_length=100, pattern=LINE)]
Text = Annotated[str, Meta(max_length=20_000, pattern=TEXT)]
Id = Annotated[int, Meta(ge=1, le=2**53)]
AllianceCode = Annotated[str, Meta(min_length=1, max_length=20, pattern=LINE)]
# Checked (and normalised) by alliances.credit_code, which says what is wrong; the schema only bounds it.
# The document states the code's form (18 characters of the GB 32100 set); its check character only the service tests.
RawCreditCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        pattern=LINE,
        extra_json_schema={"extra": {"pattern": "^[0-9A-HJ-NP-RTUW-Y]{18}$", "min_length": 18, "max_length": 18}},
    ),
]
# A mainland mobile number (手机号).
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
Mobile = Annotated[str, Meta(pattern=MOBILE_PATTERN)]
# An organisation's phone: empty, a mobile or a landline with area code and extension.
Phone = Annotated[str, Meta(max_length=20, pattern=r"^(\+?[0-9][0-9 ()-]{4,19})?$")]
Categories = Annotated[list[ServiceCategory], Meta(min_length=1, max_length=len(ServiceCategory))]


class Schema(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=False, rename=None):
    """Base for every request and response body."""

    def __post_init__(self) -> None:
        check_rules(self)


def mask_mobile(phone: str) -> str:
    """A mobile number as the public sees it (138****0000), however it was written (+86, spaces, dashes);
    other numbers are an organisation's landline, and public."""
    number = phones.normalise(phone)
    return phones.mask(number) if number is not None else phone


# --- alliances -------------------------------------------------------------------------------------------------


class Alliance(Schema):
    """One of the four alliances, with its count of active member organisations."""

    id: int
    code: str
    name: str
    leading_unit: str
    position: int
    organization_count: int
    chairing: bool

    @classmethod
    def of(cls, alliance: models.Alliance, *, organization_count: int, chairing: bool) -> Alliance:
        """From the model and what was counted alongside it."""
        return cls(
            id=alliance.id,
            code=alliance.code,
            name=alliance.name,
            leading_unit=alliance.leading_unit,
            position=alliance.position,
            organization_count=organization_count,
            chairing=chairing,
        )


class AllianceDetail(Schema):
    """One alliance with its active organisations."""

    id: int
    code: str
    name: str
    leading_unit: str
    position: int
    organization_count: int
    chairing: bool
    organizations: list[Organization]


# --- streets and communities -----------------------------------------------------------------------------------


class StreetCreate(Schema):
    """A new street (街道)."""

    name: ShortName


class Street(Schema):
    """A street."""

    id: int
    name: str

    @classmethod
    def of(cls, street: models.Street) -> Street:
        """From the model."""
        return cls(id=street.id, name=street.name)


class CommunityCreate(Schema):
    """A new community (社区) in a street."""

    name: ShortName
    street_id: Id


class Community(Schema):
    """A community and the street it is in."""

    id: int
    name: str
    street_id: int
    street_name: str

    @classmethod
    def of(cls, community: models.Community) -> Community:
        """From the model (its street is loaded with it)."""
        return cls(
            id=community.id, name=community.name, street_id=community.street_id, street_name=community.street.name
        )


# --- organisations ---------------------------------------------------------------------------------------------


class OrganizationCreate(Schema):
    """A social organisation registered by the committee."""

    name: Name
    credit_code: RawCreditCode
    alliance_id: Id
    categories: Categories
    resident: bool = False
    description: Text = ""
    contact_phone: Phone = ""


class OrganizationUpdate(Schema):
    """A partial update: only the fields sent change."""

    description: Text | UnsetType = UNSET
    categories: Categories | UnsetType = UNSET
    resident: bool | UnsetType = UNSET
    contact_phone: Phone | UnsetType = UNSET
    status: OrgStatus | UnsetType = UNSET
    # Why it is suspended (or reactivated): required with a change of status, recorded with it in the audit log.
    reason: Reason | UnsetType = UNSET


class Organization(Schema):
    """A social organisation as the public sees it (mobile numbers masked unless the committee asks)."""

    id: int
    name: str
    credit_code: str
    alliance_id: int
    alliance_code: str
    alliance_name: str
    categories: list[str]
    resident: bool
    status: OrgStatus
    description: str
    contact_phone: str
    created_at: datetime

    @classmethod
    def of(cls, org: models.Organization, *, reveal_phone: bool = False) -> Organization:
        """From the model (its alliance is loaded with it)."""
        return cls(
            id=org.id,
            name=org.name,
            credit_code=org.credit_code,
            alliance_id=org.alliance_id,
            alliance_code=org.alliance.code,
            alliance_name=org.alliance.name,
            categories=list(org.categories),
            resident=org.resident,
            status=OrgStatus(org.status),
            description=org.description,
            contact_phone=org.contact_phone if reveal_phone else mask_mobile(org.contact_phone),
            created_at=org.created_at,
        )


# --- applications ----------------------------------------------------------------------------------------------


class ApplicationCreate(Schema):
    """A public application to join the park's register (入驻申请); no account needed."""

    name: Name
    credit_code: RawCreditCode
    alliance_id: Id
    categories: Categories
    contact_name: ShortName
    contact_phone: Mobile
    resident: bool = False
    description: Text = ""


class ApplicationReject(Schema):
    """Why an application is rejected (told to the applicant)."""

    reason: Reason


class Application(Schema):
    """An application and what became of it."""

    id: int
    name: str
    credit_code: str
    alliance_id: int
    categories: list[str]
    resident: bool
    description: str
    contact_name: str
    contact_phone: str
    status: ApplicationStatus
    decision_reason: str
    organization_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, app: models.OrganizationApplication) -> Application:
        """From the model."""
        return cls(
            id=app.id,
            name=app.name,
            credit_code=app.credit_code,
            alliance_id=app.alliance_id,
            categories=list(app.categories),
            resident=app.resident,
            description=app.description,
            contact_name=app.contact_name,
            contact_phone=app.contact_phone,
            status=ApplicationStatus(app.status),
            decision_reason=app.decision_reason,
            organization_id=app.organization_id,
            created_at=app.created_at,
        )


# --- the rotating chair ----------------------------------------------------------------------------------------


class ChairTermCreate(Schema):
    """One term of an explicit schedule, both dates inclusive."""

    alliance_code: AllianceCode
    starts_on: Day
    ends_on: Day


class Rotation(Schema):
    """A generated schedule: `count` terms of `months_per_term` months cycling through `order`."""

    order: Annotated[list[AllianceCode], Meta(min_length=1, max_length=20)]
    first_day: Day
    months_per_term: Annotated[int, Meta(ge=1, le=60)]
    count: Annotated[int, Meta(ge=1, le=240)]


class ChairScheduleReplace(Schema):
    """The whole new schedule: either explicit `terms` or a `rotation`, not both."""

    terms: Annotated[list[ChairTermCreate], Meta(min_length=1, max_length=240)] | UnsetType = UNSET
    rotation: Rotation | UnsetType = UNSET


class ChairTerm(Schema):
    """One alliance's term as chair (轮值主席), both dates inclusive."""

    id: int
    alliance_id: int
    alliance_code: str
    alliance_name: str
    starts_on: date
    ends_on: date

    @classmethod
    def of(cls, term: models.ChairTerm) -> ChairTerm:
        """From the model (its alliance is loaded with it)."""
        return cls(
            id=term.id,
            alliance_id=term.alliance_id,
            alliance_code=term.alliance.code,
            alliance_name=term.alliance.name,
            starts_on=term.starts_on,
            ends_on=term.ends_on,
        )


class ChairSchedule(Schema):
    """Every term in date order, and who chairs today (in Asia/Shanghai)."""

    local_date: date
    today: ChairTerm | None
    terms: list[ChairTerm]


class ChairActivityCreate(Schema):
    """A joint activity (联合主题党日 etc.) on a day some term covers."""

    title: Name
    held_on: Day
    place: Place = ""
    description: Text = ""


class ChairActivity(Schema):
    """An activity on the calendar, with the alliance chairing when it is held."""

    id: int
    title: str
    held_on: date
    place: str
    description: str
    term_id: int
    alliance_code: str
    alliance_name: str

    @classmethod
    def of(cls, activity: models.ChairActivity) -> ChairActivity:
        """From the model (its term and the term's alliance are loaded with it)."""
        return cls(
            id=activity.id,
            title=activity.title,
            held_on=activity.held_on,
            place=activity.place,
            description=activity.description,
            term_id=activity.term_id,
            alliance_code=activity.term.alliance.code,
            alliance_name=activity.term.alliance.name,
        )
