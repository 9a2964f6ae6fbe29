"""Machine-readable pages: a night class as schema.org `Event` JSON-LD, so a phone or a map app can pick it up.

The JSON goes into a `<script type="application/ld+json">` element, whose content the HTML parser ends at the first
`</script` whatever the JSON means; so `<`, `>` and `&` are written as JSON escapes (`\\u003c`…), which every JSON
reader decodes back, and no text a user typed can close the element or start another.
"""

from __future__ import annotations

import json
from typing import Any, Final

from markupsafe import Markup

from market.kernel.clock import local
from market.schemas._classes import ClassSession

SCHEMA: Final = "https://schema.org"
# A class has one state in this service: scheduled (it is neither cancelled nor moved; a changed time is simply the
# new time). Its sign-up closing at the start is not an event status.
SCHEDULED: Final = f"{SCHEMA}/EventScheduled"
OFFLINE: Final = f"{SCHEMA}/OfflineEventAttendanceMode"
_SCRIPT_SAFE: Final = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(data: Any) -> Markup:
    """`data` as JSON that is safe inside a `<script>` element of an HTML page."""
    return Markup(json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE))  # noqa: S704


def class_event(session: ClassSession, url: str, organizer_url: str) -> dict[str, Any]:
    """A night class as a schema.org Event: its start in Shanghai time, its place, organiser and places left."""
    community, venue = session.community, session.venue
    return {
        "@context": SCHEMA,
        "@type": "Event",
        "name": session.topic,
        "startDate": local(session.starts_at).isoformat(),
        "eventStatus": SCHEDULED,
        "eventAttendanceMode": OFFLINE,
        "location": {
            "@type": "Place",
            "name": venue,
            "address": {
                "@type": "PostalAddress",
                # A venue is often named after its community already (沧口社区党群服务中心).
                "streetAddress": venue if community.name in venue else f"{community.name} {venue}",
                "addressLocality": community.street,
                "addressCountry": "CN",
            },
        },
        "organizer": {"@type": "Organization", "name": session.organization_name, "url": organizer_url},
        "maximumAttendeeCapacity": session.seats,
        # What the page says is left: the service's count, not derived again here.
        "remainingAttendeeCapacity": session.remaining,
        "inLanguage": "zh-CN",
        "url": url,
    }
