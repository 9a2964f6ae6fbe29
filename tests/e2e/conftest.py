"""End-to-end journeys in a real browser: Playwright driving Debian's Chromium against the live app.

How to write a journey (a role's main path through its pages)::

    from playwright.sync_api import expect

    from market.i18n import t
    from tests.e2e.checks import check_page
    from tests.factories import posted_task

    def test_org_claims_a_posted_task(page, api, run, sign_in, shot):
        task = run(posted_task(api))          # set-up: the factories, over the live server's JSON API
        member = run(api.org_member())
        sign_in(page, member.username)        # the /login form, as a person would
        page.goto(f"/tasks/{task['id']}")     # URLs are relative to the live server
        check_page(page)                      # on every page the journey visits
        shot(page, "org-task")                # docs/screenshots/org-task-375.png and -1280.png
        page.get_by_role("link", name=t("some.key", "zh-CN")).click()    # find things by their visible text
        page.locator("form [name=strengths]").fill("…")                  # or by the field's (= the API's) name
        ...
        expect(page.get_by_role("status")).to_contain_text(t("some.flash", "zh-CN"))
        assert run(member.ok("GET", f"/proposals/{pid}"))["status"] == "submitted"   # the state, via the API

Every test runs four times: on SQLite and PostgreSQL (`database_url`, emptied before each test as in the rest
of the suite; PostgreSQL unreachable → skipped loudly, or failed in CI) × a 375×812 phone (touch, mobile, scale
2) and a 1280×800 desktop (`viewport`). Pin a test to fewer with
`@pytest.mark.parametrize("viewport", ["phone"], indirect=True)` (the same for `database_url`); the long
journeys and page tours take `@journey_runs` (below): two runs on the diagonal, the desktop on SQLite and the phone
on PostgreSQL, so that each database and each width is run once. After each test the three lists must be in step,
as in the integration suite.

Fixtures:
- `page`: a fresh browser context (own cookies, locale zh-CN, Asia/Shanghai) at the test's viewport; `browse()`
  opens another one, for a second person in the same journey. Each context is guarded: a request for any other
  origin fails the test (a dead proxy refuses it, so nothing leaves), as does a JavaScript error, a console
  error or a failing sub-resource.
- `live`: the server (`.url`, `.kind`, `.settings`); `api`: `tests.factories.Api` over the live server with the
  `committee` account signed in (`api.committee`); `run(coro)`: runs set-up coroutines (the factories are
  async) and returns their result; `clock` (from tests/conftest.py) is the server's own clock:
  `clock.advance(days=6)` then `run(api.committee.ok("POST", "/tick"))` is "the notice period passes".
- `sign_in(page, username, password=PASSWORD, next_="/")`: through the /login form.
- `shot(page, name)`: a full-page screenshot to docs/screenshots/<name>-<375|1280>.png, on the SQLite run; in a
  `@journey_runs` test on both runs, each at its own width, so the phone's pictures come from PostgreSQL (the
  same pictures: ids start from 1 on both, and the data and clock are the test's own). List new ones in
  docs/screenshots/README.md.
- `check_page(page)` (tests/e2e/checks.py): lang, landmarks, headings, labels, sideways scrolling, tap targets,
  contrast and visible focus, plus the context's guard; its docstring gives the rules, and its failure names
  each element and why. `check_page(page, skip={"targets"})` leaves a check out (say why);
  `checks.KNOWN_PROBLEMS` lists reported problems that check_page skips by itself until they are fixed.

The set-up code runs on an event loop in a thread of its own (`harness.Portal`): Playwright's sync API marks the
test thread's loop as running, so `asyncio.run` cannot be used in e2e tests or fixtures; tests are plain `def`.
The browser and the servers live for the e2e package only, so the rest of the suite runs after them as before.
Each server is made once per database, the browser once. Never run `playwright install`: the browser is the
system's Chromium (`make test` installs it, with a CJK font, when missing; JIEBANG_CHROMIUM overrides the path).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from market.kernel.clock import ManualClock
from market.settings import Settings
from tests.conftest import IN_CI, PG_SKIP_REASON, PG_UP, _empty
from tests.e2e.harness import GUARDS, Guard, LiveServer, Portal
from tests.factories import PASSWORD, Api

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("JIEBANG_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking switches Chromium keeps trying to reach Google, which on a closed network
# hangs or is refused; none of it is needed to render our pages.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Everything not on 127.0.0.1 goes to a proxy on a port where nothing listens: a request for another origin
# (which the guard reports) is refused at once rather than left to hang; the app itself is reached directly.
NO_WAY_OUT: dict[str, str] = {"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"}
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
TIMEOUT_MS = 15_000
# A long journey's runs on the diagonal: each database once and each width once, two runs where the full cross
# would take four. What differs between the databases does not depend on the width, nor the layout on the database;
# each width's screenshots are taken in the run that has it (`shot`).
journey_runs = pytest.mark.parametrize(
    ("database_url", "viewport"), [("sqlite", "desktop"), ("postgresql", "phone")], indirect=True
)


def pytest_itemcollected(item: pytest.Item) -> None:
    """Mark every test under tests/e2e `e2e` (`-m "not e2e"` leaves the browser out).

    Under pytest-xdist (`make test`: `--dist loadgroup`) the journeys form one group, run by one worker: one
    Chromium and one live server per database for them all, while the other workers take the rest of the suite.
    Marked as each item is collected, so that the mark is there before xdist reads the groups off the items.
    """
    if Path(__file__).resolve().parent in item.path.resolve().parents:
        item.add_marker(pytest.mark.e2e)
        item.add_marker(pytest.mark.xdist_group("e2e"))


@functools.cache
def _cjk_font() -> bool:
    """Whether Chinese can be drawn: without a CJK font the screenshots would show boxes."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    found = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False)  # noqa: S603
    return bool(found.stdout.strip())


