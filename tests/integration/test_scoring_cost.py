"""What a scoring submit and the ranking cost: counted, not loaded, and the same however large the board.

A submit decides whether the panel is complete from counts the database makes (`_progress`), while reads decide it
from the loaded board; the first tests hold the two to the same answer where recusal makes it subtle.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from litestar import Litestar

from tests.factories import Api, audit_trail, marks_for, problem, score_all, task_in_review
from tests.statements import statements


async def _ranking_complete(api: Api, task_id: int) -> bool:
    return bool((await api.committee.ok("GET", f"/tasks/{task_id}/ranking"))["complete"])


async def test_the_submit_that_completes_a_panel_with_a_recused_member_says_so_and_only_it(api: Api) -> None:
    # Member 0 works for the lead of proposal 0: two marks are owed for it, three for proposal 1.
    review = await task_in_review(api, proposals=2, panel=3, member_of={0: 0})
    owed = [(0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    for n, (i, j) in enumerate(owed, start=1):
        done = await review.panel[j].ok(
            "PUT", f"/proposals/{review.pid(i)}/scores", status=200, json={"marks": marks_for(str(70 + n))}
        )
        assert done["panel_complete"] is (n == len(owed))
        assert await _ranking_complete(api, review.task_id) is (n == len(owed))
    trail = [action for action, _, _ in await audit_trail(api, "task", review.task_id)]
    assert trail.count("scores_complete") == 1
    problem(await review.panel[1].put(f"/proposals/{review.pid(0)}/scores", json={"marks": marks_for("99")}), 409)


async def test_no_submit_completes_a_panel_while_every_member_is_recused_from_a_proposal(api: Api) -> None:
    review = await task_in_review(api, proposals=2, panel=2, member_of={0: 0, 1: 0})
    for member in review.panel:
        done = await member.ok("PUT", f"/proposals/{review.pid(1)}/scores", status=200, json={"marks": marks_for("80")})
        assert done["panel_complete"] is False
    assert await _ranking_complete(api, review.task_id) is False


def _sql(app: Litestar) -> AbstractContextManager[list[str]]:
    """The SQL statements the app sends while the block runs (transaction control left out)."""
    return statements(app.state["alchemy"].get_engine(), transaction_control=False)


async def test_the_ranking_asks_the_same_statements_for_one_proposal_as_for_four(api: Api, app: Litestar) -> None:
    counts = []
    for size in (1, 4):
        review = await task_in_review(api, proposals=size, panel=2)
        await score_all(review, [[marks_for("80"), marks_for("70")] for _ in range(size)])
        await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
        with _sql(app) as seen:
            ranking = await api.committee.ok("GET", f"/tasks/{review.task_id}/ranking")
        assert ranking["complete"] is True
        assert len(ranking["rows"]) == size
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


async def test_a_submit_reads_no_other_marks_and_the_same_statements_however_large_the_board(
    api: Api, app: Litestar
) -> None:
    counts = []
    for size in (1, 4):
        # Member 2 never scores, so no submit here completes the panel (that one reads the board, once).
        review = await task_in_review(api, proposals=size, panel=3)
        await score_all(review, [[None, marks_for("70"), None] for _ in range(size)])
        for action in ("score", "rescore"):
            with _sql(app) as seen:
                done = await review.panel[0].ok(
                    "PUT", f"/proposals/{review.pid(0)}/scores", status=200, json={"marks": marks_for("80")}
                )
            assert done["panel_complete"] is False
            counts.append((action, len(seen)))
            # Only the member's own marks for this proposal are read: nobody else's, not the board's.
            read = [sql for sql in seen if sql.lstrip().upper().startswith("SELECT") and "marks_tenths" in sql]
            assert len(read) == 1, read
            assert "scores.user_id =" in read[0], read
    assert counts[:2] == counts[2:], counts
