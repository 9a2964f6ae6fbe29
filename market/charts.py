"""Bar charts drawn on the server as inline SVG: pure functions from numbers to markup, no JavaScript.

Every chart is an `<svg role="img">` with an `aria-label` and a `<title>` naming it; the page puts the same
numbers in a table beside it. The SVG has a `viewBox` and `width="100%"`, so it scales to a phone's width.
Series differ by colour (all from the site's palette, each at least 3:1 on white) and by fill pattern (solid,
stripes, cross-hatch, bands), and bars stand apart with white gaps, so colour is never the only cue. Horizontal
charts also print each bar's value at its end. No `xmlns` attribute: inline SVG in HTML needs none, and the
pages carry no URL that leads off the server.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 360  # viewBox units; a 343 px wide phone column draws one unit at ~0.95 px
FONT = 14
SMALL = 12
INK = "#1b1b1b"  # --ink
MUTED = "#4d4d4d"  # --muted
GRID = "#cfc9bf"  # --line (decoration only: every value is also printed or in the table)
PAPER = "#ffffff"  # --paper
# Series colours, in order, from site.css: --link, --ok-ink, --brand, --warn-ink.
PALETTE: tuple[str, ...] = ("#0a4a94", "#1d5128", "#9b1c1f", "#5c3d00")
PATTERNS: tuple[str, ...] = ("solid", "stripes", "hatch", "bands")


@dataclass(frozen=True, slots=True)
class Series:
    """One named row of values, one value per category."""

    name: str
    values: Sequence[int]


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours (1..21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_width(text: str, size: float) -> float:
    """A generous estimate of how wide `text` is drawn at `size`: wide (CJK) characters a full em, others 0.62."""
    return sum(size if unicodedata.east_asian_width(c) in "WF" else size * 0.62 for c in text)


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Round axis ticks from 0 that reach at least `top` (1, 2 or 5 times a power of ten apart)."""
    top = max(top, 1)
    raw = top / most
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(int(step), 1)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _defs(chart_id: str, count: int) -> str:
    """One fill per series: solid, diagonal stripes, cross-hatch, horizontal bands (white on the colour)."""
    parts = []
    for i in range(count):
        colour, kind = PALETTE[i % len(PALETTE)], PATTERNS[i % len(PATTERNS)]
        if kind == "solid":
            continue
        marks = {
            "stripes": f'<path d="M0 0L0 6" stroke="{PAPER}" stroke-width="2"/>',
            "hatch": f'<path d="M0 0L0 6M0 0L6 0" stroke="{PAPER}" stroke-width="1.5"/>',
            "bands": f'<path d="M0 3L6 3" stroke="{PAPER}" stroke-width="2"/>',
        }[kind]
        rotate = ' patternTransform="rotate(45)"' if kind in ("stripes", "hatch") else ""
        parts.append(
            f'<pattern id="{chart_id}-s{i}" width="6" height="6" patternUnits="userSpaceOnUse"{rotate}>'
            f'<rect width="6" height="6" fill="{colour}"/>{marks}</pattern>'
        )
    return f"<defs>{''.join(parts)}</defs>" if parts else ""


def _fill(chart_id: str, i: int) -> str:
    if PATTERNS[i % len(PATTERNS)] == "solid":
        return PALETTE[i % len(PALETTE)]
    return f"url(#{chart_id}-s{i})"


def _bar(chart_id: str, i: int, x: float, y: float, w: float, h: float) -> str:
    """A bar filled with its series' pattern and outlined in its colour (the outline keeps 3:1 on white)."""
    colour = PALETTE[i % len(PALETTE)]
    return (
        f'<rect class="bar" data-series="{i}" x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(w)}" height="{_fmt(h)}" '
        f'fill="{_fill(chart_id, i)}" stroke="{colour}" stroke-width="1"/>'
    )


def _legend(chart_id: str, series: Sequence[Series], top: float) -> tuple[str, float]:
    """Swatches and names in rows across the width; returns the markup and the height used."""
    if len(series) < 2:
        return "", 0.0
    parts, x, y = [], 0.0, top
    for i, s in enumerate(series):
        need = 18 + text_width(s.name, FONT) + 16
        if x > 0 and x + need > WIDTH:
            x, y = 0.0, y + 22
        parts.append(_bar(chart_id, i, x + 0.5, y + 2.5, 13, 13))
        parts.append(f'<text x="{_fmt(x + 18)}" y="{_fmt(y + 14)}" fill="{INK}">{escape(s.name)}</text>')
        x += need
    return f'<g class="legend">{"".join(parts)}</g>', y + 22 - top + 6


def _svg(chart_id: str, title: str, summary: str, height: float, body: str, series_count: int) -> Markup:
    label = f"{title}{'. ' + summary if summary else ''}"
    # Every text that reaches the markup (titles, labels, series names) went through `escape`; the rest is numbers.
    return Markup(  # noqa: S704
        f'<svg class="chart-svg" id="{chart_id}" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {WIDTH} {_fmt(height)}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-size="{FONT}" focusable="false">'
        f"<title>{escape(title)}</title>"
        f"{f'<desc>{escape(summary)}</desc>' if summary else ''}"
        f"{_defs(chart_id, series_count)}{body}</svg>"
    )