# The machinery: a loop for set-up code, the servers, the browser -------------------------------------------


@pytest.fixture(scope="package")
def portal() -> Iterator[Portal]:
    p = Portal()
    yield p
    p.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, portal: Portal) -> str:
    """The run's database of each kind (tests/conftest.py's), emptied for this test on the portal's loop."""
    if request.param == "postgresql" and not PG_UP:
        if IN_CI:
            pytest.fail(f"{PG_SKIP_REASON}; CI must run it (.ci/run starts the server)")
        pytest.skip(PG_SKIP_REASON)
    url: str = request.getfixturevalue("sqlite_database" if request.param == "sqlite" else "pg_database")
    portal.run(_empty(url))
    return url


@pytest.fixture(scope="package")
def _servers(portal: Portal, session_clock: ManualClock) -> Iterator[dict[Settings, tuple[LiveServer, Any]]]:
    """One live server (and one HTTP client for set-up) per database, for the whole e2e package."""
    running: dict[Settings, tuple[LiveServer, Any]] = {}
    yield running
    for server, client in running.values():
        portal.run(client.aclose())
        server.stop()


@pytest.fixture
def live(
    settings: Settings, clock: ManualClock, session_clock: ManualClock, _servers: dict[Settings, Any]
) -> LiveServer:
    """The live app on the test's database, with the test's clock (back at the suite's start time)."""
    if settings not in _servers:
        started = LiveServer(settings, session_clock).start()
        _servers[settings] = (started, httpx.AsyncClient(base_url=started.url, timeout=30))
    server: LiveServer = _servers[settings][0]
    return server


@pytest.fixture
def run(portal: Portal) -> Callable[..., Any]:
    """`run(coro)`: run set-up code (the async factories) and return its result."""
    return portal.run


@pytest.fixture
def api(live: LiveServer, _servers: dict[Settings, Any], portal: Portal, clock: ManualClock) -> Api:
    """tests.factories.Api over the live server's JSON API, with the committee account made and signed in."""
    client = _servers[live.settings][1]
    client.cookies.clear()
    made = Api(client, live.settings, clock)
    portal.run(made.bootstrap())
    return made


