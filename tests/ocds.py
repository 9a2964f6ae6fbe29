"""The official OCDS 1.1 schemas (tests/data/ocds, see its README), extended and resolved locally, and the checks
every package the service publishes must pass: the package schema, the codelists the schema leaves open, and the
reference merge (ocdsmerge) giving each record's compiled release."""

from __future__ import annotations

import copy
import csv
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ocdsmerge
from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

if TYPE_CHECKING:
    from tests.factories import Api

DATA = Path(__file__).parent / "data" / "ocds"
EXTENSIONS = ("enquiry", "bid", "eu")
Json = dict[str, Any]


def _load(path: Path) -> Json:
    data: Json = json.loads(path.read_text(encoding="utf-8"))
    return data


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: how an OCDS extension's release-schema.json applies to the release schema."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@cache
def release_schema() -> Json:
    """The OCDS 1.1.5 release schema with the three extensions the packages list applied."""
    schema = _load(DATA / "release-schema.json")
    for name in EXTENSIONS:
        schema = merge_patch(schema, _load(DATA / "extensions" / name / "release-schema.json"))
    return schema


@cache
def _validators() -> dict[str, Draft4Validator]:
    # The package schemas name the release schema (and the versioned one) by canonical URL: those URLs resolve here.
    release = release_schema()
    versioned = _load(DATA / "versioned-release-validation-schema.json")
    registry: Registry[Any] = Registry().with_resources(
        [(release["id"], DRAFT4.create_resource(release)), (versioned["id"], DRAFT4.create_resource(versioned))]
    )
    return {
        kind: Draft4Validator(_load(DATA / f"{kind}-package-schema.json"), registry=registry)
        for kind in ("release", "record")
    }


def _codes(*files: str) -> set[str]:
    codes: set[str] = set()
    for name in files:
        with (DATA / name).open(encoding="utf-8") as fh:
            codes |= {row["Code"] for row in csv.DictReader(fh)}
    return codes


PARTY_ROLES = _codes("codelists/partyRole.csv", "extensions/enquiry/+partyRole.csv", "extensions/eu/+partyRole.csv")
DOCUMENT_TYPES = _codes("codelists/documentType.csv")
MILESTONE_TYPES = _codes("codelists/milestoneType.csv")
BID_MEASURES = _codes("extensions/bid/bidStatistics.csv")


def _open_codes(release: Json) -> list[str]:
    """Codes from open codelists that are not in them (the schema itself cannot say)."""
    wrong = [r for p in release.get("parties", []) for r in p.get("roles", []) if r not in PARTY_ROLES]
    documents = list(release.get("tender", {}).get("documents", []))
    documents += [d for a in release.get("awards", []) for d in a.get("documents", [])]
    for c in release.get("contracts", []):
        documents += c.get("implementation", {}).get("documents", [])
        milestones = c.get("implementation", {}).get("milestones", [])
        wrong += [m["type"] for m in milestones if "type" in m and m["type"] not in MILESTONE_TYPES]
    wrong += [d["documentType"] for d in documents if d["documentType"] not in DOCUMENT_TYPES]
    wrong += [s["measure"] for s in release.get("bids", {}).get("statistics", []) if s["measure"] not in BID_MEASURES]
    return wrong


def _dates(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [
            v
            for k, v in node.items()
            if isinstance(v, str) and (k in ("date", "publishedDate") or k.endswith(("Date", "dateMet", "Published")))
        ] + [d for v in node.values() for d in _dates(v)]
    if isinstance(node, list):
        return [d for v in node for d in _dates(v)]
    return []


def check_package(package: Json, kind: str) -> Json:
    """Assert `package` is a valid OCDS 1.1 `kind` ("release" or "record") package; return it."""
    errors = sorted(_validators()[kind].iter_errors(package), key=lambda e: list(e.absolute_path))
    if "links" in package:
        # The pagination extension's `links`, checked by its own schema: its patch also empties the package's
        # `required`, which would weaken every other check.
        links = _load(DATA / "extensions" / "pagination" / f"{kind}-package-schema.json")["properties"]["links"]
        errors += list(Draft4Validator(links).iter_errors(package["links"]))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:20])
    releases = package["releases"] if kind == "release" else [r["compiledRelease"] for r in package["records"]]
    for release in releases:
        assert _open_codes(release) == [], release["id"]
    # Every date is an RFC 3339 date-time with its offset (the schema states the format but does not check it).
    for value in _dates(package):
        assert datetime.fromisoformat(value).utcoffset() is not None, value
    return package


@cache
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=release_schema())


def merged_by_reference(releases: list[Json]) -> Json:
    """The compiled release the reference implementation (ocdsmerge) makes of these releases."""
    compiled: Json = _merger().create_compiled_release(copy.deepcopy(releases))
    return compiled


async def check_every_record(api: Api) -> int:
    """Read every published task's record through the paged list and its releases one by one, checking each package
    against the schemas and each compiled release against the reference merge; return how many tasks there were."""
    seen: list[str] = []
    offset = 0
    while (r := await api.anon.get("/ocds/records", params={"limit": 100, "offset": offset})).status_code == 200:
        package = check_package(r.json(), "record")
        for rec in package["records"]:
            task_id = int(rec["ocid"].rsplit("-", 1)[1])
            releases = check_package(await api.anon.ok("GET", f"/ocds/tasks/{task_id}/releases"), "release")
            assert rec["compiledRelease"] == merged_by_reference(releases["releases"]), rec["ocid"]
            seen.append(rec["ocid"])
        offset += 100
    assert r.status_code == 404, r.text
    assert len(seen) == len(set(seen))
    return len(seen)
