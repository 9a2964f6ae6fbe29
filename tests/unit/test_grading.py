"""Final project evaluation grades: 优秀 >= 95, 良好 >= 85, 合格 >= 75, 不合格 below 75."""

from __future__ import annotations

from decimal import Decimal

import pytest

from market.grading import Grade, grade_for


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (100, Grade.EXCELLENT),
        (Decimal("95"), Grade.EXCELLENT),
        (95, Grade.EXCELLENT),
        (Decimal("94.9"), Grade.GOOD),
        (Decimal("94.99"), Grade.GOOD),
        (85, Grade.GOOD),
        (Decimal("85.0"), Grade.GOOD),
        (Decimal("84.9"), Grade.PASS),
        (75, Grade.PASS),
        (Decimal("74.9"), Grade.FAIL),
        (74, Grade.FAIL),
        (0, Grade.FAIL),
        (Decimal("0.0"), Grade.FAIL),
    ],
)
def test_grade_thresholds_are_inclusive_lower_bounds(score: int | Decimal, grade: Grade) -> None:
    assert grade_for(score) is grade


@pytest.mark.parametrize("score", [-1, 101, Decimal("-0.1"), Decimal("100.1")])
def test_score_outside_0_to_100_is_rejected(score: int | Decimal) -> None:
    with pytest.raises(ValueError, match="score must be 0 to 100"):
        grade_for(score)


@pytest.mark.parametrize("score", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_score_that_is_not_finite_is_rejected(score: Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        grade_for(score)


@pytest.mark.parametrize("score", [True, 95.0, "95", None])
def test_score_must_be_int_or_decimal(score: object) -> None:
    with pytest.raises(TypeError):
        grade_for(score)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("grade", "value", "label"),
    [
        (Grade.EXCELLENT, "excellent", "优秀"),
        (Grade.GOOD, "good", "良好"),
        (Grade.PASS, "pass", "合格"),
        (Grade.FAIL, "fail", "不合格"),
    ],
)
def test_each_grade_has_a_stored_value_and_a_chinese_label(grade: Grade, value: str, label: str) -> None:
    assert grade == value
    assert Grade(value) is grade
    assert grade.label_zh == label


def test_there_are_exactly_four_grades() -> None:
    assert [grade.value for grade in Grade] == ["excellent", "good", "pass", "fail"]
