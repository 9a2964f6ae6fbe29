"""The issue's main journey (发榜 – 揭榜 – 承榜): a task posted, claimed jointly, scored, awarded, delivered, graded.

Each step is taken through the real pages by the person who does it, each in a browser of their own: the committee
drafts and posts the task and seats the panel; an organisation claims it with a partner from another alliance and
attaches its plan; the partner accepts from its desk; the lead submits; after the deadline the committee qualifies
the proposal, two panel members score it, the committee awards it; after the notice period the organisation reports
on the project and declares it delivered; the committee grades it; a resident reads the grade on the public page.
Only the accounts, the community served and the need answered are set up through the JSON API; every outcome is
checked through the API as well as on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from playwright.sync_api import FilePayload, Locator, Page, expect

from market.i18n import label, t
from market.kernel.clock import local
from tests.e2e.checks import check_page
from tests.e2e.conftest import journey_runs
from tests.e2e.phone import open_menu
from tests.factories import Api, As, raised_need

ZH = "zh-CN"
TITLE = "翠湖社区独居老人助餐与探访"
# A real (if tiny) PDF: the server decides the type by the file's bytes, not by its name.
PLAN_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PLAN_NAME = "助餐服务实施方案.pdf"
PLAN = FilePayload(name=PLAN_NAME, mimeType="application/pdf", buffer=PLAN_PDF)
# Two panel members' marks for the default rubric (专业能力 30, 工作思路 30, 预期效果 25, 预算合理性 15).
PANEL = (
    ("liu_min", "刘敏", ("28", "27", "22", "13.5")),  # 90.5
    ("zhao_hong", "赵红", ("26", "26", "21", "13")),  # 86
)
SCORE = "88.25"  # the mean of the two totals
FINAL_SCORE = 92  # 良好 (≥ 85)


def _flash(page: Page, text: str) -> None:
    """The page says, in its status region, what just happened."""
    expect(page.get_by_role("status")).to_contain_text(text)


def _work_nav(page: Page, key: str) -> None:
    """Follow a link of the signed-in role's own navigation ("我的工作"), from the menu on a phone."""
    open_menu(page)
    with page.expect_navigation():
        page.get_by_role("navigation", name=t("layout.work_nav", ZH)).get_by_role("link", name=t(key, ZH)).click()


def _press(page: Page, name: str, *, within: Locator | None = None, exact: bool = False) -> None:
    """Press a form's button and wait for the page it leads to (often the same address, with a message)."""
    with page.expect_navigation():
        (within or page).get_by_role("button", name=name, exact=exact).click()


def _tick(page: Page, group: str, box: str) -> None:
    """Tick a box in a group of checkboxes (a fieldset named by its legend)."""
    page.get_by_role("group", name=group).get_by_label(box).check()


def _member(api: Api, run: Callable[..., Any], username: str, org: dict[str, Any]) -> As:
    """A member account of the organisation, signed in to the API; `.user["org"]` is the organisation."""
    member: As = run(api.user("org", username=username, organization_id=org["id"]))
    member.user["org"] = org
    return member


def _setup(api: Api, run: Callable[..., Any]) -> dict[str, Any]:
    """What is not the journey's point: a street and community, the need its secretary raised, the organisations'
    members (the partner in another alliance) and the evaluators' accounts."""
    street = run(api.committee.ok("POST", "/streets", json={"name": "虎山路街道"}))
    community = run(api.committee.ok("POST", "/communities", json={"name": "翠湖社区", "street_id": street["id"]}))
    secretary = run(api.user("secretary", community_id=community["id"]))
    need = run(raised_need(secretary, api, title="独居老人午餐无人照应"))
    lead = _member(api, run, "leling", run(api.org("new-orgs", name="乐龄社会工作服务中心")))
    partner = _member(api, run, "qingmeng", run(api.org("volunteers", name="青檬志愿服务队")))
    for username, name, _ in PANEL:
        run(api.user("evaluator", username=username, display_name=name))
    return {"community": community, "need": need, "lead": lead, "partner": partner}