def _check(chart_id: str, labels: Sequence[str], series: Sequence[Series]) -> None:
    if not chart_id.replace("-", "").isalnum():
        raise ValueError("a chart id is letters, digits and dashes")
    if not series or any(len(s.values) != len(labels) for s in series):
        raise ValueError("every series needs one value per label")
    if any(v < 0 for s in series for v in s.values):
        raise ValueError("bar charts count things: no negative values")


def column_chart(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, summary: str = ""
) -> Markup:
    """Grouped vertical bars over time (one group per label, one bar per series) with a value axis.

    Labels that would collide are thinned to every n-th; values are printed above the bars when they fit.
    """
    _check(chart_id, labels, series)
    legend, legend_h = _legend(chart_id, series, 0)
    ticks = nice_ticks(max((v for s in series for v in s.values), default=0))
    top_value = ticks[-1]
    left = max(text_width(str(t), SMALL) for t in ticks) + 8
    plot_top, plot_h = legend_h + 18, 170.0
    plot_w = WIDTH - left - 2
    base = plot_top + plot_h
    slot = plot_w / max(len(labels), 1)
    gap = 2.0
    bar_w = max((slot * 0.8 - gap * (len(series) - 1)) / len(series), 1.0)
    # Numbers over neighbouring bars must not run together (2 2 2 read as 222): print them only with room between.
    values_fit = all(text_width(str(v), SMALL) + 6 <= bar_w + gap for s in series for v in s.values)
    parts = [legend]
    for t in ticks:
        y = base - plot_h * t / top_value
        parts.append(
            f'<line x1="{_fmt(left)}" x2="{WIDTH}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{_fmt(left - 5)}" y="{_fmt(y + 4)}" text-anchor="end" font-size="{SMALL}" '
            f'fill="{MUTED}">{t}</text>'
        )
    widest = max((text_width(label, SMALL) for label in labels), default=0)
    step = max(math.ceil((widest + 4) / slot), 1)
    for g, label in enumerate(labels):
        x0 = left + slot * g + slot * 0.1
        for i, s in enumerate(series):
            h = plot_h * s.values[g] / top_value
            x = x0 + i * (bar_w + gap)
            parts.append(_bar(chart_id, i, x, base - h, bar_w, h))
            if values_fit:
                parts.append(
                    f'<text class="value" x="{_fmt(x + bar_w / 2)}" y="{_fmt(base - h - 3)}" text-anchor="middle" '
                    f'font-size="{SMALL}" fill="{INK}">{s.values[g]}</text>'
                )
        if g % step == 0:
            half = text_width(label, SMALL) / 2
            x = min(max(left + slot * g + slot / 2, half), WIDTH - half)  # the first and last stay inside
            parts.append(
                f'<text class="label" x="{_fmt(x)}" y="{_fmt(base + 16)}" '
                f'text-anchor="middle" font-size="{SMALL}" fill="{INK}">{escape(label)}</text>'
            )
    parts.append(
        f'<line x1="{_fmt(left)}" x2="{WIDTH}" y1="{_fmt(base)}" y2="{_fmt(base)}" stroke="{INK}" stroke-width="1"/>'
    )
    return _svg(chart_id, title, summary, base + 24, "".join(parts), len(series))


def bar_chart(
    chart_id: str, title: str, labels: Sequence[str], series: Sequence[Series], *, summary: str = ""
) -> Markup:
    """Grouped horizontal bars: each label on its own line with its bars below, each bar's value at its end.

    Long labels (an alliance's full name) keep the whole width, which is what makes this readable on a phone.
    """
    _check(chart_id, labels, series)
    legend, legend_h = _legend(chart_id, series, 0)
    top_value = max(max((v for s in series for v in s.values), default=0), 1)
    room = max(text_width(str(v), FONT) for s in series for v in s.values) + 8
    plot_w = WIDTH - room - 1
    bar_h, gap = 14.0, 4.0
    parts, y = [legend], legend_h + 4
    for g, label in enumerate(labels):
        parts.append(f'<text class="label" x="4" y="{_fmt(y + FONT)}" fill="{INK}">{escape(label)}</text>')
        y += FONT + 8
        for i, s in enumerate(series):
            w = plot_w * s.values[g] / top_value
            parts.append(_bar(chart_id, i, 0.5, y, w, bar_h))
            parts.append(
                f'<text class="value" x="{_fmt(w + 5)}" y="{_fmt(y + bar_h - 2)}" fill="{INK}">{s.values[g]}</text>'
            )
            y += bar_h + gap
        y += 10
    parts.append(f'<line x1="0.5" x2="0.5" y1="{_fmt(legend_h)}" y2="{_fmt(y - 10)}" stroke="{INK}" stroke-width="1"/>')
    return _svg(chart_id, title, summary, y, "".join(parts), len(series))
