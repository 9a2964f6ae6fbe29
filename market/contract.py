"""The OpenAPI document says what the JSON API really answers: its errors, who may call it, what it refuses.

Litestar documents each operation's success and a generic 400. Everything else the service gives is decided in
one place, here, from what the app itself knows about each handler: its path ids, its body and query parameters,
whether it opts out of sign-in, its role guards, whether it changes state; a file download names the types it sends
with `file_types=[…]`. `document_api` runs once over the built app; `StrictStructSchemaPlugin` marks every struct
that refuses unknown fields with `additionalProperties: false` and carries the limits on a list's items.
tests/integration/test_api_contract.py holds the service to the document with Schemathesis.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.connection import Request
from litestar.handlers.http_handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import YamlRenderPlugin
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
)
from litestar.routes import HTTPRoute
from litestar.typing import FieldDefinition

PROBLEM_JSON = "application/problem+json"
SESSION_SCHEME = "sessionCookie"
API_PREFIX = "/api/"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# An IMF-fixdate, the HTTP-date every server sends (RFC 9110 section 5.6.7).
HTTP_DATE = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$"


class Problem(msgspec.Struct):
    """An RFC 9457 problem: every error the API gives has this shape (bad input adds `field` or `errors`).

    `detail` reads in the language the request's `Accept-Language` prefers among zh-CN and en (zh-CN when it names
    neither); `code` is its message key (`error.username_taken`), the same in every language, for a client that acts
    on which error it met rather than on its wording. Litestar's own parsing errors (400) carry no `code`.
    """

    type: str
    title: str
    status: int
    detail: str
    code: str | msgspec.UnsetType = msgspec.UNSET
    field: str | msgspec.UnsetType = msgspec.UNSET
    errors: list[dict[str, Any]] | msgspec.UnsetType = msgspec.UNSET


# Why each status can happen; an operation lists only the ones its shape allows (see `problems_of`).
WHY = {
    400: "Malformed request: unparsable JSON, a wrong type, an unknown field, a value outside the documented limits",
    401: "Not signed in",
    403: "Signed in, but this role or organisation may not do this; or a write sent from another site",
    404: "No such thing, or nothing this user may see",
    409: "Conflicts with the current state (a task already posted, a seat already taken, a duplicate)",
    413: "The request body is larger than allowed",
    415: "A write whose body is not application/json (multipart/form-data where the operation takes a file)",
    422: "Well-formed, but breaks a rule the document cannot express (a date in the past, a budget above the task's)",
    429: "Too many sign-in attempts for this account name or from this address; wait the seconds `Retry-After` says",
    503: "The database is busy past its timeout, cannot be reached, or is read-only; retry after `Retry-After` seconds",
    507: "The database's disk is full: nothing was saved (no `Retry-After`: someone must free space first)",
}
# Statuses whose answer always says when to try again (the sign-in throttle, the database's faults).
RETRY_AFTER = frozenset({429, 503})


def _public(handler: HTTPRouteHandler) -> bool:
    return bool(handler.opt.get("exclude_from_auth"))


def _parameters(handler: HTTPRouteHandler) -> set[str]:
    """Names of the handler's own parameters (path, query, body), without injected dependencies."""
    dependencies = set(handler.resolve_dependencies())
    reserved = {"self", "request", "state", "scope", "headers", "cookies", "query", "socket", "return"}
    return {name for name in handler.parsed_fn_signature.parameters if name not in dependencies | reserved}


def problems_of(handler: HTTPRouteHandler, method: str, route: HTTPRoute) -> list[int]:
    """The error statuses this operation can give, from its shape.

    Extra ones a handler knows about come from its `opt["problems"]`; ones its shape suggests but it can never give
    are taken away with `opt["no_problems"]`.
    """
    params = _parameters(handler)
    path_ids = set(route.path_parameters)
    body = "data" in params
    query = params - path_ids - {"data"}
    # Any operation may meet a fault of the database (market/problems.py `fault_of`); a write also a full disk.
    statuses: set[int] = {503}
    if body or query or path_ids:
        statuses.add(400)
    if not _public(handler):
        statuses.add(401)
        if handler.resolve_guards() or method in WRITES:
            statuses.add(403)
    if path_ids:
        statuses.add(404)
    if method in WRITES:
        # Every write refuses another site and a body a browser form could send (market/crossorigin.py), and fails
        # when the database's disk is full.
        statuses |= {403, 409, 415, 507}
    if body or query:
        statuses.add(422)
    if body:
        statuses.add(413)
    statuses |= set(handler.opt.get("problems", ()))
    statuses -= set(handler.opt.get("no_problems", ()))
    return sorted(statuses)