@journey_runs
def test_task_is_posted_claimed_jointly_scored_awarded_delivered_and_graded(
    page: Page,
    browse: Callable[[], Page],
    api: Api,
    run: Callable[..., Any],
    sign_in: Callable[..., None],
    shot: Callable[[Page, str], None],
) -> None:
    made = _setup(api, run)
    lead: As = made["lead"]
    partner: As = made["partner"]
    lead_org, partner_org = lead.user["org"], partner.user["org"]
    need = made["need"]

    # The committee drafts the task from its desk: joint claims allowed, open to two alliances, the community
    # served and the need it answers ticked; then it checks the draft on the task page and posts it (发榜).
    committee = page
    sign_in(committee, "committee", next_="/committee")
    check_page(committee)
    _work_nav(committee, "nav.committee.new_task")
    committee.wait_for_url("**/committee/tasks/new")
    committee.get_by_label(t("drafting.title", ZH)).fill(TITLE)
    committee.get_by_label(t("drafting.description", ZH)).fill(
        "翠湖社区有独居老人三十余名,午餐无人照应。请为他们每日送餐上门,每周探访一次,并建立紧急联络机制。"
    )
    committee.get_by_label(t("common.category", ZH)).select_option(label=label("category", "elderly_care", ZH))
    committee.get_by_label(t("tasks.posting_unit", ZH)).fill("虎山路街道")
    committee.get_by_label(t("drafting.budget_yuan", ZH)).fill("50000")
    deadline = local(api.later(days=10)).date()
    committee.get_by_label(t("drafting.deadline_date", ZH)).fill(deadline.isoformat())
    _tick(committee, t("task.alliances", ZH), label("alliance", "new-orgs", ZH))
    _tick(committee, t("task.alliances", ZH), label("alliance", "volunteers", ZH))
    committee.get_by_label(t("drafting.allow_joint", ZH)).check()
    _tick(committee, t("task.communities", ZH), made["community"]["name"])
    _tick(committee, t("drafting.needs", ZH), need["title"])
    check_page(committee)
    shot(committee, "committee-task-form")
    _press(committee, t("drafting.save_draft", ZH))
    committee.wait_for_url(re.compile(r"/tasks/\d+$"))
    task_id = int(committee.url.rsplit("/", 1)[1])
    _flash(committee, t("drafting.created", ZH, title=TITLE))
    expect(committee.get_by_role("heading", level=1)).to_have_text(TITLE)
    check_page(committee)
    _press(committee, t("drafting.action.post", ZH), exact=True)
    committee.wait_for_url(f"**/tasks/{task_id}")
    _flash(committee, t("drafting.posted", ZH, title=TITLE))
    task = run(api.anon.ok("GET", f"/tasks/{task_id}"))
    assert (task["status"], task["allow_joint"]) == ("posted", True)
    assert {a["code"] for a in task["alliances"]} == {"new-orgs", "volunteers"}
    assert (task["need_ids"], [c["id"] for c in task["communities"]]) == ([need["id"]], [made["community"]["id"]])
    assert run(api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "matched"

    # While the task is open, the committee seats the panel from the task page.
    committee.get_by_role("link", name=t("drafting.action.panel", ZH)).click()
    committee.wait_for_url(f"**/committee/tasks/{task_id}/panel")
    for username, _, _ in PANEL:
        _tick(committee, t("drafting.panel_evaluators", ZH), username)
    check_page(committee)
    _press(committee, t("drafting.panel_submit", ZH))
    committee.wait_for_url(f"**/tasks/{task_id}")
    _flash(committee, t("drafting.panel_saved", ZH, n=len(PANEL)))
    seated = run(api.committee.ok("GET", f"/tasks/{task_id}/panel"))
    assert sorted(m["username"] for m in seated["members"]) == sorted(u for u, _, _ in PANEL)

    # The lead organisation finds the task from its desk and claims it with the partner, attaching its plan.
    lead_page = browse()
    sign_in(lead_page, lead.username, next_="/org")
    check_page(lead_page)
    lead_page.get_by_role("link", name=t("org.desk.open_tasks", ZH)).click()
    lead_page.wait_for_url("**/tasks?*")
    check_page(lead_page)
    lead_page.get_by_role("link", name=TITLE).click()
    lead_page.wait_for_url(f"**/tasks/{task_id}")
    check_page(lead_page)
    shot(lead_page, "task-detail-org")
    lead_page.get_by_role("link", name=t("org.actions.claim", ZH), exact=True).click()
    lead_page.wait_for_url(f"**/tasks/{task_id}/claim")
    lead_page.get_by_label(t("org.claim.budget", ZH)).fill("45000")
    lead_page.get_by_label(t("org.claim.strengths", ZH)).fill("深耕社区养老八年,专职社工六名,自有中央厨房一处。")
    lead_page.get_by_label(t("org.claim.work_plan", ZH)).fill(
        "工作日每天中午送餐上门;青檬志愿服务队每周探访一次;为每位老人建立紧急联络卡。"
    )
    lead_page.get_by_label(t("org.claim.expected_results", ZH)).fill("覆盖独居老人 32 名,满意度 95% 以上。")
    _tick(lead_page, t("org.claim.partners", ZH), partner_org["name"])
    check_page(lead_page)
    shot(lead_page, "org-claim")
    _press(lead_page, t("org.claim.submit", ZH))
    lead_page.wait_for_url(re.compile(r"/org/proposals/\d+$"))
    proposal_id = int(lead_page.url.rsplit("/", 1)[1])
    _flash(lead_page, t("org.claim.saved", ZH))
    lead_page.get_by_label(t("org.attach.file", ZH)).set_input_files(PLAN)
    _press(lead_page, t("org.attach.upload", ZH))
    lead_page.wait_for_url(f"**/org/proposals/{proposal_id}#attachments")
    _flash(lead_page, t("org.attach.added", ZH, name=PLAN_NAME))
    expect(lead_page.get_by_role("link", name=PLAN_NAME)).to_be_visible()
    # Until the partner accepts, the page says who is awaited and offers no submit button.
    expect(lead_page.get_by_text(t("org.proposal.cannot_submit", ZH, names=partner_org["name"]))).to_be_visible()
    expect(lead_page.get_by_role("button", name=t("org.proposal.submit", ZH))).to_have_count(0)
    check_page(lead_page)
    draft = run(lead.ok("GET", f"/proposals/{proposal_id}"))
    assert draft["status"] == "draft" and [a["filename"] for a in draft["attachments"]] == [PLAN_NAME]
    assert {m["organization_id"]: m["invitation"] for m in draft["members"]} == {
        lead_org["id"]: "lead",
        partner_org["id"]: "pending",
    }

    # The partner accepts the invitation from its desk.
    partner_page = browse()
    sign_in(partner_page, partner.username, next_="/org")
    invitations = partner_page.get_by_role("region", name=t("org.desk.invitations", ZH))
    expect(invitations.get_by_text(t("org.invite.from", ZH, lead=lead_org["name"]))).to_be_visible()
    check_page(partner_page)
    shot(partner_page, "org-desk")
    _press(partner_page, t("org.invite.accept", ZH), within=invitations)
    partner_page.wait_for_url(f"**/org/proposals/{proposal_id}")
    _flash(partner_page, t("org.invite.accepted", ZH))
    check_page(partner_page)
    accepted = run(partner.ok("GET", f"/proposals/{proposal_id}"))
    assert {m["organization_id"]: m["invitation"] for m in accepted["members"]}[partner_org["id"]] == "accepted"

    # The lead, looking again, can now submit.
    lead_page.reload()
    _press(lead_page, t("org.proposal.submit", ZH))
    lead_page.wait_for_url(f"**/org/proposals/{proposal_id}")
    _flash(lead_page, t("org.proposal.submitted", ZH))
    expect(lead_page.locator(".badge").first).to_have_text(label("proposal_status", "submitted", ZH))
    check_page(lead_page)
    shot(lead_page, "org-proposal")
    assert run(lead.ok("GET", f"/proposals/{proposal_id}"))["status"] == "submitted"

    # The claim deadline passes: review begins without anyone acting. The committee qualifies the proposal.
    api.clock.advance(days=11)
    assert run(api.anon.ok("GET", f"/tasks/{task_id}"))["status"] == "reviewing"
    _work_nav(committee, "nav.committee.desk")
    committee.get_by_role("link", name=TITLE).click()
    committee.wait_for_url(f"**/committee/tasks/{task_id}")
    check_page(committee)
    _press(committee, t("committee.qualify.qualify_button", ZH))
    committee.wait_for_url(f"**/committee/tasks/{task_id}#proposal-{proposal_id}")
    _flash(committee, t("committee.qualify.done", ZH))
    assert run(api.committee.ok("GET", f"/proposals/{proposal_id}"))["status"] == "qualified"

    # Each panel member scores it from their queue.
    for i, (username, _, given) in enumerate(PANEL):
        member = browse()
        sign_in(member, username, next_="/panel")
        seat = member.locator(f"#task-{task_id}")
        expect(seat.get_by_text(lead_org["name"])).to_be_visible()
        check_page(member)
        if i == 0:
            shot(member, "panel-queue")
        seat.get_by_role("link", name=t("panel.score_now", ZH)).click()
        member.wait_for_url(f"**/panel/tasks/{task_id}/proposals/{proposal_id}")
        expect(member.get_by_role("link", name=PLAN_NAME)).to_be_visible()
        for criterion, mark in zip(task["rubric"], given, strict=True):
            name = t("panel.mark_label", ZH, name=criterion["name"], maximum=criterion["maximum"])
            member.get_by_label(name).fill(mark)
        check_page(member)
        if i == 0:
            shot(member, "panel-score")
        _press(member, t("panel.score_submit", ZH))
        member.wait_for_url(f"**/panel#task-{task_id}")
        total = sum((Decimal(m) for m in given), Decimal(0)).quantize(Decimal("0.1"))  # marks carry one decimal
        _flash(member, t("panel.scored", ZH, org=lead_org["name"], total=str(total)))
    _flash(member, t("panel.now_complete", ZH))
    ranking = run(api.committee.ok("GET", f"/tasks/{task_id}/ranking"))
    assert ranking["complete"] and [(r["proposal_id"], r["score"], r["rank"]) for r in ranking["rows"]] == [
        (proposal_id, SCORE, 1)
    ]

    # The committee sees from its desk that the review is complete, reads the ranking and awards, confirming.
    _work_nav(committee, "nav.committee.desk")
    expect(committee.get_by_text(t("committee.desk.ready", ZH))).to_be_visible()
    check_page(committee)
    shot(committee, "committee-desk")
    committee.get_by_role("link", name=TITLE).click()
    committee.wait_for_url(f"**/committee/tasks/{task_id}")
    ranking_table = committee.get_by_role("region", name=t("committee.rank.title", ZH)).get_by_role("table")
    expect(ranking_table).to_contain_text(SCORE)
    expect(committee.get_by_role("radio", name=lead_org["name"])).to_be_checked()
    check_page(committee)
    shot(committee, "committee-review")
    _press(committee, t("committee.award.submit", ZH), exact=True)
    expect(committee.get_by_role("heading", level=1)).to_have_text(t("committee.award.confirm_title", ZH))
    expect(committee.locator(".facts")).to_contain_text(SCORE)
    expect(committee.locator(".facts")).to_contain_text(partner_org["name"])
    assert run(api.anon.ok("GET", f"/tasks/{task_id}"))["status"] == "reviewing", "the first step awards nothing"
    check_page(committee)
    shot(committee, "committee-award-confirm")
    _press(committee, t("committee.award.confirm_button", ZH))
    committee.wait_for_url(f"**/committee/tasks/{task_id}#award")
    _flash(committee, t("committee.award.done", ZH))
    check_page(committee)
    assert run(api.anon.ok("GET", f"/tasks/{task_id}"))["status"] == "awarded"

    # The notice period passes with no objection: the award becomes a project.
    api.clock.advance(days=api.settings.notice_days, seconds=1)
    run(api.committee.ok("POST", "/tick"))
    found = run(api.anon.ok("GET", "/projects", params={"organization_id": lead_org["id"]}))
    assert [p["task_id"] for p in found["items"]] == [task_id]
    project_id = found["items"][0]["id"]

    # The lead organisation reports progress on its project and declares it delivered, confirming.
    _work_nav(lead_page, "nav.org.desk")
    lead_page.get_by_role("region", name=t("org.desk.projects", ZH)).get_by_role("link", name=TITLE).click()
    lead_page.wait_for_url(f"**/org/projects/{project_id}")
    lead_page.get_by_label(t("org.project.body", ZH)).fill("三个月共送餐 1920 份,探访 384 人次,紧急联络卡全部建立。")
    lead_page.get_by_label(t("org.project.percent", ZH)).fill("100")
    _press(lead_page, t("org.project.send_report", ZH))
    lead_page.wait_for_url(f"**/org/projects/{project_id}")
    _flash(lead_page, t("org.project.reported", ZH))
    check_page(lead_page)
    shot(lead_page, "org-project")
    _press(lead_page, t("org.deliver.button", ZH))
    expect(lead_page.get_by_role("heading", level=1)).to_have_text(t("org.deliver.title", ZH))
    check_page(lead_page)
    _press(lead_page, t("org.deliver.confirm", ZH))
    lead_page.wait_for_url(f"**/org/projects/{project_id}")
    _flash(lead_page, t("org.deliver.done", ZH))
    expect(lead_page.get_by_text(t("org.deliver.waiting", ZH))).to_be_visible()
    delivered = run(api.anon.ok("GET", f"/projects/{project_id}"))
    assert (delivered["status"], delivered["percent_complete"], len(delivered["reports"])) == ("delivered", 100, 1)

    # The committee grades it from its desk; the confirmation step shows the grade the score gives.
    _work_nav(committee, "nav.committee.desk")
    delivered_cards = committee.get_by_role("region", name=t("committee.desk.delivered", ZH))
    delivered_cards.get_by_role("link", name=t("committee.projects.grade_button", ZH)).click()
    committee.wait_for_url(f"**/committee/projects/{project_id}/evaluation")
    check_page(committee)
    committee.get_by_label(t("committee.grade.score", ZH)).fill(str(FINAL_SCORE))
    committee.get_by_label(t("committee.grade.comment", ZH)).fill("按期完成送餐和探访,老人和家属反映良好。")
    _press(committee, t("committee.grade.submit", ZH))
    expect(committee.get_by_role("heading", level=1)).to_have_text(t("committee.grade.confirm_title", ZH))
    good = label("grade", "good", ZH)
    expect(committee.locator(".facts")).to_contain_text(good)
    assert run(api.anon.ok("GET", f"/projects/{project_id}"))["status"] == "delivered", "the first step grades nothing"
    check_page(committee)
    shot(committee, "committee-grade-confirm")
    _press(committee, t("committee.grade.confirm_button", ZH))
    committee.wait_for_url(f"**/projects/{project_id}#grade-h")
    _flash(committee, t("committee.grade.done", ZH, grade=good))

    # Anyone can read the outcome on the public project page.
    resident = browse()
    resident.goto(f"/projects/{project_id}")
    graded = resident.get_by_role("region", name=t("project.evaluation", ZH))
    expect(graded).to_contain_text(good)
    expect(graded).to_contain_text(str(FINAL_SCORE))
    check_page(resident)
    shot(resident, "project-graded")
    closed = run(api.anon.ok("GET", f"/projects/{project_id}"))
    assert (closed["status"], closed["grade"], closed["final_score"]) == ("closed", "good", FINAL_SCORE)
    assert {o["id"] for o in closed["organizations"]} == {lead_org["id"], partner_org["id"]}
    assert run(api.anon.ok("GET", f"/tasks/{task_id}"))["status"] == "closed"
    assert run(api.anon.ok("GET", f"/needs/{need['id']}"))["status"] == "resolved"
