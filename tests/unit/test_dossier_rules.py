"""The award dossier's pure rules: panel letters, criterion means, and what a debrief may show."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from market.schemas._dossiers import (
    DossierAudit,
    DossierAward,
    DossierCriterion,
    DossierDocument,
    DossierPanel,
    DossierStanding,
    DossierTask,
    QualificationDecision,
)
from market.scoring import criterion_mean
from market.services._dossiers import debrief_from, letter

AT = datetime(2026, 3, 13, 1, 0, tzinfo=UTC)


def test_panel_letters_run_a_to_z_then_aa_like_spreadsheet_columns() -> None:
    assert [letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    assert len({letter(i) for i in range(1000)}) == 1000


def test_a_criterion_mean_is_exact_then_rounded_half_up_to_two_places() -> None:
    assert criterion_mean([Decimal("27.5"), Decimal("28"), Decimal("26.5")]) == Decimal("27.33")
    # 0.5 / 3 = 0.1666… → 0.17; an exact half goes up: 0.1 / 4 = 0.025 → 0.03
    assert criterion_mean([Decimal("0.1"), Decimal("0.2"), Decimal("0.2")]) == Decimal("0.17")
    assert criterion_mean([Decimal("0.1"), Decimal("0"), Decimal("0"), Decimal("0")]) == Decimal("0.03")
    with pytest.raises(ValueError):
        criterion_mean([])


def _standing(pid: int, rank: int, score: str) -> DossierStanding:
    return DossierStanding(pid, f"组织{pid}", rank, score, score, {"专业能力": score}, [], [])


def _doc(awarded: int) -> DossierDocument:
    return DossierDocument(
        version=1,
        task=DossierTask(1, "助餐", "虎山路街道", 5_000_000, AT),
        award=DossierAward(9, awarded, f"组织{awarded}", 1, "90.00", False, "", AT, AT),
        rubric=[DossierCriterion("专业能力", 100)],
        panel=DossierPanel(False, []),
        standings=[_standing(1, 1, "90.00"), _standing(2, 2, "80.00"), _standing(3, 3, "70.00")],
        qualification=[
            QualificationDecision(1, "组织1", True, ""),
            QualificationDecision(2, "组织2", True, ""),
            QualificationDecision(3, "组织3", True, ""),
            QualificationDecision(4, "组织4", False, "材料不全"),
        ],
        questions=[],
        amendments=[],
        audit=DossierAudit(10, "0" * 64),
    )


def test_a_debrief_holds_the_readers_line_and_the_winners_and_no_other() -> None:
    doc = _doc(awarded=1)
    third = debrief_from(doc, 9, 3)
    assert third is not None and third.own is not None and third.winner is not None
    assert (third.own.proposal_id, third.own.rank, third.winner.proposal_id, third.ranked) == (3, 3, 1, 3)
    assert third.disqualified_reason is None
    assert "组织2" not in repr(third)


def test_the_winner_and_a_stranger_get_no_debrief_and_a_disqualified_proposal_its_reason() -> None:
    doc = _doc(awarded=1)
    assert debrief_from(doc, 9, 1) is None
    assert debrief_from(doc, 9, 99) is None
    out = debrief_from(doc, 9, 4)
    assert out is not None and (out.own, out.winner, out.disqualified_reason) == (None, None, "材料不全")
