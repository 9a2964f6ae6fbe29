"""The JSON API decodes request bodies strictly: a string is not an integer or a boolean.

Litestar converts a handler's `data` together with its query and path parameters in one lenient msgspec pass
(`strict=False`), because those arrive as text; a JSON body would then take `"100"` for 100 and `"true"` for true.
The API's requests decode the body themselves, strictly, into the handler's declared type; the lenient pass then
meets a value already of that type and keeps it as it is. Dates and times still come from ISO 8601 strings, which
is JSON's only way to write them. HTML forms are not affected: pages read their strings with `parse_form`.

A number written with a zero fraction (`4.0`, `1e3`) is an integer: JSON Schema counts it as one, so the OpenAPI
document's `integer` allows it and the service takes it; `4.5` and `"4"` are still refused where an integer is due.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty

_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
# An unknown or missing field is reported at the object holding it; the key is the field itself.
_NAMED = re.compile(r"(?:unknown|missing required) field `(?P<name>[^`]+)`")


def whole_numbers_as_ints(value: Any) -> Any:
    """The decoded JSON with every float that has no fraction made an int (a float field takes an int as it is)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [whole_numbers_as_ints(item) for item in value]
    if isinstance(value, dict):
        return {key: whole_numbers_as_ints(item) for key, item in value.items()}
    return value


class StrictJSONRequest(Request[Any, Any, Any]):
    """A request whose JSON body becomes the handler's `data` type with msgspec's strict rules."""

    _strict_data: Any = Empty

    async def json(self) -> Any:
        """The body as the handler's declared `data` type; 400 with the offending key when it is not one."""
        if self._strict_data is not Empty:
            return self._strict_data
        raw = whole_numbers_as_ints(await super().json())
        field = self.route_handler.parsed_data_field
        if field is None:
            return raw
        try:
            self._strict_data = msgspec.convert(raw, field.annotation, strict=True)
        except msgspec.ValidationError as exc:
            raise self._refusal(str(exc)) from exc
        return self._strict_data

    def _refusal(self, text: str) -> ValidationException:
        # The same shape as Litestar's own validation errors: one message, the key it is about, the source.
        m = _AT.match(text)
        message, path = (m.group("message"), m.group("path")) if m else (text, None)
        if named := _NAMED.search(message):
            path = f"{path or ''}.{named.group('name')}"
        error: dict[str, str] = {"message": message, "source": "body"}
        if path:
            error["key"] = path.lstrip(".")
        return ValidationException(detail=f"Validation failed for {self.method} {self.url.path}", extra=[error])
