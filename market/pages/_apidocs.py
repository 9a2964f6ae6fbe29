"""`/api-docs`: the JSON API's reference as a plain page, drawn from the app's own OpenAPI schema.

Litestar's interactive UIs (Scalar, Swagger) load their scripts from a CDN, and no page of ours may load
anything from outside the server; this page needs no script at all. Tools take `/schema/openapi.json` or
`/schema/openapi.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request, get
from litestar.response import Template

from market.pages._base import PUBLIC, page
from market.params import Viewer

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Operation:
    """One method on one path, as the reference lists it."""

    method: str
    path: str
    summary: str
    description: str
    parameters: list[tuple[str, str, bool]]  # name, where (path/query/header/cookie), required
    body: str | None
    responses: list[str]


@dataclass
class Section:
    """The operations of one tag (tasks, proposals…)."""

    tag: str
    operations: list[Operation] = field(default_factory=list)


def _ref_name(schema: dict[str, Any] | None) -> str | None:
    """`#/components/schemas/TaskCreate` → `TaskCreate`; any other schema by its type."""
    if not schema:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    items = schema.get("items")
    if schema.get("type") == "array" and isinstance(items, dict):
        inner = _ref_name(items)
        return f"[{inner}]" if inner else "array"
    kind = schema.get("type")
    return kind if isinstance(kind, str) else "object"


def _body_of(op: dict[str, Any]) -> str | None:
    content = op.get("requestBody", {}).get("content", {})
    for media_type, spec in content.items():
        name = _ref_name(spec.get("schema"))
        return f"{name} ({media_type})" if name else media_type
    return None


def sections(schema: dict[str, Any]) -> list[Section]:
    """The schema's operations grouped by their first tag, in path order."""
    by_tag: dict[str, Section] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            description = (op.get("description") or "").strip()
            by_tag.setdefault(tag, Section(tag)).operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=description,
                    parameters=[(p["name"], p["in"], bool(p.get("required"))) for p in op.get("parameters", [])],
                    body=_body_of(op),
                    responses=sorted(op.get("responses", {})),
                )
            )
    return sorted(by_tag.values(), key=lambda s: s.tag)


@get("/api-docs", **PUBLIC)
async def api_docs(request: Request[Any, Any, Any], viewer: Viewer) -> Template:
    """The API reference page."""
    return page("market/api_docs.html.j2", viewer, sections=sections(request.app.openapi_schema.to_schema()))


API_DOCS_PAGES = [api_docs]
