"""The checks themselves: each catches the fault it is for, names the element and says why (and lets good pages be).

A fault is injected into a real page of the live server; the checks run on it as on any page. These do not depend
on the database or the viewport beyond what each says, so they run once, on SQLite.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from tests.e2e.checks import check_page
from tests.e2e.harness import guard_of

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
phone_only = pytest.mark.parametrize("viewport", ["phone"], indirect=True)


@pytest.fixture
def page(browse: Callable[..., Page]) -> Page:
    """A page whose content policy lets the injected faults through (our pages' own policy would refuse them)."""
    return browse(bypass_csp=True)


def _failures(page: Page, **kw: object) -> str:
    with pytest.raises(AssertionError) as failed:
        check_page(page, **kw)  # type: ignore[arg-type]
    return str(failed.value)


def _inject(page: Page, html: str, css: str = "") -> None:
    page.evaluate(
        """([html, css]) => {
            const box = document.createElement('div');
            box.innerHTML = html;
            document.querySelector('main').append(box);
            if (css) { const s = document.createElement('style'); s.textContent = css; document.head.append(s); }
        }""",
        [html, css],
    )


@phone_only
def test_a_clean_page_passes_and_reports_what_it_checked(page: Page) -> None:
    page.goto("/login")
    report = check_page(page)
    assert report.focus_stops >= 5
    assert not report.failed()


@phone_only
def test_a_field_without_a_label_is_named(page: Page) -> None:
    page.goto("/login")
    _inject(
        page,
        '<input name="nick" id="nick"><label>毫无关联的标签</label>'
        '<input name="ok1" aria-label="有名字"><label>包住 <input name="ok2"></label>'
        '<span id="lbl">外部标签</span><select name="ok3" aria-labelledby="lbl"><option>x</option></select>'
        '<input type="hidden" name="h"><textarea name="memo"></textarea>',
    )
    text = _failures(page, skip={"targets", "focus"})
    assert '[labels] input#nick[name="nick"] has no label' in text
    assert 'textarea[name="memo"] has no label' in text
    assert not re.search(r"ok[123]|\"h\"", text), text


@phone_only
def test_low_contrast_text_is_named_with_its_colours_and_ratio(page: Page) -> None:
    page.goto("/login")
    _inject(
        page,
        '<p id="grey" style="color:#999">浅灰色的小字</p>'
        '<p id="big-ok" style="color:#888;font-size:24px">大号字三比一即可</p>'
        '<div style="background:rgba(0,0,0,0.5)"><p id="on-half-black" style="color:#fff">半透明黑底上的白字</p>'
        '<p id="dim" style="color:#666">半透明黑底上的深灰字</p></div>',
    )
    text = _failures(page, skip={"focus"})
    # #999 on white is 2.85:1; #888 at 24px is 3.54:1 (large text needs 3); white on black at half alpha over
    # white (#808080) is 3.95:1; #666 on #808080 is 1.5:1.
    assert re.search(r'p#grey "浅灰色的小字": #999999 on #ffffff is 2\.85:1, needs 4\.5:1', text), text
    assert re.search(r"p#on-half-black .*#ffffff on #808080 is 3\.9\d:1, needs 4\.5:1", text), text
    assert re.search(r"p#dim .*is 1\.\d\d:1", text), text
    assert "big-ok" not in text


@phone_only
def test_small_targets_are_named_but_links_in_running_text_are_not(page: Page) -> None:
    page.goto("/login")
    _inject(
        page,
        '<button id="tiny" style="min-height:0;min-width:0;height:30px;width:30px;padding:0">x</button>'
        '<p id="sentence">请先阅读<a id="in-text" href="/">服务须知</a>再报名。</p>'
        '<p><a id="alone" href="/" style="display:inline;min-height:0;min-width:0">返回</a></p>'
        '<a id="bare" href="/tasks" style="display:inline-block">榜单</a>',
    )
    text = _failures(page, skip={"focus"})
    assert "button#tiny" in text and "is 30×30 px; tap targets need 44×44" in text
    assert 'a#alone[href="/"] "返回"' in text and "not in running text" in text
    assert "a#bare" in text
    assert "in-text" not in text


@phone_only
def test_something_wider_than_the_phone_is_named(page: Page) -> None:
    page.goto("/login")
    _inject(page, '<div id="wide" style="width:600px">一张很宽的表格</div>')
    text = _failures(page)
    assert "[scroll] page scrolls sideways: scrollWidth 6" in text
    assert 'div#wide "一张很宽的表格" (right edge 6' in text


@phone_only
def test_focus_without_an_indicator_is_named(page: Page) -> None:
    page.goto("/login")
    _inject(
        page,
        "",
        "#f-username:focus-visible, .brand:focus-visible { outline: none !important; box-shadow: none !important; }",
    )
    text = _failures(page)
    assert 'a.brand[href="/"]' in text and "shows no focus indicator when reached with Tab" in text
    assert 'input#f-username[name="username"][type="text"] shows no focus indicator' in text


@phone_only
def test_missing_lang_landmarks_and_skipped_headings_are_reported(page: Page) -> None:
    page.goto("/login")
    page.evaluate(
        """() => {
            document.documentElement.removeAttribute('lang');
            document.querySelector('footer').remove();
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<h3 id="deep">跳级的标题</h3><h1>第二个一级标题</h1>');
        }"""
    )
    text = _failures(page)
    assert "[lang] <html> has no lang attribute" in text
    assert "[landmarks] no <footer> (or role=contentinfo) landmark" in text
    assert 'h3#deep "跳级的标题" skips from h1 to h3' in text
    assert "2 <h1> elements; there must be one" in text


@phone_only
def test_a_request_to_another_origin_is_blocked_and_fails(page: Page) -> None:
    page.goto("/login")
    # Waiting for the request itself, not a fixed while: the guard, listening since the context opened, has it first.
    with page.expect_request("http://cdn.example.invalid/logo.png"):
        _inject(page, '<img alt="" src="http://cdn.example.invalid/logo.png">')
    text = _failures(page)
    assert "[guard] request outside the server: image http://cdn.example.invalid/logo.png" in text
    guard = guard_of(page)
    assert guard is not None
    guard.clear()  # the injected fault is this test's own; the fixture would fail the test on it otherwise


@phone_only
def test_a_javascript_error_fails(page: Page) -> None:
    page.goto("/login")
    # The error is thrown after the console line, from a timer: once it is reported, both are in the guard.
    with page.expect_event("pageerror"):
        page.evaluate("() => { setTimeout(() => { throw new Error('坏了'); }); console.error('也坏了'); }")
    text = _failures(page)
    assert "uncaught JavaScript error" in text and "坏了" in text
    assert "console error" in text and "也坏了" in text
    guard = guard_of(page)
    assert guard is not None
    guard.clear()


@phone_only
def test_a_content_policy_violation_fails(browse: Callable[..., Page]) -> None:
    page = browse()  # under the policy our pages are served with
    page.goto("/login")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        _inject(page, '<p id="red" style="color:#c00">行内样式</p>')
    text = _failures(page, skip={"focus"})
    assert "CSP violation: style-src-attr refused inline" in text
    guard = guard_of(page)
    assert guard is not None
    guard.clear()
