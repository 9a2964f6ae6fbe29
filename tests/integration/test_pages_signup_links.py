"""A resident who lost their sign-up link has a new one texted to their number, through a configured SMS gateway.

The gateway here is a real HTTP server on 127.0.0.1 that records what it is sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar, Request
from sqlalchemy.ext.asyncio import async_sessionmaker

from market.kernel.db import create_engine
from market.pages._classes import _seconds_to_wait
from market.settings import Settings
from tests.browser import Browser
from tests.factories import Api, finance_project, mobile, night_class, sign_up

PUBLIC_BASE = "https://jiebang.example.cn"
CSRF_VALUE = re.compile(r'name="_csrf_token" value="[^"]*"')
GATEWAY_TOKEN = "gateway-test-token"


class Gateway:
    """What the SMS gateway received: (authorization header, JSON body) per message."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.url = ""

    async def messages(self, n: int) -> list[dict[str, Any]]:
        """The bodies once `n` have arrived (sending runs after the answer, in the background)."""
        for _ in range(200):
            if len(self.received) >= n:
                break
            await asyncio.sleep(0.01)
        return [body for _, body in self.received]


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    box = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            box.received.append((self.headers.get("Authorization", ""), json.loads(self.rfile.read(length))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.url = f"http://127.0.0.1:{server.server_address[1]}/send"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(database_url: str, var_dir: Path, gateway: Gateway) -> Settings:
    """The suite's settings plus an SMS gateway and the public address links are built from."""
    gateway.received.clear()
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-test-secret-key-00",
        var_dir=var_dir,
        tick_seconds=0,
        login_rate_per_minute=1000,
        public_base_url=PUBLIC_BASE,
        sms_gateway_url=gateway.url,
        sms_gateway_token=GATEWAY_TOKEN,
        sms_per_number_per_hour=3,
        sms_per_address_per_hour=1000,
    )


def _local(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_BASE, link
    return f"{parts.path}?{parts.query}"


async def test_a_lost_link_is_texted_to_the_number_alone_and_the_answer_says_nothing_of_who_signed_up(
    api: Api, gateway: Gateway
) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], venue="九水街道社区活动室")
    receipt = await sign_up(api, session["id"], 1, "张三")
    resident, stranger = Browser(api.client), Browser(api.client)

    # The sign-up's own page points to the SMS way, and its link uses the public address.
    html = await resident.page(f"/signups/{receipt['id']}?token={receipt['token']}")
    assert 'href="/signups/lost"' in html and f'value="{PUBLIC_BASE}/signups/{receipt["id"]}?token=' in html

    signed_up = await resident.submit("/signups/lost", "/signups/lost", {"phone": mobile(1)})
    nobody = await stranger.submit("/signups/lost", "/signups/lost", {"phone": mobile(2)})
    assert (signed_up.status_code, signed_up.headers["location"]) == (nobody.status_code, nobody.headers["location"])
    assert signed_up.status_code == 303
    pages = [await b.page(r.headers["location"]) for b, r in ((resident, signed_up), (stranger, nobody))]
    assert CSRF_VALUE.sub("", pages[0]) == CSRF_VALUE.sub("", pages[1])

    [message] = await gateway.messages(1)
    await asyncio.sleep(0.05)
    assert len(gateway.received) == 1  # nothing went to the number without a sign-up
    assert gateway.received[0][0] == f"Bearer {GATEWAY_TOKEN}"
    assert message["to"] == mobile(1)
    assert "九水街道社区活动室" in message["text"] and session["topic"] in message["text"]
    link = next(word for word in message["text"].split() if word.startswith(PUBLIC_BASE))
    assert "报名成功" in await Browser(api.client).page(_local(link))
    # The link it replaces stops working.
    old = await api.anon.get(f"/signups/{receipt['id']}", params={"token": receipt["token"]})
    assert old.status_code == 404


async def test_asking_for_a_lost_link_is_rate_limited_per_number(api: Api, gateway: Gateway) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"])
    await sign_up(api, session["id"], 1)
    browser = Browser(api.client)
    for _ in range(3):
        r = await browser.submit("/signups/lost", "/signups/lost", {"phone": mobile(1)})
        assert r.status_code == 303
    r = await browser.submit("/signups/lost", "/signups/lost", {"phone": mobile(1)})
    assert r.status_code == 429 and "频繁" in r.text
    # It says when to ask again: once the hour that began with the first request counted is over.
    assert 3590 <= int(r.headers["retry-after"]) <= 3601
    # A number nobody signed up with is limited alike.
    for _ in range(3):
        r = await browser.submit("/signups/lost", "/signups/lost", {"phone": mobile(9)})
    r = await browser.submit("/signups/lost", "/signups/lost", {"phone": mobile(9)})
    assert r.status_code == 429
    assert len(await gateway.messages(3)) == 3
    # A mistyped number is refused beside the field and counts for nothing.
    r = await browser.submit("/signups/lost", "/signups/lost", {"phone": "12345"})
    assert r.status_code == 422


def _asking_from(forwarded: str) -> Request[Any, Any, Any]:
    """A request for a lost link that reached the service through the proxy at 127.0.0.1."""
    headers = [(b"x-forwarded-for", forwarded.encode())]
    scope = {"type": "http", "method": "POST", "path": "/signups/lost", "headers": headers}
    return Request({**scope, "client": ("127.0.0.1", 5000), "litestar_app": Litestar()})  # type: ignore[arg-type]


async def test_behind_a_configured_proxy_the_per_address_limit_counts_each_resident_not_the_proxy(api: Api) -> None:
    # The count alone, in the database's counters the service shares between its workers.
    proxied = dataclasses.replace(api.settings, trusted_proxies="127.0.0.1", sms_per_address_per_hour=1)
    one, other = _asking_from("198.51.100.7"), _asking_from("198.51.100.8")
    now = api.clock.now()
    engine = create_engine(api.settings.database_url)
    try:
        async with async_sessionmaker(engine)() as db:
            assert await _seconds_to_wait(db, one, proxied, mobile(41), now) == 0
            # The same resident, another number: their limit, free again an hour after their first request counted.
            assert 3590 <= await _seconds_to_wait(db, one, proxied, mobile(42), now) <= 3601
            assert await _seconds_to_wait(db, other, proxied, mobile(43), now) == 0  # another resident, same proxy
    finally:
        await engine.dispose()
