"""The inbox reads in the reader's language: notifications are stored as keys with parameters and rendered per
reader, on the inbox page (the `lang` cookie the English link sets) and in the JSON API (Accept-Language)."""

from __future__ import annotations

import re

from tests.browser import lang_of, signed_in
from tests.factories import Api, awarded_review, draft_proposal, posted_task


async def test_an_award_and_an_invitation_read_in_english_after_the_switch_and_in_chinese_before(api: Api) -> None:
    review, _ = await awarded_review(api)
    winner = review.orgs[0]
    joint = await posted_task(api, allow_joint=True, title="社区心理疏导服务")
    lead = await api.org_member()
    await draft_proposal(lead, joint["id"], partner_ids=[winner.user["org"]["id"]])
    awarded = review.task["title"]

    browser = await signed_in(api, winner)
    html = await browser.page("/inbox")
    assert lang_of(html) == "zh-CN"
    assert f"拟承榜公示：{awarded}" in html and "公示期至 " in html
    assert "联合揭榜邀请：社区心理疏导服务" in html
    assert "Proposed award" not in html

    await browser.get("/lang/en")  # what the English link in the header does
    html = await browser.page("/inbox")
    assert lang_of(html) == "en"
    assert f"Proposed award under public notice: {awarded}" in html and "The notice period ends " in html
    assert "Invitation to a joint claim: 社区心理疏导服务" in html
    assert f"Qualification check: qualified ({awarded})" in html
    # No message is left in Chinese; only the names of things (the tasks' own titles) are.
    assert "拟承榜公示" not in html and "联合揭榜邀请" not in html and "资格审查结果" not in html

    await browser.get("/lang/zh-CN")
    assert f"拟承榜公示：{awarded}" in await browser.page("/inbox")


async def test_the_json_inbox_gives_the_key_and_params_and_renders_in_the_accept_language(api: Api) -> None:
    review, _ = await awarded_review(api)
    winner = review.orgs[0]
    awarded = review.task["title"]

    inbox = await winner.ok("GET", "/inbox")
    assert inbox["lang"] == "zh-CN"
    [award] = [n for n in inbox["items"] if n["key"] == "award.notice"]
    assert award["kind"] == "award" and set(award["params"]) == {"task", "ends"}
    assert award["params"]["task"] == awarded
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", award["params"]["ends"])
    assert award["title"] == f"拟承榜公示：{awarded}"
    assert award["body"] == f"公示期至 {award['params']['ends']}（北京时间）。"

    english = await winner.ok("GET", "/inbox", headers={"Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"})
    assert english["lang"] == "en"
    [award_en] = [n for n in english["items"] if n["key"] == "award.notice"]
    assert (award_en["key"], award_en["params"], award_en["id"]) == (award["key"], award["params"], award["id"])
    assert award_en["title"] == f"Proposed award under public notice: {awarded}"
    keys = [n["key"] for n in english["items"]]
    assert keys == ["award.notice", "qualification.passed"]

    # The loser hears of the award too, in the same keyed way.
    other = await review.orgs[1].ok("GET", "/inbox", headers={"Accept-Language": "en"})
    [notice] = [n for n in other["items"] if n["kind"] == "award"]
    assert notice["key"] == "award.notice_others"
    assert notice["title"] == f"An award has been proposed and is under public notice: {awarded}"


async def test_the_inbox_documents_its_language_header(api: Api) -> None:
    schema = await api.anon.ok("GET", "/schema/openapi.json")
    inbox = schema["paths"]["/api/v1/inbox"]["get"]
    assert any(p["in"] == "header" and p["name"].lower() == "accept-language" for p in inbox["parameters"])
    assert "Accept-Language" in inbox["description"]
