"""Properties of comprehensive scoring (综合评分), checked on generated panels rather than hand-picked examples.

SPEC: a member's total is the sum of their marks (0..max per criterion, one decimal); a proposal's score is the mean
of the members' totals, dropping one highest and one lowest when five or more scored, rounded half-up to 2
decimals; rank by score desc, then first-criterion mean desc, then earlier submission; a member whose organisation
is on a proposal is recused from it. The ranking here runs through the same Board the service ranks with.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from market.grading import Grade, grade_for
from market.scoring import (
    DEFAULT_RUBRIC,
    RankEntry,
    first_criterion_mean,
    from_tenths,
    member_total,
    proposal_score,
    rank,
    to_tenths,
    validate_marks,
)
from market.services._scoring import Board, Mark, Ranked
from market.states import ProposalStatus

# Pure functions: a few hundred examples each run in well under a second; no deadline, so a loaded machine
# cannot turn a slow example into a failure.
FAST = settings(max_examples=100, deadline=None)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MAXIMA = [c.maximum for c in DEFAULT_RUBRIC]

# SPEC: from five members up, one highest and one lowest total are dropped (written out, not read from the code).
SPEC_TRIM_FROM = 5
# One member's marks for the default rubric, in integer tenths (0..max*10 per criterion); half the time on a coarse
# grid, so that equal scores, and so the tie-breaks, come up often.
fine_marks = st.tuples(*(st.integers(0, m * 10) for m in MAXIMA))
coarse_marks = st.tuples(*(st.sampled_from([0, 50, 100, 150]) for _ in MAXIMA))
member_marks = st.one_of(fine_marks, coarse_marks)


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (both >= 0) rounded half-up to a whole number, in integers only: the oracle."""
    return (2 * numerator + denominator) // (2 * denominator)


# A panel: proposals × members, each cell one member's marks for one proposal.
@st.composite
def panels(draw: st.DrawFn, min_proposals: int = 2) -> dict[str, Any]:
    n_proposals = draw(st.integers(min_proposals, 5))
    n_members = draw(st.integers(1, 7))
    # Half the panels mark on the coarse grid throughout, where equal scores with different first criteria abound.
    cell = draw(st.sampled_from([fine_marks, coarse_marks]))
    marks = [[draw(cell) for _ in range(n_members)] for _ in range(n_proposals)]
    # Submission minutes may collide, so the last tie-break (proposal id) gets exercised too.
    minutes = [draw(st.integers(0, 3)) for _ in range(n_proposals)]
    return {"marks": marks, "minutes": minutes, "members": n_members}


def board_of(panel: dict[str, Any], recusals: dict[int, int] | None = None) -> Board:
    """A Board as load_board builds it: members, ranked proposals, every member's mark of every proposal.

    `recusals` maps a proposal index to a member index whose organisation leads that proposal.
    """
    recusals = recusals or {}
    members = [SimpleNamespace(id=100 + j, organization_id=500 + j) for j in range(panel["members"])]
    proposals = [
        Ranked(
            id=i + 1,
            lead_org_id=900 + i,
            lead_org_name=f"org{i}",
            status=ProposalStatus.QUALIFIED,
            submitted_at=T0 + timedelta(minutes=panel["minutes"][i]),
            created_at=T0,
            orgs=frozenset({900 + i} | ({500 + recusals[i]} if i in recusals else set())),
        )
        for i in range(len(panel["marks"]))
    ]
    board = Board(task=None, rubric=DEFAULT_RUBRIC, members=members, proposals=proposals, undecided=0)  # type: ignore[arg-type]
    for i, row in enumerate(panel["marks"]):
        for j, cell in enumerate(row):
            board.scores[(i + 1, 100 + j)] = Mark(i + 1, 100 + j, sum(cell), cell[0])
    return board


def order(board: Board) -> list[int]:
    return [s.proposal.id for s in board.standings()]


@FAST
@given(panels(), st.randoms(use_true_random=False))
def test_the_order_proposals_and_members_arrive_in_does_not_change_the_ranking(panel: dict[str, Any], rnd: Any) -> None:
    board = board_of(panel)
    expected = order(board)
    shuffled = board_of(panel)
    rnd.shuffle(shuffled.proposals)
    rnd.shuffle(shuffled.members)
    assert order(shuffled) == expected
    entries = [RankEntry(s.proposal.id, s.score, s.first_mean, s.proposal.submitted_at) for s in board.standings()]
    rnd.shuffle(entries)
    assert [e.proposal_id for e in rank(entries)] == expected


@FAST
@given(panels(), st.data())
def test_a_proposal_whose_every_mark_rises_never_falls_in_rank(panel: dict[str, Any], data: st.DataObject) -> None:
    before = order(board_of(panel))
    k = data.draw(st.integers(0, len(panel["marks"]) - 1))
    raised = [
        tuple(mark + data.draw(st.integers(0, maximum * 10 - mark)) for mark, maximum in zip(cell, MAXIMA, strict=True))
        for cell in panel["marks"][k]
    ]
    better = panel | {"marks": [raised if i == k else row for i, row in enumerate(panel["marks"])]}
    after = order(board_of(better))
    assert after.index(k + 1) <= before.index(k + 1)


