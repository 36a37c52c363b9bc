"""Bar charts as SVG: data in, one ``<svg>`` string out. Pure: no Django, no script, no style.

Every text is escaped for XML (characters XML 1.0 forbids are dropped), so a hostile client
name or source value cannot break out of the markup. Colours are presentation attributes, not
``style`` attributes, so a Content-Security-Policy without ``'unsafe-inline'`` styles allows
them. Accessibility: ``role="img"`` with ``<title>`` and ``<desc>`` (the numbers in words),
text labels on every axis and bar, a ``<title>`` per bar for pointer users, and a second cue
besides colour (refusals are hatched and drawn below the axis, registrations above it).
"""

from __future__ import annotations

import calendar
import datetime
import html
import math
import re
from collections.abc import Sequence
from typing import Protocol

REGISTERED_FILL = "#1f5fbf"  # blue
REFUSED_STROKE = "#b3261e"  # red, hatched over a light tint
REFUSED_TINT = "#f9dedc"
SOURCE_FILL = "#2e7d5b"
INK = "#1b1f24"
MUTED = "#57606a"
GRID = "#d0d7de"
FONT = "system-ui, -apple-system, 'Segoe UI', sans-serif"

# XML 1.0 §2.2 Char: tab, newline, carriage return and U+0020 upwards (no surrogates, no
# U+FFFE/U+FFFF). Anything else cannot appear in a document, escaped or not.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ID_UNSAFE = re.compile(r"[^a-z0-9-]")


class Day(Protocol):
    """One day's counts (``selectors.DayCount`` is one)."""

    @property
    def day(self) -> datetime.date: ...
    @property
    def registered(self) -> int: ...
    @property
    def refused(self) -> int: ...


class Bar(Protocol):
    """One labelled count (``selectors.SourceCount`` is one)."""

    @property
    def label(self) -> str: ...
    @property
    def count(self) -> int: ...


def text(value: object) -> str:
    """``value`` as XML character data or attribute value: escaped, forbidden characters gone."""
    return html.escape(_NOT_XML_CHAR.sub("", str(value)), quote=True)


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``value`` (1 for 0)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _short_date(day: datetime.date) -> str:
    return f"{day.day} {calendar.month_abbr[day.month]}"


def _open_svg(*, ident: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{text(FONT)}" '
        f'font-size="15" fill="{INK}">',
        f'<title id="{ident}-title">{text(title)}</title>',
        f'<desc id="{ident}-desc">{text(desc)}</desc>',
    ]


