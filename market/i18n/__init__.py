"""The one translation layer: zh-CN (default) and en catalogs keyed by message id, and labels for every enum.

Templates call `_('key', name=value)` (bound to the request's language) and `label('task_status', status)`;
Python code calls `t(key, lang, **kw)`. The language is the `lang` cookie set by `GET /lang/{code}`, else zh-CN.
`tests/unit/test_i18n.py` fails if a key (or an enum label) is missing in either language, or if a template uses
a key neither catalog has. The catalogs are split by the pages that show them (`_core`: layout, shared bits,
public pages, errors, enum labels; then `_org`, `_panel`, `_drafting`, `_committee`, `_community`, `_stats`, and
`_notify` for inbox notifications, which are stored as keys with parameters and rendered per reader, and `_errors`
for what the domain's errors say): add a message to BOTH dicts of its area's module. A key defined by two areas is
refused at import. Errors carry a key and parameters (`ApplicationError("error.no_such_task")`); `error_text` renders
one for a page, `market.problems` for the API; the test also fails on a key Python uses that a catalog lacks.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from alliances.models import ApplicationStatus, OrgStatus, ServiceCategory
from market.grading import Grade
from market.i18n import (
    _committee,
    _community,
    _core,
    _dossier,
    _drafting,
    _errors,
    _exports,
    _notify,
    _org,
    _panel,
    _points,
    _reviews,
    _stats,
)
from market.models import FundingMode, ResourceCategory, ReviewedUnit, Role
from market.models._points import HolderKind, RuleCode
from market.states import (
    AwardStatus,
    InvitationStatus,
    NeedStatus,
    ObjectionStatus,
    OrderStatus,
    PointStatus,
    ProjectStatus,
    ProposalStatus,
    SignupStatus,
    TaskStatus,
)

DEFAULT_LANG: Final = "zh-CN"
LANGUAGES: Final = ("zh-CN", "en")
LANG_COOKIE: Final = "lang"

# Enum labels are catalog keys `<kind>.<value>`; every member of every enum here must be labelled in both languages.
LABELLED_ENUMS: Final[dict[str, type[StrEnum]]] = {
    "task_status": TaskStatus,
    "proposal_status": ProposalStatus,
    "award_status": AwardStatus,
    "objection_status": ObjectionStatus,
    "project_status": ProjectStatus,
    "need_status": NeedStatus,
    "invitation_status": InvitationStatus,
    "order_status": OrderStatus,
    "signup_status": SignupStatus,
    "category": ServiceCategory,
    "resource_category": ResourceCategory,
    "funding_mode": FundingMode,
    "grade": Grade,
    "role": Role,
    "org_status": OrgStatus,
    "reviewed_unit": ReviewedUnit,
    "application_status": ApplicationStatus,
    "point_status": PointStatus,
    "points_rule": RuleCode,
    "holder_kind": HolderKind,
}

# The four fixed alliances (SPEC): their names and leading units are labelled by code, `alliance.<code>`.
ALLIANCE_CODES: Final = ("new-orgs", "volunteers", "legal", "media")

_AREAS: Final = (
    _core,
    _org,
    _panel,
    _drafting,
    _committee,
    _community,
    _stats,
    _points,
    _exports,
    _dossier,
    _reviews,
    _notify,
    _errors,
)


def _merged(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for area in _AREAS:
        catalog: dict[str, str] = area.ZH_CN if lang == "zh-CN" else area.EN
        clash = merged.keys() & catalog.keys()
        if clash:
            raise RuntimeError(f"{area.__name__} redefines {sorted(clash)}")
        merged.update(catalog)
    return merged


ZH_CN: Final = _merged("zh-CN")
EN: Final = _merged("en")
CATALOGS: Final[dict[str, dict[str, str]]] = {"zh-CN": ZH_CN, "en": EN}


def choose_lang(cookie: str | None) -> str:
    """The language a `lang` cookie asks for, if we have it; zh-CN otherwise."""
    return cookie if cookie in CATALOGS else DEFAULT_LANG


def _supported(tag: str) -> str | None:
    """The catalog a language tag asks for: `en`, `en-GB` → en; `zh`, `zh-Hans-CN` → zh-CN; `*` → zh-CN."""
    primary = tag.split("-", 1)[0].lower()
    if primary == "*":
        return DEFAULT_LANG
    if primary == "en":
        return "en"
    return "zh-CN" if primary == "zh" else None


def choose_accept_language(header: str | None) -> str:
    """The language an `Accept-Language` header prefers among ours (highest q, first listed on ties); else zh-CN.

    Malformed entries are skipped, never refused: the header only chooses how text reads.
    """
    best, best_q = DEFAULT_LANG, 0.0
    for entry in (header or "")[:1000].split(","):
        tag, _, rest = entry.strip().partition(";")
        lang = _supported(tag.strip())
        if lang is None:
            continue
        q = 1.0
        name, _, value = rest.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                continue
            if not 0.0 <= q <= 1.0:  # also refuses nan
                continue
        if q > best_q:
            best, best_q = lang, q
    return best


def t(key: str, lang: str = DEFAULT_LANG, /, **kw: object) -> str:
    """The message `key` in `lang`, formatted with `kw`; a key missing everywhere shows as itself (tests forbid it)."""
    catalog = CATALOGS.get(lang, ZH_CN)
    text = catalog.get(key) or ZH_CN.get(key) or key
    return text.format(**kw) if kw else text


def label(kind: str, value: object, lang: str = DEFAULT_LANG) -> str:
    """The display label of an enum value, e.g. `label("task_status", "posted", "en")` → "Open for claims"."""
    if value is None or value == "":
        return ""
    raw = value.value if isinstance(value, StrEnum) else str(value)
    key = f"{kind}.{raw}"
    # An alliance added later than the four has no label: its stored name is better than a bare key.
    return t(key, lang) if key in CATALOGS.get(lang, ZH_CN) or key in ZH_CN else raw


def error_text(exc: BaseException, lang: str) -> str:
    """What an error says to a reader of `lang`: a domain error's key rendered with its parameters.

    Litestar's own exceptions carry English text, shown as it is (or rendered, if the text is one of our keys).
    """
    key = getattr(exc, "key", None)
    if not isinstance(key, str):
        key = str(getattr(exc, "detail", "") or exc)
    if key not in ZH_CN:
        return key
    return t(key, lang, **(getattr(exc, "params", None) or {}))


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to return to; anything that could leave the site (//host, scheme:, backslashes) is refused."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return default
    return target
