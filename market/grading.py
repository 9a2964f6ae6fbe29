"""Final project evaluation grades (结项评价等级) from the committee's 0-100 score."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Final

__all__ = ["GRADE_THRESHOLDS", "MAX_SCORE", "MIN_SCORE", "Grade", "grade_for"]

MIN_SCORE: Final = 0
MAX_SCORE: Final = 100


class Grade(StrEnum):
    """The four grades a finished project can receive."""

    EXCELLENT = "excellent"
    GOOD = "good"
    PASS = "pass"  # noqa: S105 - the name of a grade, not a password
    FAIL = "fail"

    @property
    def label_zh(self) -> str:
        """Return the Chinese display label (优秀 / 良好 / 合格 / 不合格)."""
        return _LABELS_ZH[self]


_LABELS_ZH: Final = {
    Grade.EXCELLENT: "优秀",
    Grade.GOOD: "良好",
    Grade.PASS: "合格",
    Grade.FAIL: "不合格",
}

# Lowest score for each grade, best first; anything below the last threshold fails. Keep in step with seeds/002_*.
GRADE_THRESHOLDS: Final[tuple[tuple[int, Grade], ...]] = (
    (95, Grade.EXCELLENT),
    (85, Grade.GOOD),
    (75, Grade.PASS),
)


def grade_for(score: int | Decimal) -> Grade:
    """Return the grade for a final score: 优秀 >= 95, 良好 >= 85, 合格 >= 75, else 不合格; ValueError outside 0-100."""
    # bool and float are refused so a True or an inexact 94.99999 cannot slip through as a score.
    if isinstance(score, bool) or not isinstance(score, int | Decimal):
        raise TypeError(f"score must be int or Decimal, got {type(score).__name__}")
    if isinstance(score, Decimal) and not score.is_finite():
        raise ValueError(f"评价得分须为数字 (score must be a finite number, got {score})")
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise ValueError(f"评价得分须在 {MIN_SCORE} 到 {MAX_SCORE} 之间 (score must be {MIN_SCORE} to {MAX_SCORE})")
    for threshold, grade in GRADE_THRESHOLDS:
        if score >= threshold:
            return grade
    return Grade.FAIL