@FAST
@given(panels())
def test_ties_are_broken_by_first_criterion_mean_then_earlier_submission(panel: dict[str, Any]) -> None:
    standings = board_of(panel).standings()
    assert [s.rank for s in standings] == list(range(1, len(standings) + 1))
    for a, b in pairwise(standings):
        assert a.score >= b.score
        if a.score == b.score:
            assert a.first_mean >= b.first_mean
            if a.first_mean == b.first_mean:
                assert (a.proposal.submitted_at, a.proposal.id) < (b.proposal.submitted_at, b.proposal.id)


@FAST
@given(st.lists(member_marks, min_size=1, max_size=12))
def test_a_score_is_the_exact_trimmed_mean_rounded_half_up(cells: list[tuple[int, ...]]) -> None:
    totals_tenths = sorted(sum(c) for c in cells)
    kept = totals_tenths[1:-1] if len(cells) >= SPEC_TRIM_FROM else totals_tenths
    # The mean in hundredths is (sum of kept tenths) * 10 / (how many were kept).
    expected = Decimal(half_up(sum(kept) * 10, len(kept))).scaleb(-2)
    score = proposal_score([from_tenths(t) for t in totals_tenths])
    assert score == expected
    assert score is not None and score.as_tuple().exponent == -2
    assert from_tenths(kept[0]) <= score <= from_tenths(kept[-1])
    # The first criterion's mean (the tie-break) is the plain mean of every member, to 4 decimals, also exact.
    firsts = [c[0] for c in cells]
    exact = Decimal(half_up(sum(firsts) * 1000, len(firsts))).scaleb(-4)
    assert first_criterion_mean([from_tenths(f) for f in firsts]) == exact


@FAST
@given(panels(), st.data())
def test_a_recused_members_marks_never_count(panel: dict[str, Any], data: st.DataObject) -> None:
    k = data.draw(st.integers(0, len(panel["marks"]) - 1))
    j = data.draw(st.integers(0, panel["members"] - 1))
    recused = board_of(panel, recusals={k: j})
    # Whatever the recused member's stored marks for that proposal say, the standings are the same.
    other = data.draw(member_marks)
    changed = panel | {
        "marks": [
            [other if (i, jj) == (k, j) else cell for jj, cell in enumerate(row)]
            for i, row in enumerate(panel["marks"])
        ]
    }
    a = [(s.proposal.id, s.score, s.first_mean, s.totals) for s in recused.standings()]
    b = [(s.proposal.id, s.score, s.first_mean, s.totals) for s in board_of(changed, recusals={k: j}).standings()]
    assert a == b
    # And it is the score of the panel without them (a proposal nobody may score is not ranked at all).
    without = panel | {
        "marks": [[c for jj, c in enumerate(row) if (i, jj) != (k, j)] for i, row in enumerate(panel["marks"])]
    }
    mine = [s for s in recused.standings() if s.proposal.id == k + 1]
    cells = without["marks"][k]
    if not cells:
        assert mine == []
    else:
        assert 100 + j not in mine[0].totals
        assert mine[0].score == proposal_score([from_tenths(sum(c)) for c in cells])


@FAST
@given(panels(min_proposals=1))
def test_scores_follow_the_spec_from_marks_to_standings(panel: dict[str, Any]) -> None:
    """Each member's total is the sum of their marks, and a proposal's score the (trimmed) mean of those totals."""
    board = board_of(panel)
    for standing in board.standings():
        cells = panel["marks"][standing.proposal.id - 1]
        for j, cell in enumerate(cells):
            marks = validate_marks(
                DEFAULT_RUBRIC, {c.name: str(from_tenths(t)) for c, t in zip(DEFAULT_RUBRIC, cell, strict=True)}
            )
            assert standing.totals[100 + j] == member_total(marks) == from_tenths(sum(cell))
        assert standing.score == proposal_score(list(standing.totals.values()))


@FAST
@given(st.integers(0, 10**12))
def test_tenths_round_trip(tenths: int) -> None:
    assert to_tenths(from_tenths(tenths)) == tenths


@FAST
@given(st.integers(0, 100), st.integers(0, 100))
def test_final_grades_are_the_spec_tiers_and_never_fall_as_the_score_rises(a: int, b: int) -> None:
    tiers = [Grade.FAIL, Grade.PASS, Grade.GOOD, Grade.EXCELLENT]
    low, high = sorted((a, b))
    assert tiers.index(grade_for(low)) <= tiers.index(grade_for(high))
    expected = Grade.EXCELLENT if a >= 95 else Grade.GOOD if a >= 85 else Grade.PASS if a >= 75 else Grade.FAIL
    assert grade_for(a) == expected


def test_one_example_of_the_ranking_properties() -> None:
    """A fixed case for the reader: equal scores, the higher first-criterion mean first; raising B's marks lifts it."""
    panel = {"marks": [[(200, 200, 200, 100)], [(190, 210, 200, 100)]], "minutes": [1, 0], "members": 1}
    assert order(board_of(panel)) == [1, 2]
    lifted = panel | {"marks": [panel["marks"][0], [(250, 210, 200, 100)]]}
    assert order(board_of(lifted)) == [2, 1]
