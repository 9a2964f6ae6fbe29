"""Comprehensive scoring (综合评分): rubric, marks, proposal score and ranking, with worked numbers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from market.scoring import (
    DEFAULT_RUBRIC,
    Criterion,
    MarkError,
    RankEntry,
    RubricError,
    first_criterion_mean,
    from_tenths,
    member_total,
    proposal_score,
    rank,
    to_tenths,
    validate_marks,
    validate_rubric,
)
from tests.unit.said import raises_saying, said


def d(*values: str) -> list[Decimal]:
    return [Decimal(value) for value in values]


# --- rubric -----------------------------------------------------------------------------------------------------


def test_default_rubric_is_valid_and_sums_to_100() -> None:
    assert validate_rubric(DEFAULT_RUBRIC) == DEFAULT_RUBRIC
    assert [c.name for c in DEFAULT_RUBRIC] == ["专业能力", "工作思路", "预期效果", "预算合理性"]
    assert sum(c.maximum for c in DEFAULT_RUBRIC) == 100


def test_rubric_names_are_stripped() -> None:
    cleaned = validate_rubric([Criterion("  专业能力 ", 60), Criterion("\t预算合理性", 40)])
    assert cleaned == (Criterion("专业能力", 60), Criterion("预算合理性", 40))


def test_single_criterion_worth_100_is_a_valid_rubric() -> None:
    assert validate_rubric([Criterion("综合", 100)]) == (Criterion("综合", 100),)


def test_ten_criteria_are_allowed() -> None:
    rubric = [Criterion(f"项目{i}", 10) for i in range(10)]
    assert len(validate_rubric(rubric)) == 10


def test_more_than_ten_criteria_are_rejected() -> None:
    # 10 * 9 + 10 = 100, so only the count is wrong.
    rubric = [Criterion(f"项目{i}", 9) for i in range(10)] + [Criterion("项目10", 10)]
    with raises_saying(RubricError, "at most 10"):
        validate_rubric(rubric)


def test_empty_rubric_is_rejected() -> None:
    with raises_saying(RubricError, "at least one criterion"):
        validate_rubric([])


@pytest.mark.parametrize(("last_maximum", "total"), [(14, 99), (16, 101)])
def test_rubric_maxima_must_sum_to_exactly_100(last_maximum: int, total: int) -> None:
    rubric = [*DEFAULT_RUBRIC[:3], Criterion("预算合理性", last_maximum)]
    with raises_saying(RubricError, f"maxima add up to {total}, must be 100") as caught:
        validate_rubric(rubric)
    assert said(caught.value, "zh-CN").endswith("须为 100")


@pytest.mark.parametrize("second_name", ["专业能力", " 专业能力 "])
def test_duplicate_criterion_names_are_rejected(second_name: str) -> None:
    with raises_saying(RubricError, "duplicate criterion") as caught:
        validate_rubric([Criterion("专业能力", 50), Criterion(second_name, 50)])
    assert caught.value.index == 1


def test_criterion_names_differing_only_in_case_are_duplicates() -> None:
    with raises_saying(RubricError, "duplicate criterion"):
        validate_rubric([Criterion("Budget", 50), Criterion("budget", 50)])


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_criterion_name_is_rejected(name: str) -> None:
    with raises_saying(RubricError, "criterion 2 has no name") as caught:
        validate_rubric([Criterion("专业能力", 50), Criterion(name, 50)])
    assert caught.value.index == 1


def test_criterion_name_may_be_50_characters_but_not_51() -> None:
    assert validate_rubric([Criterion("名" * 50, 100)])[0].name == "名" * 50
    with raises_saying(RubricError, "longer than 50"):
        validate_rubric([Criterion("名" * 51, 100)])


@pytest.mark.parametrize("maximum", [0, -5, True, 50.0, "50", None])
def test_criterion_maximum_must_be_a_positive_int(maximum: object) -> None:
    rubric = [Criterion("专业能力", 50), Criterion("工作思路", maximum)]  # type: ignore[arg-type]
    with raises_saying(RubricError, "must be a whole number of at least 1") as caught:
        validate_rubric(rubric)
    assert caught.value.index == 1


def test_rubric_and_mark_errors_are_value_errors() -> None:
    assert issubclass(RubricError, ValueError)
    assert issubclass(MarkError, ValueError)


# --- marks --------------------------------------------------------------------------------------------------------


GOOD_MARKS: Mapping[str, Decimal | int | str] = {
    "专业能力": Decimal("27.5"),
    "工作思路": 26,
    "预期效果": "20.5",
    "预算合理性": " 12 ",
}


def test_marks_are_returned_as_one_decimal_decimals_in_rubric_order() -> None:
    marks = validate_marks(DEFAULT_RUBRIC, GOOD_MARKS)
    assert list(marks) == ["专业能力", "工作思路", "预期效果", "预算合理性"]
    assert [str(value) for value in marks.values()] == ["27.5", "26.0", "20.5", "12.0"]


def test_zero_and_the_maximum_are_both_allowed() -> None:
    marks = validate_marks(DEFAULT_RUBRIC, {"专业能力": 0, "工作思路": "30", "预期效果": "25.0", "预算合理性": 15})
    assert marks == {"专业能力": 0, "工作思路": 30, "预期效果": 25, "预算合理性": 15}


def test_trailing_zero_beyond_one_decimal_is_accepted() -> None:
    # "30.50" has the value 30.5, which is one decimal place; only the value's precision matters.
    marks = validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": "29.50"})
    assert str(marks["专业能力"]) == "29.5"


def test_negative_zero_is_stored_as_zero() -> None:
    marks = validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": "-0"})
    assert str(marks["专业能力"]) == "0.0"


@pytest.mark.parametrize("value", ["30.05", Decimal("12.25"), "0.01", Decimal("29.99")])
def test_mark_with_two_decimals_is_rejected(value: Decimal | str) -> None:
    with raises_saying(MarkError, "at most one decimal place") as caught:
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": value})
    assert caught.value.criterion == "专业能力"


def test_mark_with_a_30_digit_fraction_is_rejected_exactly() -> None:
    # A context-precision (28 digit) check would round this to 30.0 and let it through.
    with raises_saying(MarkError, "at most one decimal place"):
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": "29.0000000000000000000000000001"})


@pytest.mark.parametrize(
    ("value", "message"), [("1E-999999999", "at most one decimal place"), ("1E+999999999", "must be 0 to 30")]
)
def test_marks_with_extreme_exponents_are_rejected_without_expanding_them(value: str, message: str) -> None:
    # Typed into a form, these must fail at once rather than build a billion-digit number.
    with raises_saying(MarkError, message):
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": value})


@pytest.mark.parametrize(("value", "maximum"), [("31", 30), (31, 30), ("30.1", 30), ("-0.1", 30), (-1, 30)])
def test_mark_outside_zero_to_maximum_is_rejected(value: str | int, maximum: int) -> None:
    with raises_saying(MarkError, f"must be 0 to {maximum}") as caught:
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "专业能力": value})
    assert caught.value.criterion == "专业能力"
    assert said(caught.value, "zh-CN").startswith("「专业能力」")


def test_mark_above_a_smaller_maximum_is_rejected() -> None:
    with raises_saying(MarkError, "must be 0 to 15"):
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "预算合理性": "15.1"})


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        True,
        False,
        27.5,
        None,
        "",
        "abc",
        "二十",
    ],
)
def test_mark_that_is_not_a_finite_number_is_rejected(value: object) -> None:
    with raises_saying(MarkError, "must be a") as caught:
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "工作思路": value})  # type: ignore[dict-item]
    assert caught.value.criterion == "工作思路"


def test_missing_criterion_is_rejected() -> None:
    marks = {name: value for name, value in GOOD_MARKS.items() if name != "预期效果"}
    with raises_saying(MarkError, "missing mark for 预期效果") as caught:
        validate_marks(DEFAULT_RUBRIC, marks)
    assert caught.value.criterion == "预期效果"
    assert said(caught.value, "zh-CN").startswith("缺少评分项")


def test_extra_criterion_is_rejected() -> None:
    with raises_saying(MarkError, "unknown criterion 创新性") as caught:
        validate_marks(DEFAULT_RUBRIC, {**GOOD_MARKS, "创新性": 5})
    assert caught.value.criterion == "创新性"


def test_criterion_names_in_marks_must_match_exactly() -> None:
    marks = {("专业能力 " if name == "专业能力" else name): value for name, value in GOOD_MARKS.items()}
    with raises_saying(MarkError, "missing mark for 专业能力"):
        validate_marks(DEFAULT_RUBRIC, marks)


def test_member_total_is_the_sum_of_marks() -> None:
    # 27.5 + 26.0 + 20.5 + 12.0 = 86.0
    assert member_total(validate_marks(DEFAULT_RUBRIC, GOOD_MARKS)) == Decimal("86.0")


def test_member_total_of_no_marks_is_zero() -> None:
    assert member_total({}) == 0


# --- proposal score -------------------------------------------------------------------------------------------------


def test_no_totals_means_no_score() -> None:
    assert proposal_score([]) is None


def test_single_member_score_is_their_total_to_two_decimals() -> None:
    assert str(proposal_score(d("77.7"))) == "77.70"


def test_fewer_than_five_members_take_the_plain_mean() -> None:
    # 80 + 85.5 + 90 = 255.5;  255.5 / 3 = 85.1666...  -> 85.17
    assert proposal_score(d("80", "85.5", "90")) == Decimal("85.17")


def test_four_members_are_not_trimmed() -> None:
    # 50 + 80 + 90 + 100 = 320;  320 / 4 = 80  -> 80.00  (trimming would have given (80 + 90) / 2 = 85)
    assert str(proposal_score(d("50", "80", "90", "100"))) == "80.00"


def test_five_or_more_members_drop_one_highest_and_one_lowest() -> None:
    # Drop 70 and 99:  80 + 82.5 + 90 = 252.5;  252.5 / 3 = 84.1666...  -> 84.17
    assert proposal_score(d("70", "80", "82.5", "90", "99")) == Decimal("84.17")


def test_trimming_does_not_depend_on_input_order() -> None:
    assert proposal_score(d("99", "70", "90", "80", "82.5")) == Decimal("84.17")


def test_six_members_still_drop_only_one_highest_and_one_lowest() -> None:
    # Drop 60 and 95:  75 + 80 + 85 + 90 = 330;  330 / 4 = 82.5  -> 82.50
    assert str(proposal_score(d("60", "75", "80", "85", "90", "95"))) == "82.50"


def test_seven_members_still_drop_only_one_highest_and_one_lowest() -> None:
    # Drop 40 and 89:  81.5 + 83 + 84.5 + 86 + 87.5 = 422.5;  422.5 / 5 = 84.5  -> 84.50
    assert proposal_score(d("81.5", "83", "84.5", "86", "87.5", "89", "40")) == Decimal("84.50")


def test_duplicate_highest_totals_drop_only_one_of_them() -> None:
    # Drop 70 and ONE 95:  80 + 90 + 95 = 265;  265 / 3 = 88.333...  -> 88.33
    # (dropping both 95s would give (80 + 90) / 2 = 85.00)
    assert proposal_score(d("70", "80", "90", "95", "95")) == Decimal("88.33")


def test_duplicate_lowest_totals_drop_only_one_of_them() -> None:
    # Drop ONE 60 and 100:  60 + 80 + 90 = 230;  230 / 3 = 76.666...  -> 76.67
    assert proposal_score(d("60", "60", "80", "90", "100")) == Decimal("76.67")


def test_all_equal_totals_give_that_total() -> None:
    assert str(proposal_score(d("88.8", "88.8", "88.8", "88.8", "88.8"))) == "88.80"


def test_exact_half_cent_rounds_up() -> None:
    # 85 + 85 + 85 + 85.1 = 340.1;  340.1 / 4 = 85.025 exactly  -> 85.03
    # (banker's rounding would give 85.02, and so would float: 85.025 is stored as 85.02499999...)
    assert proposal_score(d("85", "85", "85", "85.1")) == Decimal("85.03")


def test_exact_half_cent_rounds_up_after_trimming() -> None:
    # Six members, drop 60 and 100:  85 + 85 + 85 + 85.1 = 340.1;  340.1 / 4 = 85.025  -> 85.03
    assert proposal_score(d("100", "85", "60", "85", "85.1", "85")) == Decimal("85.03")


def test_just_below_half_cent_rounds_down() -> None:
    # 80 + 80 + 80.1 = 240.1;  240.1 / 3 = 80.0333...  -> 80.03
    assert proposal_score(d("80", "80", "80.1")) == Decimal("80.03")


def test_thirds_round_on_the_exact_mean() -> None:
    # 0.1 + 0 + 0 = 0.1;  0.1 / 3 = 0.0333...  -> 0.03;   0.2 / 3 = 0.0666...  -> 0.07
    assert proposal_score(d("0.1", "0", "0")) == Decimal("0.03")
    assert proposal_score(d("0.2", "0", "0")) == Decimal("0.07")


def test_worked_example_from_marks_to_score() -> None:
    # Five members mark one proposal on the default rubric (专业能力 / 工作思路 / 预期效果 / 预算合理性):
    #   A: 28   + 27   + 22   + 13   = 90.0
    #   B: 25.5 + 24   + 20   + 12.5 = 82.0
    #   C: 30   + 29.5 + 24.5 + 15   = 99.0   <- highest, dropped
    #   D: 20   + 18   + 15   + 9.5  = 62.5   <- lowest, dropped
    #   E: 26   + 25   + 21.5 + 14   = 86.5
    # Score: (90.0 + 82.0 + 86.5) / 3 = 258.5 / 3 = 86.1666...  -> 86.17
    # First-criterion mean (untrimmed): (28 + 25.5 + 30 + 20 + 26) / 5 = 129.5 / 5 = 25.9  -> 25.9000
    sheets = [
        ("28", "27", "22", "13"),
        ("25.5", "24", "20", "12.5"),
        ("30", "29.5", "24.5", "15"),
        ("20", "18", "15", "9.5"),
        ("26", "25", "21.5", "14"),
    ]
    names = [c.name for c in DEFAULT_RUBRIC]
    members = [validate_marks(DEFAULT_RUBRIC, dict(zip(names, sheet, strict=True))) for sheet in sheets]
    totals = [member_total(marks) for marks in members]
    assert totals == d("90.0", "82.0", "99.0", "62.5", "86.5")
    assert proposal_score(totals) == Decimal("86.17")
    assert str(first_criterion_mean([marks["专业能力"] for marks in members])) == "25.9000"


# --- first-criterion mean ---------------------------------------------------------------------------------------


def test_first_criterion_mean_is_rounded_half_up_to_four_decimals() -> None:
    # 28 + 27.5 + 26 = 81.5;  81.5 / 3 = 27.1666...  -> 27.1667
    assert str(first_criterion_mean(d("28", "27.5", "26"))) == "27.1667"


def test_first_criterion_mean_is_not_trimmed() -> None:
    # (10 + 20 + 25 + 28 + 30) / 5 = 113 / 5 = 22.6  -> 22.6000  (trimmed would be 73 / 3 = 24.3333)
    assert first_criterion_mean(d("10", "20", "25", "28", "30")) == Decimal("22.6000")


def test_first_criterion_mean_exact_half_rounds_up() -> None:
    # Fifteen zeros and one 0.1:  0.1 / 16 = 0.00625 exactly  -> 0.0063 (half-even would give 0.0062)
    assert first_criterion_mean(d(*["0"] * 15, "0.1")) == Decimal("0.0063")


def test_first_criterion_mean_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no first-criterion marks"):
        first_criterion_mean([])


# --- ranking --------------------------------------------------------------------------------------------------------


def entry(proposal_id: int, score: str, first: str, hour: int, minute: int = 0) -> RankEntry:
    return RankEntry(
        proposal_id=proposal_id,
        score=Decimal(score),
        first_criterion_mean=Decimal(first),
        submitted_at=datetime(2025, 3, 1, hour, minute, tzinfo=UTC),
    )


def test_rank_orders_by_score_descending() -> None:
    low, high, middle = entry(1, "70.00", "20", 9), entry(2, "90.00", "20", 9), entry(3, "85.17", "20", 9)
    assert rank([low, high, middle]) == [high, middle, low]


def test_rank_compares_scores_as_numbers_not_text() -> None:
    # As text "9.50" > "85.00"; as numbers 85 wins.
    nine, eighty_five = entry(1, "9.50", "5", 9), entry(2, "85.00", "25", 9)
    assert rank([nine, eighty_five]) == [eighty_five, nine]


def test_equal_scores_are_broken_by_higher_first_criterion_mean() -> None:
    a = entry(1, "85.17", "27.0000", 9)
    b = entry(2, "85.17", "28.5000", 10)  # submitted later but stronger on 专业能力
    assert rank([a, b]) == [b, a]


def test_scores_equal_in_value_but_not_in_form_still_tie() -> None:
    a = entry(1, "85.1", "26", 9)
    b = entry(2, "85.10", "27", 9)
    assert rank([a, b]) == [b, a]


def test_equal_score_and_first_criterion_mean_are_broken_by_earlier_submission() -> None:
    early = entry(7, "85.17", "27.0000", 9, 59)
    late = entry(3, "85.17", "27.0000", 10, 0)
    assert rank([late, early]) == [early, late]


def test_complete_ties_are_broken_by_proposal_id() -> None:
    first, second = entry(4, "85.17", "27", 9), entry(9, "85.17", "27", 9)
    assert rank([second, first]) == [first, second]


def test_rank_applies_all_tie_breaks_together() -> None:
    top = entry(5, "90.00", "20.0000", 12)  # best score wins despite weakest first criterion and latest submission
    strong_first = entry(1, "85.17", "28.0000", 11)
    early_small_id = entry(4, "85.17", "27.0000", 9)
    early_large_id = entry(9, "85.17", "27.0000", 9)
    late = entry(3, "85.17", "27.0000", 10)
    assert rank([late, early_large_id, top, strong_first, early_small_id]) == [
        top,
        strong_first,
        early_small_id,
        early_large_id,
        late,
    ]


def test_rank_returns_a_new_list_and_leaves_the_input_alone() -> None:
    entries = [entry(1, "70", "20", 9), entry(2, "90", "20", 9)]
    ranked = rank(entries)
    assert ranked == [entries[1], entries[0]]
    assert [e.proposal_id for e in entries] == [1, 2]


def test_rank_of_nothing_is_empty() -> None:
    assert rank([]) == []


# --- storage as tenths ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tenths"),
    [(Decimal("30.5"), 305), (Decimal("0"), 0), (Decimal("0.1"), 1), (Decimal("100"), 1000), (Decimal("29.50"), 295)],
)
def test_marks_convert_to_integer_tenths(value: Decimal, tenths: int) -> None:
    assert to_tenths(value) == tenths


@pytest.mark.parametrize(("tenths", "text"), [(305, "30.5"), (300, "30.0"), (0, "0.0"), (1, "0.1"), (1000, "100.0")])
def test_integer_tenths_convert_back_to_one_decimal(tenths: int, text: str) -> None:
    assert str(from_tenths(tenths)) == text


def test_every_mark_survives_the_round_trip_through_tenths() -> None:
    for tenths in range(0, 1001):
        value = from_tenths(tenths)
        assert to_tenths(value) == tenths
        assert value == validate_marks([Criterion("综合", 100)], {"综合": value})["综合"]


@pytest.mark.parametrize("value", [Decimal("30.05"), Decimal("NaN"), Decimal("Infinity")])
def test_values_finer_than_a_tenth_or_not_finite_cannot_be_stored(value: Decimal) -> None:
    with pytest.raises(ValueError, match=r"tenths|finite"):
        to_tenths(value)


def test_values_too_large_for_a_64_bit_column_cannot_be_stored() -> None:
    assert to_tenths(Decimal("99999999999999999.9")) == 999_999_999_999_999_999
    with pytest.raises(ValueError, match="too large"):
        to_tenths(Decimal("100000000000000000"))
    with pytest.raises(ValueError, match="too large"):
        to_tenths(Decimal("1E+999999999"))


@pytest.mark.parametrize("value", [True, 30.5, "30.5"])
def test_to_tenths_refuses_non_decimal_types(value: object) -> None:
    with pytest.raises(TypeError):
        to_tenths(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, 30.5, "305"])
def test_from_tenths_refuses_non_int_types(value: object) -> None:
    with pytest.raises(TypeError):
        from_tenths(value)  # type: ignore[arg-type]