@pytest.fixture(autouse=True)
def lists_in_step(database_url: str, portal: Portal, clock: ManualClock) -> Iterator[None]:
    """As in the integration suite: the three lists must be in step once the journey is done."""
    yield
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from market.invariants import check
    from market.kernel.db import create_engine

    async def violations() -> list[Any]:
        engine = create_engine(database_url)
        try:
            async with async_sessionmaker(engine)() as db:
                return list(await check(db, clock.now()))
        finally:
            await engine.dispose()

    found = portal.run(violations())
    assert not found, "lists out of step after the journey:\n" + "\n".join(map(str, found))


@pytest.fixture(scope="package")
def playwright(request: pytest.FixtureRequest) -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (make test installs Debian's chromium) - the e2e tests are SKIPPED"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # Migrate the databases first: Alembic uses asyncio.run, which cannot run beside Playwright's sync API.
    request.getfixturevalue("sqlite_database")
    if PG_UP:
        request.getfixturevalue("pg_database")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One Chromium for the e2e package."""
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, proxy=NO_WAY_OUT)
    yield b
    b.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """'phone' (375×812) or 'desktop' (1280×800)."""
    name: str = request.param
    return name


@pytest.fixture
def browse(browser: Browser, live: LiveServer, viewport: str) -> Iterator[Callable[..., Page]]:
    """`browse()`: a new person — a fresh, guarded browser context at the test's viewport — and their page.

    `browse(bypass_csp=True)` lets a page break the content policy, for tests that inject faults into it."""
    contexts: list[tuple[BrowserContext, Guard]] = []

    def new_page(*, bypass_csp: bool = False) -> Page:
        context = browser.new_context(
            base_url=live.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            service_workers="block",
            # Only for tests that inject faults into a page (tests/e2e/test_checks.py): the content policy would
            # refuse their inline styles and outside images before the checks could see them.
            bypass_csp=bypass_csp,
            **VIEWPORTS[viewport],
        )
        context.set_default_timeout(TIMEOUT_MS)
        guard = Guard(live.url)
        guard.attach(context)
        GUARDS[id(context)] = guard
        contexts.append((context, guard))
        return context.new_page()

    yield new_page
    problems: list[str] = []
    for context, guard in contexts:
        context.close()
        problems += guard.problems()
        GUARDS.pop(id(context), None)
    assert not problems, "the browser did what no page of ours may do:\n" + "\n".join(problems)


@pytest.fixture
def page(browse: Callable[..., Page]) -> Page:
    """The test's first person: a page in a fresh guarded context."""
    return browse()


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """`sign_in(page, username, password=PASSWORD)`: through the /login form; lands where `next` says."""

    def go(page: Page, username: str, password: str = PASSWORD, next_: str = "/") -> None:
        page.goto(f"/login?next={quote(next_)}")
        page.locator("form[action='/login'] [name=username]").fill(username)
        page.locator("form[action='/login'] [name=password]").fill(password)
        page.locator("form[action='/login'] [type=submit]").click()
        page.wait_for_load_state("load")
        assert "/login" not in page.url, f"sign-in as {username} failed: still on {page.url}"

    return go


@pytest.fixture
def shot(request: pytest.FixtureRequest, live: LiveServer) -> Callable[[Page, str], None]:
    """`shot(page, name)`: docs/screenshots/<name>-<viewport width>.png, full page, on the SQLite run; in a
    `@journey_runs` test on each run (one per width), the phone's on PostgreSQL."""
    journey = any(mark.args == journey_runs.mark.args for mark in request.node.iter_markers("parametrize"))

    def take(page: Page, name: str) -> None:
        if live.kind != "sqlite" and not journey:
            return
        if not _cjk_font():
            warnings.warn("no CJK font (fonts-noto-cjk): screenshots not taken", stacklevel=2)
            return
        width = (page.viewport_size or {"width": 0})["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
        # One image pixel per CSS pixel keeps the files small; caret and animations off keep them stable.
        page.screenshot(
            path=str(SCREENSHOTS / f"{name}-{width}.png"),
            full_page=True,
            scale="css",
            animations="disabled",
            caret="hide",
        )

    return take
