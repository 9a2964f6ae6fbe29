"""Request and response bodies for alliances, organisations, streets, communities and the chair rotation."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar.params import ParameterKwarg, QueryParameter
from msgspec import UNSET, Meta, UnsetType

from alliances import models, phones
from alliances.models import ApplicationStatus, OrgStatus, ServiceCategory
from market.kernel.errors import InvalidInput

# `alliances` may not import `market`, so the base struct and the limits below mirror market.schemas._base.
# No NUL or other C0 control characters except tab/newline: PostgreSQL refuses NUL, and none belong in text.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"

Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=_LINE)]
ShortName = Annotated[str, Meta(min_length=1, max_length=50, pattern=_LINE)]
Place = Annotated[str, Meta(max_length=100, pattern=_LINE)]
Text = Annotated[str, Meta(max_length=20_000, pattern=_TEXT)]
Id = Annotated[int, Meta(ge=1, le=2**53)]
AllianceCode = Annotated[str, Meta(min_length=1, max_length=20, pattern=_LINE)]
# Checked (and normalised) by alliances.credit_code, which says what is wrong; the schema only bounds it.
# The document states the code's form (18 characters of the GB 32100 set); its check character only the service tests.
RawCreditCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=40,
        pattern=_LINE,
        extra_json_schema={"extra": {"pattern": "^[0-9A-HJ-NP-RTUW-Y]{18}$", "min_length": 18, "max_length": 18}},
    ),
]
# A mainland mobile number (手机号).
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
Mobile = Annotated[str, Meta(pattern=MOBILE_PATTERN)]
# An organisation's phone: empty, a mobile or a landline with area code and extension.
Phone = Annotated[str, Meta(max_length=20, pattern=r"^(\+?[0-9][0-9 ()-]{4,19})?$")]
Categories = Annotated[list[ServiceCategory], Meta(min_length=1, max_length=len(ServiceCategory))]


# --- rules a field's type carries beyond what msgspec checks -----------------------------------------------------
# Both answer 422 naming the field (problem details with `field`), on the API and beside the field on the pages.

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
"""The one range every date and time the service takes must fall in: nothing it does happens outside it, and
converting a day like 0001-01-01 or 9999-12-31 to the start of a day in UTC would overflow."""
REASON_MIN = 2


class _Rule:
    """A marker in `Annotated[...]` naming the rule a field's values obey; msgspec ignores it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<rule {self.name}>"


WORDS = _Rule("words")
IN_RANGE = _Rule("in-range")

# What a reason's words are set apart by: Unicode's white space (what `str.strip()` removes, and U+FEFF, which
# JSON Schema's `\s` also names). The service strips exactly these and the document's pattern excludes exactly these,
# so the two agree to the character.
BLANK = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"
_ANY = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_WORD = r"[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
REASON_PATTERN = f"^{_ANY}*{_WORD}{_ANY}*{_WORD}{_ANY}*$"
"""The document's statement of the reason rule: text without control characters, REASON_MIN (2) characters other
than blanks somewhere in it."""
_YEAR_DAY = r"(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
IN_RANGE_PATTERN = f"^{_YEAR_DAY}$"
"""The range in the OpenAPI document, where a date (parameter or field) can carry no minimum: its year is
2000 … 2100. Spelled out whole, not as a prefix, so that a generator drawing from it draws dates."""
MOMENT_PATTERN = (
    f"^{_YEAR_DAY}[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
"""The same for an aware date and time (RFC 3339 with an offset), on a day within the range as written."""

Reason = Annotated[
    str,
    Meta(
        max_length=2_000,
        pattern=_TEXT,
        extra_json_schema={"extra": {"pattern": REASON_PATTERN, "min_length": REASON_MIN}},
    ),
    WORDS,
]
"""A field called a reason (cancel, decline, disqualify, off-rank award, objection ruling, suspension, rejection):
it must contain words; blank or whitespace-only is missing. The service checks it itself (a 422 naming the field);
the document states it as REASON_PATTERN."""
Day = Annotated[date, Meta(extra_json_schema={"extra": {"pattern": IN_RANGE_PATTERN}}), IN_RANGE]
"""A date the service is given, within EARLIEST..LATEST."""
Moment = Annotated[datetime, Meta(tz=True, extra_json_schema={"extra": {"pattern": MOMENT_PATTERN}}), IN_RANGE]
"""An aware date and time the service is given, on a day within EARLIEST..LATEST."""


def day_parameter(name: str) -> ParameterKwarg:
    """A date query parameter whose document states the range (the handler still calls `bounded_day`)."""
    return QueryParameter(name=name, schema_extra={"pattern": IN_RANGE_PATTERN})


def date_in_range(value: date) -> bool:
    """Whether a date (or the day of a date and time, as written) falls within EARLIEST..LATEST."""
    day = value.date() if isinstance(value, datetime) else value
    return EARLIEST <= day <= LATEST


def out_of_range(field: str) -> InvalidInput:
    """The refusal of a date or time outside EARLIEST..LATEST."""
    return InvalidInput(
        "error.dates_must_fall_between",
        field=field,
        earliest=EARLIEST.isoformat(),
        latest=LATEST.isoformat(),
    )


def bounded_day(value: date | None, field: str) -> date | None:
    """A date parameter (a query's `from`, `to`, `date`) as given, or 422 naming it when outside the range."""
    if value is not None and not date_in_range(value):
        raise out_of_range(field)
    return value


def rule_failure(annotation: Any, value: Any, field: str) -> InvalidInput | None:
    """What is wrong with `value` under the rule its declared type carries (see WORDS, IN_RANGE), or None."""
    rule = _rule_of(annotation)
    if rule is WORDS and isinstance(value, str):
        words = value.strip(BLANK)
        if not words:
            return InvalidInput("error.reason_must_contain_words", field=field)
        if len(words) < REASON_MIN:
            return InvalidInput("error.reason_needs_least_characters", field=field, reason_min=REASON_MIN)
    if rule is IN_RANGE and isinstance(value, date) and not date_in_range(value):
        return out_of_range(field)
    return None


def _rule_of(annotation: Any) -> _Rule | None:
    if typing.get_origin(annotation) is Annotated:
        return next((m for m in annotation.__metadata__ if isinstance(m, _Rule)), None)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return next((r for a in typing.get_args(annotation) if (r := _rule_of(a)) is not None), None)
    return None


_RULED_FIELDS: dict[type, tuple[tuple[str, str, Any], ...]] = {}


def check_rules(struct: msgspec.Struct) -> None:
    """Raise 422 for the first field of a request body that breaks the rule its type carries.

    Every schema's `__post_init__` calls this, so the rule holds however a body is built: decoded by the API,
    converted from a page's form, or made in code.
    """
    cls = type(struct)
    ruled = _RULED_FIELDS.get(cls)
    if ruled is None:
        # Found on first use, not at class creation: annotations may name classes defined later in the module.
        ruled = _RULED_FIELDS[cls] = tuple(
            (f.name, f.encode_name, f.type) for f in msgspec.structs.fields(cls) if _rule_of(f.type) is not None
        )
    for name, key, annotation in ruled:
        if (problem := rule_failure(annotation, getattr(struct, name), key)) is not None:
            raise problem


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
    # Why it is suspended (or reactivated): recorded with the status change in the audit log.
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