def daily_chart(days: Sequence[Day], *, ident: str = "daily", title: str = "") -> str:
    """Registrations above the axis, refusals (hatched) below it, one column per day.

    Both halves share one scale, so a bar's height is proportional to its count everywhere
    in the chart. Each bar carries ``data-day`` and ``data-count``.
    """
    ident = _ID_UNSAFE.sub("-", ident.lower()) or "daily"
    title = title or "Registrations and refusals per day"
    width, left, right, top = 720, 44, 28, 36
    half = 84  # the height of each half
    axis_y = top + half
    height = axis_y + half + 30
    plot = width - left - right
    slot = plot / max(len(days), 1)
    bar_w = max(slot * 0.7, 1.0)
    total_registered = sum(d.registered for d in days)
    total_refused = sum(d.refused for d in days)
    peak = nice_ceiling(max([0, *(d.registered for d in days), *(d.refused for d in days)]))
    unit = half / peak

    span = f"{_short_date(days[0].day)} to {_short_date(days[-1].day)}" if days else "no days"
    busiest = max(days, key=lambda d: d.registered, default=None)
    desc = f"{span}: {total_registered} registered, {total_refused} refused."
    if busiest is not None and busiest.registered:
        desc += f" Busiest day {_short_date(busiest.day)} with {busiest.registered} registered."

    out = _open_svg(ident=ident, width=width, height=height, title=title, desc=desc)
    out.append(
        f'<defs><pattern id="{ident}-hatch" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{REFUSED_TINT}"/>'
        f'<line x1="1.5" y1="0" x2="1.5" y2="6" stroke="{REFUSED_STROKE}" stroke-width="2.5"/>'
        "</pattern></defs>"
    )
    # Legend, with the totals in words.
    out.append(
        f'<g class="legend"><rect x="{left}" y="8" width="14" height="14" fill="{REGISTERED_FILL}"/>'
        f'<text x="{left + 20}" y="20">Registered, above the line ({total_registered})</text>'
        f'<rect x="{left + 320}" y="8" width="14" height="14" fill="url(#{ident}-hatch)" '
        f'stroke="{REFUSED_STROKE}"/>'
        f'<text x="{left + 340}" y="20">Refused, below the line ({total_refused})</text></g>'
    )
    # Grid and scale: the peak above and below, and the axis.
    out.append('<g class="grid">')
    for y, label in ((top, peak), (axis_y + half, peak)):
        out.append(
            f'<line x1="{left}" y1="{y}" x2="{width - right}" y2="{y}" stroke="{GRID}" '
            f'stroke-dasharray="3 3"/><text x="{left - 6}" y="{y + 4}" text-anchor="end" '
            f'fill="{MUTED}" font-size="14">{label}</text>'
        )
    for guide in (top + half / 2, axis_y + half / 2):  # half the peak: an unlabelled guide
        out.append(
            f'<line x1="{left}" y1="{guide}" x2="{width - right}" y2="{guide}" stroke="{GRID}" '
            f'stroke-dasharray="1 4"/>'
        )
    out.append(
        f'<line x1="{left}" y1="{axis_y}" x2="{width - right}" y2="{axis_y}" stroke="{INK}"/>'
        f'<text x="{left - 6}" y="{axis_y + 4}" text-anchor="end" fill="{MUTED}" '
        f'font-size="14">0</text></g>'
    )
    out.append('<g class="bars">')
    for index, d in enumerate(days):
        x = left + index * slot + (slot - bar_w) / 2
        iso = d.day.isoformat()
        tip = f"{_short_date(d.day)}: {d.registered} registered, {d.refused} refused"
        out.append(f"<g><title>{text(tip)}</title>")
        up = d.registered * unit
        out.append(
            f'<rect class="bar registered" data-day="{iso}" data-count="{d.registered}" '
            f'x="{x:.2f}" y="{axis_y - up:.2f}" width="{bar_w:.2f}" height="{up:.2f}" '
            f'fill="{REGISTERED_FILL}"/>'
        )
        down = d.refused * unit
        out.append(
            f'<rect class="bar refused" data-day="{iso}" data-count="{d.refused}" '
            f'x="{x:.2f}" y="{axis_y:.2f}" width="{bar_w:.2f}" height="{down:.2f}" '
            f'fill="url(#{ident}-hatch)" stroke="{REFUSED_STROKE}" '
            f'stroke-width="{1 if d.refused else 0}"/></g>'
        )
    out.append("</g>")
    # Dates under the chart: every seventh day counted back from today, so today is labelled.
    out.append(f'<g class="dates" fill="{MUTED}" font-size="14" text-anchor="middle">')
    for index, d in enumerate(days):
        if (len(days) - 1 - index) % 7 == 0:
            x = left + index * slot + slot / 2
            out.append(f'<text x="{x:.2f}" y="{height - 8}">{text(_short_date(d.day))}</text>')
    out.append("</g></svg>")
    return "".join(out)


def bar_chart(bars: Sequence[Bar], *, ident: str = "sources", title: str = "") -> str:
    """Horizontal bars, one per label, each with its label and count written beside it.

    A bar's length is proportional to its count (the longest count fills the plot). Each bar
    carries ``data-count``.
    """
    ident = _ID_UNSAFE.sub("-", ident.lower()) or "sources"
    title = title or "Clients by source"
    width, label_w, row, top = 720, 170, 30, 10
    plot = width - label_w - 110
    height = top + row * max(len(bars), 1) + 10
    total = sum(b.count for b in bars)
    peak = max([0, *(b.count for b in bars)])
    parts = [f"{b.label}: {b.count}" for b in bars]
    desc = f"{total} clients. " + ("; ".join(parts) + "." if parts else "None yet.")

    out = _open_svg(ident=ident, width=width, height=height, title=title, desc=desc)
    if not bars:
        out.append(f'<text x="{label_w}" y="{top + 19}" fill="{MUTED}">No clients yet.</text>')
    for index, b in enumerate(bars):
        y = top + index * row
        length = plot * b.count / peak if peak else 0.0
        share = round(100 * b.count / total) if total else 0
        out.append(
            f"<g><title>{text(f'{b.label}: {b.count} of {total} clients')}</title>"
            f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end">'
            f"{text(_clip(b.label, 22))}</text>"
            f'<rect class="bar" data-count="{b.count}" x="{label_w}" y="{y + 5}" '
            f'width="{length:.2f}" height="{row - 10}" fill="{SOURCE_FILL}"/>'
            f'<text x="{label_w + length + 8:.2f}" y="{y + 19}">{b.count} ({share}%)</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
