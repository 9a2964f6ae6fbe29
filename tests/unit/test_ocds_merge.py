"""The OCDS merge rules (market/services/_ocds/_merge.py) against the reference implementation, ocdsmerge, on the
cases the rules name: objects merge field by field, arrays of identified objects merge on `id`, other arrays and the
schema's whole-list arrays are replaced, `null` removes a field, releases apply in date order whatever order they
come in, and a release's own id, date and tag never reach the compiled release."""

from __future__ import annotations

from typing import Any

import pytest

from market.services._ocds._merge import compile_releases
from tests.ocds import merged_by_reference

OCID = "jiebang-7"


def release(n: int, date: str, **body: Any) -> dict[str, Any]:
    return {"ocid": OCID, "id": f"{OCID}-{n}", "date": date, "tag": ["tender"], "initiationType": "tender", **body}


CASES = {
    "objects merge field by field": [
        release(
            1, "2026-01-01T00:00:00+00:00", tender={"id": "t", "title": "A", "value": {"amount": 1, "currency": "CNY"}}
        ),
        release(2, "2026-01-02T00:00:00+00:00", tender={"id": "t", "value": {"amount": 2}}),
    ],
    "identified objects merge on id, new ones appended": [
        release(1, "2026-01-01T00:00:00+00:00", parties=[{"id": "a", "name": "甲", "roles": ["tenderer"]}]),
        release(
            2,
            "2026-01-02T00:00:00+00:00",
            parties=[{"id": "b", "name": "乙", "roles": ["buyer"]}, {"id": "a", "roles": ["tenderer", "supplier"]}],
        ),
    ],
    "null removes a field": [
        release(1, "2026-01-01T00:00:00+00:00", tender={"id": "t", "title": "A", "description": "B"}),
        release(2, "2026-01-02T00:00:00+00:00", tender={"id": "t", "description": None}),
    ],
    "whole-list arrays are replaced, ids or not": [
        release(
            1,
            "2026-01-01T00:00:00+00:00",
            parties=[{"id": "a", "additionalIdentifiers": [{"id": "1", "scheme": "X"}, {"id": "2", "scheme": "Y"}]}],
        ),
        release(
            2, "2026-01-02T00:00:00+00:00", parties=[{"id": "a", "additionalIdentifiers": [{"id": "3", "scheme": "Z"}]}]
        ),
    ],
    "releases apply in date order, not in the order given": [
        release(2, "2026-01-02T00:00:00+00:00", tender={"id": "t", "status": "complete"}),
        release(1, "2026-01-01T00:00:00+00:00", tender={"id": "t", "status": "active", "title": "A"}),
    ],
    "nested identified arrays merge at every level": [
        release(
            1,
            "2026-01-01T00:00:00+00:00",
            awards=[{"id": "1", "status": "pending", "suppliers": [{"id": "a", "name": "甲"}]}],
        ),
        release(
            2, "2026-01-02T00:00:00+00:00", awards=[{"id": "1", "status": "active"}, {"id": "2", "status": "pending"}]
        ),
    ],
}


@pytest.mark.parametrize("releases", CASES.values(), ids=CASES.keys())
def test_compiled_release_is_the_reference_merge(releases: list[dict[str, Any]]) -> None:
    compiled = compile_releases(releases)
    assert compiled == merged_by_reference(releases)
    assert compiled["tag"] == ["compiled"]
    assert compiled["id"] == f"{OCID}-{max(r['date'] for r in releases)}"


def test_the_cases_say_what_they_claim() -> None:
    """The reference agrees with the cases' names, so a case cannot pass by both sides doing nothing."""
    assert compile_releases(CASES["null removes a field"])["tender"] == {"id": "t", "title": "A"}
    parties = compile_releases(CASES["identified objects merge on id, new ones appended"])["parties"]
    assert parties == [
        {"id": "a", "name": "甲", "roles": ["tenderer", "supplier"]},
        {"id": "b", "name": "乙", "roles": ["buyer"]},
    ]
    whole = compile_releases(CASES["whole-list arrays are replaced, ids or not"])["parties"][0]
    assert whole["additionalIdentifiers"] == [{"id": "3", "scheme": "Z"}]
    assert (
        compile_releases(CASES["releases apply in date order, not in the order given"])["tender"]["status"]
        == "complete"
    )
