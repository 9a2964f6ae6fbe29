"""The award dossier (评审档案) and a debrief in the browser: the page-wide checks at both sizes, the print layout,
and screenshots (docs/screenshots/dossier-*.png, dossier-print-*.png, debrief-*.png).

A task with three qualified proposals, five panel members (one recused from the third proposal, its organisation's
member) and a question answered; the committee awards the top one. Anyone reads the dossier; the second-ranked
organisation reads its debrief on its proposal page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from market.i18n import t
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.factories import Api, As, Review, marks_for, score_all, task_in_review

ZH = "zh-CN"
TITLE = "翠湖社区独居老人助餐与探访"
ORGS = ("青岛市李沧区乐龄社会工作服务中心", "李沧区暖阳为老服务社", "虎山路街道邻里互助会")
# Proposal i's marks from member j: (total, first criterion); None where the member is recused.
TABLE: list[list[tuple[str, str] | None]] = [
    [("90.5", "28"), ("88", "27.5"), ("86", "27"), ("91", "29"), ("84.5", "26")],
    [("82", "25"), ("85", "26"), ("79.5", "24"), ("83", "25.5"), ("80", "24")],
    [("76", "22"), ("78.5", "23"), ("74", "21"), ("77", "22.5"), None],
]


async def _awarded(api: Api) -> tuple[Review, list[As]]:
    orgs = [await api.org_member(name=name) for name in ORGS]
    review = await task_in_review(api, proposals=3, panel=5, member_of={4: 2}, orgs=orgs, title=TITLE)
    await score_all(review, [[marks_for(*cell) if cell else None for cell in row] for row in TABLE])
    await api.committee.ok("POST", f"/tasks/{review.task_id}/award", status=200, json={"proposal_id": review.pid(0)})
    return review, orgs


@journey_runs
def test_the_dossier_and_a_debrief_pass_the_checks_print_cleanly_and_are_photographed(
    page: Page,
    api: Api,
    run: Callable[..., Any],
    sign_in: Callable[..., None],
    shot: Callable[[Page, str], None],
) -> None:
    review, _ = run(_awarded(api))
    url = f"/tasks/{review.task_id}/dossier"

    # The public task page links to the dossier.
    page.goto(f"/tasks/{review.task_id}")
    page.get_by_role("link", name=t("dossier.link", ZH)).click()
    page.wait_for_url(f"**{url}")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("dossier.title", ZH, title=TITLE))
    main = page.get_by_role("main")
    expect(main.get_by_text(t("dossier.member", ZH, letter="E")).first).to_be_visible()
    expect(main.get_by_text(t("dossier.recused", ZH, members="E"))).to_be_visible()
    check_page(page)
    shot(page, "dossier")

    # Printed: no site header or footer, the print header with the task, the audit head in full.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".print-head")).to_be_visible()
    expect(page.locator(".print-head")).to_contain_text(TITLE)
    head = page.locator("code.hash").first
    expect(head).to_be_visible()
    assert len(head.inner_text().strip()) == 64
    shot(page, "dossier-print")
    page.emulate_media(media="screen")

    # The second-ranked organisation's debrief: its means beside the winner's, nobody else's.
    sign_in(page, review.orgs[1].username, next_=f"/org/proposals/{review.pid(1)}")
    debrief = page.locator("#debrief")
    expect(debrief).to_be_visible()
    expect(debrief).to_contain_text(t("debrief.rank", ZH, rank=2, n=3))
    expect(debrief).to_contain_text(ORGS[0])
    expect(debrief).not_to_contain_text(ORGS[2])
    check_page(page)
    debrief.scroll_into_view_if_needed()
    shot(page, "debrief")
