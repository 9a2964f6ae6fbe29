"""Night classes (金融夜校): sessions of finance-education projects, residents' sign-ups, the waitlist, attendance.

Every change to a session's sign-ups locks the session row first and moves `confirmed_count` / `waitlist_count`
in the same transaction as the rows, so the counters always equal the row counts and confirmed never exceeds
seats, however many requests race (and on however many workers).

The package: `_rules` (limits, tokens, the locks and the counters every change goes through, the waitlist's
promotion), `_sessions` (scheduling and finding sessions), `_signups` (a resident's sign-up, its link and its
cancellation) and `_rosters` (the organiser's list of a session's sign-ups and its attendance).
"""

from __future__ import annotations

from market.services._classes._rosters import record_numbers_shown, set_attendance, signups_of
from market.services._classes._rules import (
    LIVE,
    MAX_NAME,
    MAX_SEATS,
    MIN_SEATS,
    NO_CLASS,
    NO_SIGNUP,
    RESIDENT,
    check_seats,
    clean_name,
    has_started,
    hash_token,
    is_organiser,
    masked_number,
    new_token,
    number_of,
    signups_open,
    waitlist_position,
)
from market.services._classes._sessions import (
    ClassFilter,
    classes_page,
    create_class,
    get_class,
    get_project,
    list_classes,
    local_day_start,
    may_schedule,
    projects_of,
    update_class,
)
from market.services._classes._signups import (
    MOST_LINKS_BY_SMS,
    WAITLIST_PER_SEAT,
    NewSignup,
    cancel,
    cancel_for_resident,
    erase,
    links_for_number,
    reissue_link,
    sign_up,
    view_signup,
)

__all__ = [
    "LIVE",
    "MAX_NAME",
    "MAX_SEATS",
    "MIN_SEATS",
    "MOST_LINKS_BY_SMS",
    "NO_CLASS",
    "NO_SIGNUP",
    "RESIDENT",
    "WAITLIST_PER_SEAT",
    "ClassFilter",
    "NewSignup",
    "cancel",
    "cancel_for_resident",
    "check_seats",
    "classes_page",
    "clean_name",
    "create_class",
    "erase",
    "get_class",
    "get_project",
    "has_started",
    "hash_token",
    "is_organiser",
    "links_for_number",
    "list_classes",
    "local_day_start",
    "masked_number",
    "may_schedule",
    "new_token",
    "number_of",
    "projects_of",
    "record_numbers_shown",
    "reissue_link",
    "set_attendance",
    "sign_up",
    "signups_of",
    "signups_open",
    "update_class",
    "view_signup",
    "waitlist_position",
]
