"""Server-drawn SVG bar charts: well-formed, labelled for screen readers, scaled by viewBox, never colour alone."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from market.charts import (
    INK,
    MUTED,
    PALETTE,
    PAPER,
    WIDTH,
    Series,
    bar_chart,
    column_chart,
    contrast,
    nice_ticks,
    text_width,
)
from market.i18n import t
from market.pages._stats import buckets
from market.services._stats import MonthCounts, months_between

CSS = (Path(__file__).resolve().parents[2] / "static" / "site.css").read_text(encoding="utf-8")
EXTERNAL = re.compile(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", re.IGNORECASE)
THREE = [Series("发榜", [3, 5, 0]), Series("揭榜", [2, 4, 0]), Series("承榜", [1, 4, 0])]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter("rect") if r.get("class") == "bar"]


def test_a_column_chart_is_an_accessible_image_scaled_by_its_viewbox() -> None:
    svg = column_chart("c-month", "每月发榜", ["1月", "2月", "3月"], THREE, summary="数字见表格")
    root = parse(svg)
    assert root.tag == "svg" and root.get("role") == "img"
    assert root.get("aria-label") == "每月发榜. 数字见表格"
    assert root.find("title") is not None and root.find("title").text == "每月发榜"  # type: ignore[union-attr]
    assert root.find("desc") is not None
    assert root.get("width") == "100%" and root.get("height") is None
    assert root.get("viewBox", "").startswith(f"0 0 {WIDTH} ")
    assert root.get("xmlns") is None and not EXTERNAL.search(str(svg))


def test_each_value_is_one_bar_and_heights_follow_the_values() -> None:
    root = parse(column_chart("c", "t", ["a", "b", "c"], THREE))
    drawn = bars(root)
    legend, plotted = drawn[:3], drawn[3:]
    assert [b.get("data-series") for b in legend] == ["0", "1", "2"]  # one swatch per series
    # One bar per value, group by group (a, b, c), each group in series order, left to right on one baseline.
    values = [s.values[g] for g in range(3) for s in THREE]  # a (3, 2, 1), b (5, 4, 4), c (0, 0, 0)
    assert [b.get("data-series") for b in plotted] == ["0", "1", "2"] * 3
    xs = [float(b.get("x", 0)) for b in plotted]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)
    baselines = {round(float(b.get("y", 0)) + float(b.get("height", 0)), 1) for b in plotted}
    assert len(baselines) == 1
    baseline = baselines.pop()
    # Heights in proportion to the values: a zero is a bar of no height, its value still in the table.
    heights = [float(b.get("height", 0)) for b in plotted]
    per_unit = heights[0] / values[0]
    assert heights == pytest.approx([v * per_unit for v in values], abs=0.05)
    # …and to the axis: its ticks (0 to 5) stand as high above the baseline as a bar of that value would.
    ticks = {int(t.text or ""): float(t.get("y", 0)) - 4 for t in root.iter("text") if t.get("text-anchor") == "end"}
    assert sorted(ticks) == [0, 1, 2, 3, 4, 5]
    assert [baseline - ticks[n] for n in sorted(ticks)] == pytest.approx(
        [n * per_unit for n in sorted(ticks)], abs=0.05
    )
    assert [v.text for v in root.iter("text") if v.get("class") == "value"] == [str(v) for v in values]


def test_series_differ_by_pattern_not_only_by_colour() -> None:
    svg = str(column_chart("c", "t", ["a", "b", "c"], THREE))
    root = parse(svg)
    fills = [b.get("fill") for b in bars(root)[3:6]]
    assert fills[0] == PALETTE[0]  # solid
    assert fills[1] == "url(#c-s1)" and fills[2] == "url(#c-s2)"
    assert {p.get("id") for p in root.iter("pattern")} == {"c-s1", "c-s2"}
    # Outlines in the series' colour keep every bar's edge visible against white.
    assert [b.get("stroke") for b in bars(root)[3:6]] == list(PALETTE[:3])


def test_palette_comes_from_the_site_and_contrasts_with_white() -> None:
    for colour in PALETTE:
        assert colour in CSS, colour
        assert contrast(colour, PAPER) >= 3.0
    for text in (INK, MUTED):
        assert text in CSS and contrast(text, PAPER) >= 4.5
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)


def test_a_bar_chart_prints_every_value_beside_its_bar_and_escapes_labels() -> None:
    svg = bar_chart(
        "c-alliance",
        "各联盟 <发榜>",
        ["新型社会组织联盟", "志愿者联盟 & 朋友"],
        [Series("发榜", [7, 0]), Series("承榜", [12, 3])],
    )
    root = parse(svg)
    values = [v.text for v in root.iter("text") if v.get("class") == "value"]
    assert values == ["7", "12", "0", "3"]
    labels = [v.text for v in root.iter("text") if v.get("class") == "label"]
    assert labels == ["新型社会组织联盟", "志愿者联盟 & 朋友"]
    assert "<发榜>" not in svg and "&lt;发榜&gt;" in svg
    widths = [float(b.get("width", 0)) for b in bars(root)[2:]]
    assert max(widths) + text_width("12", 14) < WIDTH  # the longest bar leaves room for its number


def test_a_single_series_has_no_legend_and_an_empty_chart_still_draws() -> None:
    root = parse(bar_chart("c", "t", ["a", "b"], [Series("n", [0, 0])]))
    assert root.find("g") is None and len(bars(root)) == 2
    root = parse(column_chart("c", "t", ["a", "b"], [Series("n", [0, 0])]))
    assert [t.text for t in root.iter("text") if t.get("text-anchor") == "end"] == ["0", "1"]


def test_crowded_labels_are_thinned_and_values_left_to_the_table() -> None:
    months = [f"{m}月" for m in range(1, 13)] + ["2027年1月"]
    root = parse(column_chart("c", "t", months, [Series(s.name, list(range(13))) for s in THREE]))
    shown = [t.text for t in root.iter("text") if t.get("class") == "label"]
    assert shown[0] == "1月" and 1 < len(shown) < len(months)
    assert not [t for t in root.iter("text") if t.get("class") == "value"]
    few = parse(column_chart("c", "t", ["1月", "2月"], [Series("a", [3, 40])]))
    assert [t.text for t in few.iter("text") if t.get("class") == "value"] == ["3", "40"]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one value per label"):
        column_chart("c", "t", ["a", "b"], [Series("a", [1])])
    with pytest.raises(ValueError, match="negative"):
        bar_chart("c", "t", ["a"], [Series("a", [-1])])
    with pytest.raises(ValueError, match="chart id"):
        bar_chart('c" onload="x', "t", ["a"], [Series("a", [1])])


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (7, [0, 2, 4, 6, 8]), (22, [0, 5, 10, 15, 20, 25])],
)
def test_axis_ticks_are_round_and_reach_the_top(top: int, ticks: list[int]) -> None:
    assert nice_ticks(top) == ticks
    assert nice_ticks(1234)[-1] >= 1234 and len(nice_ticks(1234)) <= 6


def test_text_width_counts_chinese_characters_a_full_em() -> None:
    assert text_width("联盟", 14) == 28
    assert text_width("ab", 10) == pytest.approx(12.4)


def test_the_dashboard_headline_is_the_seed_sentence() -> None:
    assert t("stats.headline", "zh-CN", posted=22, claimed=20, awarded=19) == "累计发榜22项，揭榜20项，确定承榜19项"
    assert t("stats.headline", "en", posted=22, claimed=20, awarded=19) == "22 tasks posted, 20 claimed, 19 awarded"


def test_months_are_charted_by_month_up_to_two_years_then_by_year() -> None:
    from datetime import date

    assert months_between(date(2025, 3, 18), date(2026, 3, 17))[::12] == [date(2025, 3, 1), date(2026, 3, 1)]
    assert months_between(date(2026, 3, 1), date(2026, 2, 1)) == []
    year = [MonthCounts(m) for m in months_between(date(2025, 11, 5), date(2026, 2, 1))]
    year[0].tasks.posted = 2
    rows = buckets(year, "zh-CN")
    assert [r.short for r in rows] == ["2025年11月", "12月", "2026年1月", "2月"]
    assert [r.full for r in rows] == ["2025年11月", "2025年12月", "2026年1月", "2026年2月"]
    long = [MonthCounts(m) for m in months_between(date(2020, 6, 1), date(2023, 2, 1))]
    long[0].tasks.posted, long[-1].classes.attended = 4, 9
    rows = buckets(long, "en")
    assert [r.short for r in rows] == ["2020", "2021", "2022", "2023"]
    assert (rows[0].tasks.posted, rows[-1].classes.attended) == (4, 9)