def _security(handler: HTTPRouteHandler) -> list[dict[str, list[str]]] | None:
    """Public operations say so; those that show a signed-in viewer more say the cookie is optional."""
    if not _public(handler):
        return None  # the document-wide requirement: the session cookie
    if "viewer" in handler.parsed_fn_signature.parameters:
        return [{}, {SESSION_SCHEME: []}]
    return [{}]


def _answer_options_for_the_whole_path(route: HTTPRoute) -> None:
    """OPTIONS lists every method of the path.

    When Litestar merges a second registration into a path it keeps the first route's OPTIONS handler, whose `Allow`
    names only that first route's methods (`Allow: OPTIONS, POST` on /tasks, which also has GET). The handler reads
    the methods from the route it was made for, so that route is given the merged route's methods.
    """
    options = route.route_handler_map.get("OPTIONS")
    fn = getattr(options[0], "fn", None) if options else None
    for cell in getattr(fn, "__closure__", None) or ():
        first = cell.cell_contents
        if isinstance(first, HTTPRoute) and first is not route:
            first.methods = route.methods


def _document_files(app: Litestar, downloads: dict[tuple[str, str], list[str]]) -> None:
    """A file download names the content types it can send, and its Last-Modified as the HTTP-date it is.

    Litestar documents a `File` with the handler's one media type (none: an empty key) and Last-Modified as an
    RFC 3339 date-time, while it sends the file's own type and an HTTP-date (`Sat, 05 Dec 2026 08:00:00 GMT`).
    """
    openapi = app.openapi_schema
    for (path, method), types in downloads.items():
        item = (openapi.paths or {})[path]
        ok = getattr(item, method).responses["200"]
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        ok.content = {kind: OpenAPIMediaType(schema=binary) for kind in types}
        if ok.headers and "last-modified" in ok.headers:
            ok.headers["last-modified"] = OpenAPIHeader(
                schema=Schema(type=OpenAPIType.STRING, pattern=HTTP_DATE),
                description="When the file was stored, as an HTTP-date (RFC 9110)",
            )


def _document_retry_after(app: Litestar) -> None:
    """Each 429 and 503 declares its `Retry-After` (whole seconds); Litestar's `ResponseSpec` has no headers."""
    header = OpenAPIHeader(
        schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
        required=True,
        description="Seconds to wait before trying again",
    )
    for path, item in (app.openapi_schema.paths or {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method in ("get", "put", "post", "patch", "delete"):
            operation = getattr(item, method, None)
            for status, response in ((operation.responses or {}) if operation else {}).items():
                if status.isdigit() and int(status) in RETRY_AFTER and isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), "Retry-After": header}


