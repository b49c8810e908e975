"""A value-over-time chart as inline SVG: no JavaScript, no image files, prints anywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH, HEIGHT, PAD = 640, 220, 48


def value_chart(points: Sequence[tuple[dt.date, Decimal, Decimal, Decimal]]) -> SafeString:
    """points: (base date, value, low, high) of final appraisals, oldest first."""
    if not points:
        return SafeString("")
    first, last = points[0][0], points[-1][0]
    span_days = max((last - first).days, 1)
    top = max(p[3] for p in points)
    bottom = min(p[2] for p in points)
    if top == bottom:
        top, bottom = top + 1, max(bottom - 1, Decimal(0))

    def x(day: dt.date) -> float:
        if len(points) == 1:
            return WIDTH / 2
        return PAD + (WIDTH - 2 * PAD) * (day - first).days / span_days

    def y(amount: Decimal) -> float:
        return HEIGHT - PAD + (2 * PAD - HEIGHT) * float((amount - bottom) / (top - bottom))

    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _lo, _hi in points)
    band = " ".join(
        [f"{x(d):.1f},{y(hi):.1f}" for d, _v, _lo, hi in points]
        + [f"{x(d):.1f},{y(lo):.1f}" for d, _v, lo, _hi in reversed(points)]
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="#205067"><title>{} {}</title></circle>',
        ((f"{x(d):.1f}", f"{y(v):.1f}", d.isoformat(), f"{v:,.2f}") for d, v, _lo, _hi in points),
    )
    return format_html(
        '<svg class="value-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="value over time">'
        '<polygon points="{band}" fill="#79aec8" fill-opacity="0.25"/>'
        '<polyline points="{line}" fill="none" stroke="#205067" stroke-width="2"/>{dots}'
        '<text x="{pad}" y="{ty}" font-size="11">{top}</text>'
        '<text x="{pad}" y="{by}" font-size="11">{bottom}</text>'
        '<text x="{pad}" y="{dy}" font-size="11">{first}</text>'
        '<text x="{rx}" y="{dy}" font-size="11" text-anchor="end">{last}</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        band=band,
        line=line,
        dots=dots,
        pad=4,
        ty=PAD - 8,
        by=HEIGHT - PAD + 16,
        dy=HEIGHT - 6,
        rx=WIDTH - 4,
        top=f"CNY {top:,.2f}",
        bottom=f"CNY {bottom:,.2f}",
        first=first.isoformat(),
        last=last.isoformat(),
    )
