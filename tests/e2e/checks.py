"""Page-wide checks run on every page a journey visits: `check_page(page)`.

What is checked, and the rules where a choice had to be made:

- **lang**: `<html lang>` is set (zh-CN or en).
- **landmarks**: a `header`, a `nav`, exactly one `main` and a `footer` (elements or their ARIA roles).
- **headings**: one `h1`, it comes first, and no level is skipped going down (h1 → h3); headings hidden only
  visually (`.visually-hidden`) count, as a screen reader reads them.
- **labels**: every visible input, select and textarea has a label with text (`<label for>`, a wrapping
  `<label>`, `aria-labelledby` or `aria-label`); hidden inputs and buttons are not fields.
- **no horizontal scrolling**: `scrollWidth <= clientWidth` of the document (not `innerWidth`: a phone zooms out to
  fit a page that is too wide, and innerWidth grows with it); the elements sticking out furthest are named.
- **tap targets** at least 44×44 CSS px (WCAG 2.5.5; 2.5.8 asks 24): visible links, buttons, inputs, selects,
  textareas, `summary` and `[role=button]`. The inline exception of 2.5.5/2.5.8 applies to a link that is laid
  out inline (`display: inline`) *inside running text*, i.e. its nearest block container holds letters or
  digits besides the link's own text — such a link's size is set by the line-height of the sentence. A link
  alone in a paragraph, list item or table cell is a target on its own and must be 44×44. A checkbox or radio
  passes when its label (which toggles it) is 44 px tall. Disabled controls are exempt.
- **contrast**: every visible text (elements with their own text, and form controls with a value) against its
  effective background — the background colours of the element and its ancestors alpha-composited over white —
  at least 4.5:1, or 3:1 for large text (≥ 24 px, or ≥ 18.66 px and bold). Text over a background image is
  skipped and said so in `PageReport.notes`. Disabled controls are exempt (WCAG 1.4.3).
- **visible focus**: the first stops are reached with real Tab presses; then every other focusable element is
  focused in the page after that keyboard use (so `:focus-visible` applies, as it would for Tab). A focused
  element must show an outline (style not none, width > 0) or a box-shadow.

A failure raises `AssertionError` listing each element (tag#id.class[name][href] "text") and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page

from tests.e2e.harness import Guard, guard_of

# How many focus stops are reached with the real Tab key before the in-page sweep takes over.
TAB_STOPS = 8

ALL_CHECKS = frozenset({"lang", "landmarks", "headings", "labels", "scroll", "targets", "contrast", "focus"})

# Problems found and reported, not yet fixed where they live (templates owned elsewhere): path → (checks left out
# there, the reason). check_page applies this by itself and says so in its notes; delete an entry once fixed.
KNOWN_PROBLEMS: dict[str, tuple[frozenset[str], str]] = {}

_JS = (Path(__file__).parent / "checks.js").read_text(encoding="utf-8")


def _install(page: Page) -> None:
    """Put the in-page checks (checks.js) on the page as window.__e2eChecks, once per document."""
    page.evaluate(f"() => {{ if (!window.__e2eChecks) window.__e2eChecks = {_JS}; }}")


@dataclass
class PageReport:
    """What `check_page` found: failures by check, and notes on what it could not measure."""

    url: str
    problems: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    focus_stops: int = 0

    def failed(self) -> bool:
        return any(self.problems.values())

    def text(self) -> str:
        lines = [f"page checks failed on {self.url}:"]
        for check, found in self.problems.items():
            lines += [f"  [{check}] {p}" for p in found]
        return "\n".join(lines)


def check_page(
    page: Page,
    *,
    skip: frozenset[str] | set[str] = frozenset(),
    min_target: int = 44,
    guard: Guard | None = None,
) -> PageReport:
    """Run the page-wide checks on what `page` shows now; raise AssertionError naming each failing element.

    `skip` leaves checks out (names from `ALL_CHECKS`): say why at the call. The context's request and console guard
    (found by the page, or `guard`) is checked too; the fixtures check it again at the end of the test.
    """
    unknown = set(skip) - ALL_CHECKS
    assert not unknown, f"unknown checks {unknown}; known: {sorted(ALL_CHECKS)}"
    page.wait_for_load_state("load")
    report = PageReport(page.url)
    known, why = KNOWN_PROBLEMS.get(urlsplit(page.url).path, (frozenset(), ""))
    if known:
        report.notes.append(f"known problem, {sorted(known)} not checked here: {why}")
    checks = sorted(ALL_CHECKS - set(skip) - known)
    _install(page)
    found: dict[str, Any] = page.evaluate(
        "(a) => window.__e2eChecks.pageChecks(a)", {"checks": checks, "minTarget": min_target}
    )
    report.problems.update({k: v for k, v in found["problems"].items() if v})
    report.notes += found["notes"]
    if "focus" in checks:
        report.problems["focus"] = _focus(page, report)
    guard = guard or guard_of(page)
    if guard is not None and guard.problems():
        report.problems["guard"] = guard.problems()
    report.problems = {k: v for k, v in report.problems.items() if v}
    page.evaluate("() => window.scrollTo(0, 0)")
    if report.failed():
        raise AssertionError(report.text())
    return report


def _focus(page: Page, report: PageReport) -> list[str]:
    bad: list[str] = []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    # Start from the top of the document, as a keyboard user arriving on the page does.
    page.evaluate("() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); }")
    seen: list[str] = []
    for _ in range(TAB_STOPS):
        page.keyboard.press("Tab")
        state = page.evaluate("() => window.__e2eChecks.focusState()")
        if state is None or state["key"] in seen:
            break
        seen.append(state["key"])
        if not state["visible"]:
            bad.append(f"{state['what']} shows no focus indicator when reached with Tab")
    if not seen:
        bad.append("the Tab key reaches nothing on the page")
    swept = page.evaluate("(seen) => window.__e2eChecks.focusSweep(seen)", seen)
    report.focus_stops = len(seen) + swept["checked"]
    return bad + swept["bad"]