def document_api(app: Litestar) -> None:
    """Declare, on every JSON API operation, the problem responses it can give and whether it needs a session."""
    downloads: dict[tuple[str, str], list[str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not route.path.startswith(API_PREFIX):
            continue
        _answer_options_for_the_whole_path(route)
        for method, (handler, _) in route.route_handler_map.items():
            if method in {"HEAD", "OPTIONS"} or not handler.resolve_include_in_schema():
                continue
            responses = dict(handler.responses or {})
            for status in problems_of(handler, method, route):
                responses.setdefault(
                    status,
                    ResponseSpec(
                        data_container=Problem,
                        media_type=PROBLEM_JSON,
                        description=WHY[status],
                        generate_examples=False,
                    ),
                )
            handler.responses = responses
            # Litestar's own 400 (a JSON body of another shape) is replaced by the problem above.
            handler.raises = []
            security = _security(handler)
            if security is not None:
                handler.security = security
            if file_types := handler.opt.get("file_types"):
                downloads[(route.path_format, method.lower())] = sorted(file_types)
    _document_retry_after(app)
    if downloads:
        _document_files(app, downloads)


def _limits(kind: Any) -> dict[str, Any]:
    """The limits a msgspec type carries (`Annotated[int, Meta(ge=1)]` and the like), as OpenAPI schema attributes."""
    limits: dict[str, Any] = {}
    if isinstance(kind, msgspec.inspect.Metadata):
        limits |= _limits(kind.type)
        limits |= (kind.extra_json_schema or {}).get("extra") or {}
    elif isinstance(kind, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        names = {"ge": "minimum", "le": "maximum", "gt": "exclusive_minimum", "lt": "exclusive_maximum"}
        limits |= {to: getattr(kind, name) for name, to in names.items()} | {"multiple_of": kind.multiple_of}
    elif isinstance(kind, msgspec.inspect.StrType):
        limits |= {"min_length": kind.min_length, "max_length": kind.max_length, "pattern": kind.pattern}
    return {name: value for name, value in limits.items() if value is not None}


_LISTS = (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.FrozenSetType)


def _containers_in(kind: Any) -> list[Any]:
    """The list and dict types a field's type is or may be (`list[Id] | None`, `list[Id] | UnsetType`, under Meta)."""
    if isinstance(kind, msgspec.inspect.Metadata):
        return _containers_in(kind.type)
    if isinstance(kind, msgspec.inspect.UnionType):
        return [found for member in kind.types for found in _containers_in(member)]
    if isinstance(kind, (*_LISTS, msgspec.inspect.DictType)):
        return [kind]
    return []


def _shaped_in(schema: Any, shape: str) -> list[Schema]:
    """The schemas of a property with `items` (shape "array") or `additionalProperties` (shape "object"), also
    inside its `oneOf`/`anyOf` (an optional or unset-able one)."""
    if not isinstance(schema, Schema):
        return []
    part = schema.items if shape == "array" else schema.additional_properties
    found = [schema] if part is not None else []
    for member in [*(schema.one_of or ()), *(schema.any_of or ())]:
        found += _shaped_in(member, shape)
    return found


def _fill(schema: Any, limits: dict[str, Any]) -> None:
    for name, value in limits.items():
        if isinstance(schema, Schema) and getattr(schema, name, None) is None:
            setattr(schema, name, value)


# A Decimal in a request body (a panel member's mark) is decoded from a JSON number or a decimal string, kept exact.
_DECIMAL = Schema(
    one_of=[
        Schema(type=OpenAPIType.NUMBER),
        Schema(type=OpenAPIType.STRING, pattern=r"^[0-9]{1,20}(\.[0-9]{1,20})?$"),
    ]
)


def _document_container(schema: Any, kind: Any) -> None:
    """Limits on a list's items, and on a dict's size, keys and Decimal values, which Litestar leaves out."""
    if isinstance(kind, _LISTS):
        for array in _shaped_in(schema, "array"):
            _fill(array.items, _limits(kind.item_type))
        return
    for mapping in _shaped_in(schema, "object"):
        _fill(mapping, {"min_properties": kind.min_length, "max_properties": kind.max_length})
        if keys := _limits(kind.key_type):
            _fill(mapping, {"property_names": Schema(type=OpenAPIType.STRING, **keys)})
        if isinstance(kind.value_type, msgspec.inspect.DecimalType):
            mapping.additional_properties = _DECIMAL


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Structs are documented as they behave.

    Those with `forbid_unknown_fields` get `additionalProperties: false`, and the limits on a list's items
    (`list[Id]`: every id ≥ 1) and on a dict (a panel member's marks) reach the document, which Litestar leaves
    out for what a container holds.
    """

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        if not isinstance(schema, Schema):
            return schema
        config = getattr(field_definition.type_, "__struct_config__", None)
        if config is not None and config.forbid_unknown_fields:
            schema.additional_properties = False
        info = msgspec.inspect.type_info(field_definition.type_)
        for field in getattr(info, "fields", ()):
            for container in _containers_in(field.type):
                _document_container((schema.properties or {}).get(field.encode_name), container)
        return schema


class OnceYamlRenderPlugin(YamlRenderPlugin):
    """`/schema/openapi.yaml`, rendered once per app: the document never changes while the app runs, and PyYAML's
    pure-Python writer spent about 0.35 s of CPU on it for every request (any anonymous caller could ask)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rendered: bytes | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._rendered is None:
            self._rendered = super().render(request, openapi_schema)
        return self._rendered
