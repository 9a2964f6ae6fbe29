"""What a person does on a phone before reaching a link or a filter: open the header's menu or a list's filters.

Both are <details> that a phone shows folded (site.css `.fold`); from 48rem they are laid out open, and these
helpers then do nothing.
"""

from __future__ import annotations

from playwright.sync_api import Page

from market.i18n import t


def open_menu(page: Page, lang: str = "zh-CN") -> None:
    """Open the header's menu if it is folded (a phone), as a person taps 菜单."""
    summary = page.locator("header details.menu > summary")
    if summary.is_visible() and page.locator("header details.menu[open]").count() == 0:
        summary.click()
    assert page.get_by_role("navigation", name=t("layout.nav", lang)).is_visible()


def open_filters(page: Page) -> None:
    """Open a list's folded filters if they are folded (a phone)."""
    summary = page.locator("main details.filter-fold > summary")
    if summary.is_visible() and page.locator("main details.filter-fold[open]").count() == 0:
        summary.click()


def first_item_top(page: Page) -> float | None:
    """Where the page's first content item (`[data-item]` in main) starts, in CSS px from the top of the page."""
    top: float | None = page.evaluate(
        """() => {
            const el = document.querySelector('main [data-item]');
            return el ? el.getBoundingClientRect().top + window.scrollY : null;
        }"""
    )
    return top
