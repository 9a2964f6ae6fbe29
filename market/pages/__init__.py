"""HTML pages over the same services as the JSON API (Jinja2 templates in `templates/`).

`PAGE_HANDLERS` is mounted at the root by the app: public pages, then one module per role's work. Role pages
are not excluded from auth (a visitor who is not signed in is sent to /login?next=…) and guard by role.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from market.pages._account import ACCOUNT_PAGES, password_change_first
from market.pages._admin import ADMIN_PAGES
from market.pages._alliances import ALLIANCE_PAGES
from market.pages._apidocs import API_DOCS_PAGES
from market.pages._audit import AUDIT_PAGES
from market.pages._classes import CLASS_PAGES
from market.pages._classes_org import ORG_CLASS_PAGES
from market.pages._committee import COMMITTEE_PAGES
from market.pages._committee_projects import COMMITTEE_PROJECT_PAGES
from market.pages._community import COMMUNITY_PAGES
from market.pages._dossiers import DOSSIER_PAGES
from market.pages._drafting import DRAFTING_PAGES
from market.pages._errors import HtmlErrorPages
from market.pages._inbox import INBOX_PAGES
from market.pages._needs import NEED_PAGES
from market.pages._offerings import OFFERING_PAGES
from market.pages._orders import ORDER_PAGES
from market.pages._org import ORG_PAGES
from market.pages._org_projects import ORG_PROJECT_PAGES
from market.pages._org_proposals import ORG_PROPOSAL_PAGES
from market.pages._panel import PANEL_PAGES
from market.pages._points import POINTS_PAGES
from market.pages._public import PUBLIC_PAGES
from market.pages._questions import QUESTION_PAGES
from market.pages._review import REVIEW_PAGES
from market.pages._signin import SIGNIN_PAGES
from market.pages._stats import STATS_PAGES
from market.pages._templating import register_template_helpers
from market.pages._up_reviews import UP_REVIEW_PAGES
from market.pages._watch import WATCH_PAGES

PAGE_HANDLERS: list[ControllerRouterHandler] = [
    *SIGNIN_PAGES,
    *PUBLIC_PAGES,
    *DOSSIER_PAGES,
    *CLASS_PAGES,
    *ORG_PAGES,
    *ORG_PROPOSAL_PAGES,
    *ORG_PROJECT_PAGES,
    *INBOX_PAGES,
    *PANEL_PAGES,
    *DRAFTING_PAGES,
    *QUESTION_PAGES,
    *COMMITTEE_PAGES,
    *REVIEW_PAGES,
    *COMMITTEE_PROJECT_PAGES,
    *AUDIT_PAGES,
    *ADMIN_PAGES,
    *WATCH_PAGES,
    *ACCOUNT_PAGES,
    *COMMUNITY_PAGES,
    *NEED_PAGES,
    *ORDER_PAGES,
    *OFFERING_PAGES,
    *STATS_PAGES,
    *POINTS_PAGES,
    *UP_REVIEW_PAGES,
    *ORG_CLASS_PAGES,
    *ALLIANCE_PAGES,
    *API_DOCS_PAGES,
]

__all__ = ["PAGE_HANDLERS", "HtmlErrorPages", "password_change_first", "register_template_helpers"]
