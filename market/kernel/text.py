"""What text may contain: the one statement of which control characters are refused, for both domains.

The patterns are written for msgspec's `Meta(pattern=...)` and Litestar's `QueryParameter(pattern=...)`, so the
OpenAPI document states the same rule the decoder enforces; `CONTROL` is the compiled form for services that check
text themselves (a resident's name).
"""

from __future__ import annotations

import re

LINE = r"^[^\x00-\x1f\x7f]*$"
"""One line: no C0 control character (line breaks and tabs included) and no DEL."""

TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
"""Free text: as `LINE`, but tabs and line breaks (`\\t`, `\\n`, `\\r`) are allowed."""

TEXT_CHAR = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
"""One character of free text, for patterns built around it."""

C1_CONTROL = r"\x00-\x1f\x7f-\x9f"
"""The C0 and C1 control characters and DEL, as the body of a character class, for names shown to residents."""

CONTROL = re.compile(f"[{C1_CONTROL}]")
"""Finds any C0 or C1 control character (or DEL) in a name."""

LINE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
"""Finds what `LINE` refuses, for text that is cleaned rather than refused (a search typed into a page's box)."""
