"""What the pages and messages say fits what the service does: examples within their limits, hints that agree with
each other, and error messages in words a resident uses. (Punctuation and terms: tests/unit/test_chinese_text.py.)
"""

from __future__ import annotations

import re

from tests.browser import signed_in
from tests.factories import Api, draft_proposal, finance_project, night_class, posted_task, problem, submitted_proposal


async def test_claim_form_budget_example_fits_under_the_task_budget(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api, budget_fen=3_000_000)  # ¥30,000
    html = await (await signed_in(api, member)).page(f"/tasks/{task['id']}/claim")
    example = re.search(r"例如 (\d+)", html)
    assert example, "the budget field gives an example"
    assert 0 < int(example.group(1)) <= 30_000
    assert "40000" not in html


async def test_submit_hint_says_what_withdrawing_really_does(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    draft = await draft_proposal(member, task["id"])
    browser = await signed_in(api, member)
    html = await browser.page(f"/org/proposals/{draft['id']}")
    # Withdrawing voids the proposal, so the submit hint cannot promise an edit after it.
    assert "可先撤回" not in html
    assert "重新填写一份" in html and "作废" in html


async def test_editing_a_submitted_proposal_is_refused_with_the_way_forward(api: Api) -> None:
    member = await api.org_member()
    task = await posted_task(api)
    proposal = await submitted_proposal(member, task["id"])
    r = await member.patch(f"/proposals/{proposal['id']}", json={"strengths": "补充说明"})
    body = problem(r, 409)
    assert "重新填写" in body["detail"]
    assert "请先撤回" not in body["detail"]


async def test_signup_name_with_a_line_break_is_refused_in_plain_words(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    r = await api.anon.post(f"/classes/{session['id']}/signups", json={"name": "张\n三", "phone": "13912345678"})
    body = problem(r, 422, field="name")
    assert "不能包含换行等特殊字符" in body["detail"]
    assert "控制字符" not in body["detail"]
