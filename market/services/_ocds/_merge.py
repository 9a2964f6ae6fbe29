"""OCDS merge rules (pure): a contracting process's releases compiled into the record's `compiledRelease`.

The rules of the standard's merging chapter, for what these releases contain: releases are applied oldest first; an
object merges field by field; an array of objects that all carry an `id` merges item by item on that id (new items
are appended in the order first seen); any other array, and the arrays the schema marks `wholeListMerge`, is replaced
whole; `null` removes a field. A release's own `id`, `date` and `tag` are not merged (`omitWhenMerged`): the compiled
release takes `tag` ["compiled"], the latest release's date, and `<ocid>-<that date>` as its id.
`tests/integration/test_ocds.py` holds the result equal to the reference implementation's (ocdsmerge).
"""

from __future__ import annotations

import copy
from typing import Any

Json = dict[str, Any]

OMITTED = frozenset({"id", "date", "tag"})
# The release schema's (and the extensions') arrays of objects merged whole, though their items may have ids.
WHOLE_LIST = frozenset({"additionalIdentifiers", "additionalClassifications"})


def compile_releases(releases: list[Json]) -> Json:
    """The compiled release of one contracting process (all `releases` share its ocid)."""
    ordered = sorted(releases, key=lambda r: r["date"])
    compiled: Json = {}
    for release in ordered:
        _merge_object(compiled, {k: v for k, v in release.items() if k not in OMITTED})
    latest = ordered[-1]
    compiled |= {"id": f"{latest['ocid']}-{latest['date']}", "date": latest["date"], "tag": ["compiled"]}
    return compiled


def _merge_object(target: Json, patch: Json) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict):
            current = target.get(key)
            merged = current if isinstance(current, dict) else {}
            _merge_object(merged, value)
            target[key] = merged
        elif isinstance(value, list) and key not in WHOLE_LIST and _identified(value):
            current = target.get(key)
            target[key] = _merge_by_id(current if isinstance(current, list) else [], value)
        else:
            target[key] = copy.deepcopy(value)


def _identified(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and i.get("id") is not None for i in items)


def _merge_by_id(current: list[Any], items: list[Json]) -> list[Any]:
    by_id = {str(i["id"]): i for i in current if isinstance(i, dict) and "id" in i}
    merged = list(current)
    for item in items:
        existing = by_id.get(str(item["id"]))
        if existing is None:
            existing = {}
            by_id[str(item["id"])] = existing
            merged.append(existing)
        _merge_object(existing, item)
    return merged
