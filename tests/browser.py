"""A browser without JavaScript for page tests: its own cookies, forms posted with the page's CSRF token."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import PASSWORD, Api, As

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.DOTALL | re.IGNORECASE)


class Browser:
    """One visitor with their own cookies (the shared test client's jar is swapped in per request)."""

    def __init__(self, client: AsyncTestClient[Litestar]) -> None:
        self.client = client
        self.jar: dict[str, str] = {}

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        self.client.cookies.clear()
        for name, value in self.jar.items():
            self.client.cookies.set(name, value)
        try:
            return await self.client.request(method, url, follow_redirects=False, **kw)
        finally:
            self.jar = {c.name: c.value for c in self.client.cookies.jar if c.value}
            self.client.cookies.clear()

    async def get(self, url: str) -> httpx.Response:
        return await self.request("GET", url)

    async def page(self, url: str) -> str:
        """A page that must render."""
        r = await self.get(url)
        assert r.status_code == 200, f"GET {url} -> {r.status_code}: {r.text[:500]}"
        assert r.headers["content-type"].startswith("text/html")
        return r.text

    async def submit(self, form_url: str, action: str, data: dict[str, str]) -> httpx.Response:
        """Open the page holding the form, then post it with that page's CSRF token."""
        html = await self.page(form_url)
        m = CSRF.search(html)
        assert m, f"no CSRF token on {form_url}"
        return await self.request("POST", action, data={**data, "_csrf_token": m.group(1)})


def lang_of(html: str) -> str:
    m = re.search(r'<html lang="([^"]+)"', html)
    assert m
    return m.group(1)


def field_error(html: str, name: str) -> str | None:
    m = re.search(rf'<p class="error" id="f-{name}-error">([^<]*)</p>', html)
    return m.group(1) if m else None


def value_of(html: str, name: str) -> str | None:
    m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    if m:
        return m.group(1)
    m = re.search(rf'<textarea[^>]*name="{name}"[^>]*>([^<]*)</textarea>', html)
    return m.group(1) if m else None


async def signed_in(api: Api, who: As | str = "committee") -> Browser:
    """A browser signed in through the /login form, as a person would."""
    browser = Browser(api.client)
    username = who if isinstance(who, str) else who.username
    r = await browser.submit("/login", "/login", {"username": username, "password": PASSWORD})
    assert r.status_code == 303, r.text[:500]
    return browser
