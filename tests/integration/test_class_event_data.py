"""A night class's page carries the class as schema.org Event JSON-LD that any JSON reader parses, that no text in it
can break out of, and whose places left follow the sign-ups as the page's own count does."""

from __future__ import annotations

import json
import re
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from market.kernel.clock import local
from tests.factories import Api, finance_project, night_class, sign_up

BREAKOUT = '夜校</script><script>alert("x")</script>'


class _Scripts(HTMLParser):
    """Each `<script>` element's type and content, as a browser's parser splits the page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []
        self._type: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._type = dict(attrs).get("type") or ""
            self.found.append((self._type, ""))

    def handle_data(self, data: str) -> None:
        if self._type is not None:
            kind, text = self.found[-1]
            self.found[-1] = (kind, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._type = None


async def event_of(api: Api, class_id: int) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The page's one JSON-LD block, parsed, and every script element of the page."""
    r = await api.client.get(f"/classes/{class_id}")
    assert r.status_code == 200
    scripts = _Scripts()
    scripts.feed(r.text)
    blocks = [text for kind, text in scripts.found if kind == "application/ld+json"]
    assert len(blocks) == 1
    data: dict[str, Any] = json.loads(blocks[0])
    return data, scripts.found


async def test_class_page_carries_its_event_as_json_ld(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], topic=BREAKOUT, seats=2, venue="党群服务中心 <二楼>")
    event, scripts = await event_of(api, session["id"])
    # The topic's "</script>" stayed inside the JSON: no other element was started.
    assert [kind for kind, _ in scripts] == ["application/ld+json"]
    assert event["@context"] == "https://schema.org" and event["@type"] == "Event"
    assert event["name"] == BREAKOUT
    start = datetime.fromisoformat(event["startDate"])
    assert event["startDate"].endswith("+08:00") and start == datetime.fromisoformat(session["starts_at"])
    assert start == local(datetime.fromisoformat(session["starts_at"]))
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["inLanguage"] == "zh-CN"
    assert event["url"].endswith(f"/classes/{session['id']}")
    place = event["location"]
    assert (place["@type"], place["name"]) == ("Place", "党群服务中心 <二楼>")
    assert place["address"]["@type"] == "PostalAddress"
    assert place["address"]["addressLocality"] == session["community"]["street"]
    assert session["community"]["name"] in place["address"]["streetAddress"]
    assert event["organizer"]["name"] == organiser.user["org"]["name"]
    assert event["organizer"]["url"].endswith(f"/organizations/{organiser.user['org']['id']}")
    assert (event["maximumAttendeeCapacity"], event["remainingAttendeeCapacity"]) == (2, 2)
    # Its links are schema.org's names and this server's pages, nothing else.
    base = str(api.client.base_url).rstrip("/")
    links = re.findall(r"https?://[^\"]+", json.dumps(event))
    assert links and all(link.startswith(("https://schema.org", base + "/")) for link in links), links


async def test_remaining_capacity_follows_sign_ups_and_cancellations(api: Api) -> None:
    organiser, project = await finance_project(api)
    session = await night_class(api, organiser, project["id"], seats=2)
    cid = session["id"]

    async def remaining() -> int:
        event, _ = await event_of(api, cid)
        shown = (await api.anon.ok("GET", f"/classes/{cid}"))["remaining"]
        assert event["remainingAttendeeCapacity"] == shown
        return int(shown)

    first = await sign_up(api, cid, 1)
    assert await remaining() == 1
    second = await sign_up(api, cid, 2)
    waiting = await sign_up(api, cid, 3)
    assert waiting["status"] == "waitlisted"
    assert await remaining() == 0
    # A confirmed place given up goes to the head of the waitlist: still none left.
    await api.anon.ok("POST", f"/signups/{first['id']}/cancel", status=200, json={"token": first["token"]})
    assert await remaining() == 0
    await api.anon.ok("POST", f"/signups/{second['id']}/cancel", status=200, json={"token": second["token"]})
    assert await remaining() == 1
