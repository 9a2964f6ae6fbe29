"""Our pages under their own content policy in Chromium: served with it, and nothing on them is refused.

Every journey's guard fails on a CSP violation (tests/e2e/harness.py); this test makes sure the policy is really
in force on the pages it visits (a missing header would make "no violation" trivially true), including the
statistics page's SVG charts and signed-in pages with forms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from market.headers import CONTENT_SECURITY_POLICY
from tests.e2e.checks import check_page
from tests.e2e.harness import guard_of
from tests.factories import Api, finance_project, posted_task

pytestmark = [pytest.mark.parametrize("viewport", ["desktop"], indirect=True)]


def test_pages_under_the_content_policy_report_no_violation(
    page: Page, api: Api, run: Callable[..., Any], sign_in: Callable[..., None]
) -> None:
    run(finance_project(api))
    task = run(posted_task(api))
    anonymous = ["/", "/stats", f"/tasks/{task['id']}", "/login"]
    signed_in = ["/committee", f"/committee/tasks/{task['id']}", "/account/password"]
    for url in anonymous:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, url
        if url == "/stats":
            assert page.locator("svg.chart-svg").count() > 0  # the charts are drawn under the policy
        check_page(page, skip={"focus", "targets", "contrast"})  # the guard is what this test is about
    sign_in(page, "committee")
    for url in signed_in:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
        check_page(page, skip={"focus", "targets", "contrast"})
    guard = guard_of(page)
    assert guard is not None and not guard.problems()
