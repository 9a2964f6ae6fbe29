"""Every form flags every refused field at once, each beside its field, with what was typed kept."""

from __future__ import annotations

from tests.browser import Browser, field_error, signed_in, value_of
from tests.factories import Api, finance_project, night_class, park_service, posted_task, raised_need, secretary
from tests.integration.test_pages_drafting import NEW, new_task_fields


async def test_sign_up_flags_an_empty_name_and_a_bad_number_together(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    url = f"/classes/{session['id']}"
    browser = Browser(api.client)
    r = await browser.submit(url, f"{url}/signups", {"name": "", "phone": "12345"})
    assert r.status_code == 422
    assert field_error(r.text, "name") and field_error(r.text, "phone")
    assert value_of(r.text, "phone") == "12345"
    await browser.get("/lang/en")
    r = await browser.submit(url, f"{url}/signups", {"name": "", "phone": "12345"})
    assert r.status_code == 422 and "mobile" in (field_error(r.text, "phone") or "").lower()
    assert field_error(r.text, "name")


async def test_an_empty_need_form_flags_title_and_category_and_keeps_the_description(api: Api) -> None:
    browser = await signed_in(api, await secretary(api))
    url = "/community/needs/new"
    r = await browser.submit(url, url, {"title": "", "category": "", "description": "楼道灯坏了"})
    assert r.status_code == 422
    assert field_error(r.text, "title") == "此项必填" and field_error(r.text, "category") == "此项必填"
    assert value_of(r.text, "description") == "楼道灯坏了"


async def test_the_task_form_flags_a_too_long_title_with_a_bad_budget_and_a_blank_unit(api: Api) -> None:
    browser = await signed_in(api, "committee")
    title = "长" * 101
    data = new_task_fields(title=title, budget_yuan="很多", posting_unit="")
    r = await browser.submit(NEW, NEW, data)
    assert r.status_code == 422
    assert field_error(r.text, "title") == "最多 100 个字"
    assert field_error(r.text, "budget_yuan") and field_error(r.text, "posting_unit")
    assert value_of(r.text, "title") == title and value_of(r.text, "budget_yuan") == "很多"

    # A bad rubric row is flagged on its row, beside a bad title, too.
    bad_row = new_task_fields(title="\x01标题", rubric_0_name="专业能力", rubric_0_maximum="x")
    r = await browser.submit(NEW, NEW, bad_row)
    assert r.status_code == 422
    assert field_error(r.text, "title") and field_error(r.text, "rubric_0_maximum")


async def test_the_claim_form_flags_a_bad_budget_and_an_overlong_text_together(api: Api) -> None:
    task = await posted_task(api)
    browser = await signed_in(api, await api.org_member())
    url = f"/tasks/{task['id']}/claim"
    data = {"requested_budget_yuan": "四万", "strengths": "强" * 20_001, "work_plan": "每周一次"}
    r = await browser.submit(url, url, data)
    assert r.status_code == 422
    assert field_error(r.text, "requested_budget_yuan") and field_error(r.text, "strengths") == "最多 20000 个字"
    assert value_of(r.text, "work_plan") == "每周一次" and value_of(r.text, "requested_budget_yuan") == "四万"


async def test_the_order_form_flags_a_bad_month_and_a_bad_need_together(api: Api) -> None:
    sec = await secretary(api)
    await raised_need(sec, api)
    service = await park_service(api)
    browser = await signed_in(api, sec)
    url = f"/services/{service['id']}/order"
    r = await browser.submit(url, url, {"service_month": "2026-13", "need_id": "abc", "meeting_id": "", "note": "周六"})
    assert r.status_code == 422
    assert field_error(r.text, "service_month") and field_error(r.text, "need_id")
    assert value_of(r.text, "note") == "周六"


async def test_the_feedback_form_flags_a_missing_rating_and_an_overlong_name(api: Api) -> None:
    _, project = await finance_project(api)
    url = f"/projects/{project['id']}"
    browser = Browser(api.client)
    r = await browser.submit(url, f"{url}/feedback", {"rating": "", "comment": "很好", "name": "名" * 51})
    assert r.status_code == 422
    assert field_error(r.text, "rating") and field_error(r.text, "name") == "最多 50 个字"
    assert value_of(r.text, "comment") == "很好"


async def test_the_class_form_flags_a_missing_project_a_bad_start_and_no_seats_together(api: Api) -> None:
    organiser, _ = await finance_project(api)
    community = await api.community()
    browser = await signed_in(api, organiser.username)
    url = "/org/classes/new"
    form = {"project_id": "", "topic": "识别养老诈骗", "community_id": str(community["id"]), "venue": "社区活动室"}
    r = await browser.submit(url, url, form | {"starts_at": "next tuesday", "seats": "很多"})
    assert r.status_code == 422
    assert field_error(r.text, "project_id") and field_error(r.text, "starts_at") and field_error(r.text, "seats")
    assert value_of(r.text, "topic") == "识别养老诈骗"


async def test_the_class_edit_form_flags_a_bad_start_beside_a_blank_topic(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    browser = await signed_in(api, organiser.username)
    url = f"/org/classes/{session['id']}/edit"
    r = await browser.submit(url, url, {"topic": "", "venue": "社区活动室", "starts_at": "soon", "seats": "20"})
    assert r.status_code == 422
    assert field_error(r.text, "topic") and field_error(r.text, "starts_at")


async def test_the_meeting_form_flags_both_times_and_no_services_together(api: Api) -> None:
    await park_service(api)
    browser = await signed_in(api, api.committee)
    url = "/committee/meetings/new"
    r = await browser.submit(url, url, {"title": "", "place": "路演厅", "starts_at": "", "ends_at": "tomorrow"})
    assert r.status_code == 422
    for name in ("title", "starts_at", "ends_at", "offering_ids"):
        assert field_error(r.text, name), name
    assert value_of(r.text, "place") == "路演厅"
