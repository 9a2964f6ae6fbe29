"""Night classes (金融夜校): sessions, residents' sign-ups, attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from alliances.phones import MAX_INPUT, MOBILE_PATTERN
from market.kernel.text import C1_CONTROL
from market.schemas._base import AwareDatetime, Id, Name, Schema
from market.states import SignupStatus

# Seats are checked by the service (1..1000, 422 with field "seats") rather than by Meta bounds, so that every
# absurd count gets the same answer; this bound only keeps the integer storable.
# The document still states the rule (`extra` is written into the OpenAPI schema, not enforced by msgspec).
Seats = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1, extra_json_schema={"extra": {"minimum": 1, "maximum": 1000}})]
# Residents' own input is checked by the service, so that a mistyped name or number comes back as a 422 that says
# which field and why; these bounds only stop absurd payloads.
ResidentText = Annotated[str, Meta(max_length=200)]
# As above, the document states the rules the service checks: a name of 1..50 characters once trimmed, without
# control characters, and a mainland mobile number however it is written (alliances.phones).
_NAME_CHAR = rf"[^\s{C1_CONTROL}]"
ResidentName = Annotated[
    str,
    Meta(
        max_length=200,
        extra_json_schema={"extra": {"pattern": rf"^\s*{_NAME_CHAR}(?:[^{C1_CONTROL}]{{0,48}}{_NAME_CHAR})?\s*$"}},
    ),
]
ResidentPhone = Annotated[
    str, Meta(max_length=200, extra_json_schema={"extra": {"max_length": MAX_INPUT, "pattern": MOBILE_PATTERN}})
]
Token = Annotated[str, Meta(max_length=200)]


class ClassCreate(Schema):
    """A new session of a finance-education project: seats 1..1000, starting in the future."""

    topic: Name
    community_id: Id
    venue: Name
    starts_at: AwareDatetime
    seats: Seats


class ClassUpdate(Schema):
    """Changes to a session before it starts; seats may grow (promoting the waitlist) but not drop below confirmed."""

    topic: Name | UnsetType = UNSET
    venue: Name | UnsetType = UNSET
    starts_at: AwareDatetime | UnsetType = UNSET
    seats: Seats | UnsetType = UNSET


class ClassCommunity(Schema):
    """Where a session is held."""

    id: int
    name: str
    street_id: int
    street: str


class ClassSession(Schema):
    """A session as anyone sees it, with its seat counts."""

    id: int
    project_id: int
    project_title: str
    organization_id: int
    organization_name: str
    topic: str
    community: ClassCommunity
    venue: str
    starts_at: datetime
    seats: int
    confirmed: int
    waitlisted: int
    remaining: int
    signups_open: bool


class ClassPage(Schema):
    """One page of sessions, soonest first."""

    total: int
    items: list[ClassSession]


class SignupCreate(Schema):
    """A resident's sign-up: a name (1..50 characters) and a mainland mobile number (+86, spaces, dashes allowed)."""

    name: ResidentName
    phone: ResidentPhone


class SignupReceipt(Schema):
    """What the resident gets back once: keep the token, it is the only way to cancel or check the place."""

    id: int
    class_id: int
    status: SignupStatus
    waitlist_position: int | None
    token: str


class SignupCancel(Schema):
    """The secret token handed out at sign-up."""

    token: Token


class SignupView(Schema):
    """A sign-up as its holder (who has the token) sees it; promoted_at says the place came off the waitlist."""

    id: int
    class_id: int
    class_topic: str
    starts_at: datetime
    venue: str
    community: ClassCommunity
    name: str
    phone: str
    status: SignupStatus
    waitlist_position: int | None
    signed_up_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None
    # When the number is erased (a set time after the class; docs/privacy.md), and when it was, if it has been:
    # then name and phone are empty (erased by the holder) or the name masked (erased after the class).
    erase_after: datetime | None = None
    erased_at: datetime | None = None


class SignupErase(Schema):
    """The secret token handed out at sign-up, to delete the sign-up and erase the holder's name and number."""

    token: Token


class SignupRow(Schema):
    """A sign-up in a session's list; name and phone are masked for everyone but the organiser."""

    id: int
    name: str
    phone: str
    status: SignupStatus
    waitlist_position: int | None
    signed_up_at: datetime
    promoted_at: datetime | None
    cancelled_at: datetime | None
    attended: bool | None
    # Set once the name and number were erased (phone then empty).
    erased_at: datetime | None = None


class SignupList(Schema):
    """A session's sign-ups in arrival order."""

    class_id: int
    masked: bool
    seats: int
    confirmed: int
    waitlisted: int
    items: list[SignupRow]


class AttendanceSet(Schema):
    """The organiser's record of whether a confirmed resident came."""

    signup_id: Id
    attended: bool
