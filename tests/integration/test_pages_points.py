"""Points pages (积分制): the committee reviews in a batch, the resident sees their points through their own link,
downloads a statement whose code the public check confirms, and an upheld objection reverses an entry — in both
languages, through the real pages, on both databases."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from tests.browser import Browser, lang_of, signed_in
from tests.factories import Api, As, finance_project, mobile, night_class, secretary, sign_up

CODE = re.compile(r'<code class="hash">([^<]+)</code>')


async def attended(api: Api, organiser: As, project_id: int, n: int, name: str) -> dict[str, Any]:
    made = await night_class(api, organiser, project_id)
    receipt = await sign_up(api, made["id"], n, name)
    api.clock.set(datetime.fromisoformat(made["starts_at"]) + timedelta(minutes=5))
    url = f"/classes/{made['id']}/attendance"
    await organiser.ok("POST", url, status=200, json={"signup_id": receipt["id"], "attended": True})
    return receipt


async def test_a_resident_sees_points_counted_and_a_partner_checks_the_statement(api: Api) -> None:
    organiser, project = await finance_project(api)
    came = await attended(api, organiser, project["id"], 1, "陈小红")
    other = await attended(api, organiser, project["id"], 2, "刘大伟")
    queue = await api.committee.ok("GET", "/points/entries", params={"status": "proposed"})
    ids = [str(e["id"]) for e in queue["items"]]
    desk = await signed_in(api)
    html = await desk.page("/committee/points")
    assert "陈**" in html and "刘**" in html and mobile(1) not in html

    # A batch rejection without a reason comes back with the message beside the field; nothing is written.
    r = await desk.submit("/committee/points", "/committee/points/review", {"entry_ids": ids, "decision": "reject"})
    assert r.status_code == 422 and 'id="f-reason-error"' in r.text
    r = await desk.submit("/committee/points", "/committee/points/review", {"entry_ids": ids, "decision": "approve"})
    assert r.status_code == 303
    assert (await api.committee.ok("GET", "/points/entries", params={"status": "posted"}))["total"] == 2

    # Anyone objects to the second; the committee upholds it on the entry's page.
    visitor = Browser(api.client)
    entry_url = f"/points/entries/{ids[1]}"
    r = await visitor.submit(entry_url, f"{entry_url}/objections", {"name": "赵六", "grounds": "当晚不在场"})
    assert r.status_code == 303
    objection = re.search(r"/committee/points/objections/(\d+)/uphold", await desk.page(entry_url))
    assert objection is not None
    r = await desk.submit(
        entry_url,
        f"/committee/points/objections/{objection.group(1)}/uphold",
        {"entry_id": ids[1], "resolution": "签到表无此人"},
    )
    assert r.status_code == 303

    api.clock.advance(days=api.settings.points_notice_days, seconds=1)
    link = f"/signups/{came['id']}/points?token={came['token']}"
    resident = Browser(api.client)
    html = await resident.page(link)
    assert lang_of(html) == "zh-CN" and "陈**" in html and mobile(1) not in html
    assert re.search(r'<dd class="big">10</dd>', html)
    other_html = await resident.page(f"/signups/{other['id']}/points?token={other['token']}")
    assert re.search(r'<dd class="big">0</dd>', other_html)
    statement = await resident.page(f"/signups/{came['id']}/points/statement?token={came['token']}")
    code = CODE.search(statement)
    assert code and "积分贷" in statement

    checked = await visitor.page(f"/points/verify?code={code.group(1)}")
    assert "陈**" in checked and "核验通过" in checked
    forged = code.group(1).replace(".10.", ".1000.")
    assert "核验通过" not in await visitor.page(f"/points/verify?code={forged}")

    await resident.get("/lang/en?next=/")
    html = await resident.page(link)
    assert lang_of(html) == "en" and "My points" in html
    table = await visitor.page("/points/table")
    assert "积分榜" in table


async def test_a_secretary_proposes_by_hand_and_the_committee_amends(api: Api) -> None:
    sec = await secretary(api)
    org = await api.org()
    browser = await signed_in(api, sec)
    form = {"rule": "order_rated_well", "organization_id": str(org["id"]), "evidence": " "}
    r = await browser.submit("/points/propose", "/points/propose", form)
    assert r.status_code == 422 and 'id="f-evidence-error"' in r.text
    r = await browser.submit(
        "/points/propose", "/points/propose", form | {"organization_id": "", "evidence": "好评截图"}
    )
    assert r.status_code == 422 and 'id="f-organization_id-error"' in r.text
    r = await browser.submit("/points/propose", "/points/propose", form | {"evidence": "社区好评截图与订单记录"})
    assert r.status_code == 303
    [entry] = (await api.committee.ok("GET", "/points/entries", params={"status": "proposed"}))["items"]
    assert (entry["holder_name"], entry["source"], entry["points"]) == (org["name"], "manual", 10)

    desk = await signed_in(api)
    action = f"/committee/points/entries/{entry['id']}/amend"
    r = await desk.submit("/committee/points", action, {"points": "5", "reason": ""})
    assert r.status_code == 422 and 'id="f-reason-error"' in r.text
    r = await desk.submit("/committee/points", action, {"points": "5", "reason": "两次好评只计一次"})
    assert r.status_code == 303
    amended = await api.anon.ok("GET", f"/points/entries/{entry['id']}")
    assert (amended["points"], amended["status"], amended["review_reason"]) == (5, "posted", "两次好评只计一次")
    html = await Browser(api.client).page(f"/organizations/{org['id']}")
    assert "公示中 5 分" in html
