"""Text messages through a generic HTTP SMS gateway (JIEBANG_SMS_GATEWAY_URL), for residents' lost sign-up links.

The gateway gets `POST {"to": "13800000000", "text": "..."}` as JSON, with `Authorization: Bearer <token>` when a
token is configured. Sending runs after the answer has gone (a background task), so the answer to "send my link"
takes the same time whether or not the number has a sign-up; a failure is logged, never shown.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.request
from urllib.parse import urlsplit

from market.settings import Settings

log = logging.getLogger("jiebang")
TIMEOUT_SECONDS = 10


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - scheme checked
        return int(answer.status)


async def send(settings: Settings, to: str, text: str) -> bool:
    """Send one message; whether the gateway took it (2xx). Never raises: the resident's answer has already gone."""
    url = settings.sms_gateway_url
    if urlsplit(url).scheme not in ("http", "https"):
        log.error("SMS gateway URL must be http(s); message not sent")
        return False
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if settings.sms_gateway_token:
        headers["Authorization"] = f"Bearer {settings.sms_gateway_token}"
    body = json.dumps({"to": to, "text": text}, ensure_ascii=False).encode()
    try:
        status = await asyncio.to_thread(_post, url, body, headers)
    except (OSError, ValueError) as exc:
        log.warning("SMS gateway refused or unreachable: %s", exc)
        return False
    return 200 <= status < 300


async def send_all(settings: Settings, to: str, texts: list[str]) -> None:
    """Send several messages to one number, in order (a background task's body)."""
    for text in texts:
        await send(settings, to, text)
