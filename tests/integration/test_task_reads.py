"""The board and a task read as columns show the same links as the objects did: alliances in their order,
communities by id with their streets, needs by id, and empty lists (not nulls) where there are none."""

from __future__ import annotations

from typing import Any

from tests.factories import Api, posted_task, raised_need, secretary


async def _board_row(api: Api, title: str) -> dict[str, Any]:
    page = await api.anon.ok("GET", "/tasks", params={"q": title})
    assert page["total"] == 1, page
    row: dict[str, Any] = page["items"][0]
    return row


async def test_a_task_names_its_alliances_in_order_and_its_communities_with_their_streets(api: Api) -> None:
    alliances = await api.anon.ok("GET", "/alliances")
    in_order = [(a["code"], a["name"]) for a in alliances]
    first, second = await api.community(), await api.community()
    owner = await secretary(api, second)
    needs = [await raised_need(owner, api) for _ in range(2)]
    task = await posted_task(
        api,
        # Given out of order: the answer is in the alliances' order and by community id all the same.
        alliances=[code for code, _ in reversed(in_order[:3])],
        community_ids=[second["id"], first["id"]],
        need_ids=[needs[1]["id"], needs[0]["id"]],
    )
    expected_alliances = [{"code": code, "name": name} for code, name in in_order[:3]]
    by_id = sorted((first, second), key=lambda c: c["id"])
    expected_communities = [{"id": c["id"], "name": c["name"], "street": c["street_name"]} for c in by_id]
    row = await _board_row(api, task["title"])
    assert row["alliances"] == expected_alliances
    assert row["communities"] == expected_communities
    one = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert one["alliances"] == expected_alliances
    assert one["communities"] == expected_communities
    assert one["need_ids"] == sorted(n["id"] for n in needs)
    # The page's cards do not show them, and the board reads them only for the JSON list.
    assert task["title"] in (await api.client.get("/tasks", params={"q": task["title"]})).text


async def test_a_task_without_communities_or_needs_lists_none(api: Api) -> None:
    task = await posted_task(api)
    row = await _board_row(api, task["title"])
    assert (row["alliances"], row["communities"]) == ([{"code": "new-orgs", "name": row["alliances"][0]["name"]}], [])
    one = await api.anon.ok("GET", f"/tasks/{task['id']}")
    assert (one["communities"], one["need_ids"]) == ([], [])


async def test_a_page_past_the_end_still_counts_every_match(api: Api) -> None:
    task = await posted_task(api)
    page = await api.anon.ok("GET", "/tasks", params={"q": task["title"], "offset": 20})
    assert (page["total"], page["items"]) == (1, [])
