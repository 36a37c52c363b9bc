"""The SVG pictures: well-formed XML, proportional bars, accessible, and hostile text escaped."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest

from registration.overview import charts
from registration.overview.selectors import DayCount, SourceCount

SVG = "{http://www.w3.org/2000/svg}"
START = datetime.date(2026, 2, 9)


def days(counts: list[tuple[int, int]]) -> list[DayCount]:
    return [
        DayCount(day=START + datetime.timedelta(days=i), registered=r, refused=f)
        for i, (r, f) in enumerate(counts)
    ]


def bars(svg: str, cls: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [el for el in root.iter(f"{SVG}rect") if cls in el.get("class", "").split()]


def test_daily_chart_is_well_formed_svg_with_title_and_desc() -> None:
    svg = charts.daily_chart(days([(2, 1)] * 30), ident="d", title="Per day")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "d-title d-desc"
    assert root.find(f"{SVG}title").text == "Per day"  # type: ignore[union-attr]
    desc = root.find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert (
        desc == "9 Feb to 10 Mar: 60 registered, 30 refused. Busiest day 9 Feb with 2 registered."
    )


def test_daily_chart_has_no_script_and_no_style() -> None:
    svg = charts.daily_chart(days([(3, 1)] * 30))
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag in (f"{SVG}script", f"{SVG}style")]
    assert not [
        el
        for el in root.iter()
        if "style" in el.attrib or any(a.startswith("on") for a in el.attrib)
    ]


def test_daily_bars_are_proportional_to_their_counts_on_one_scale() -> None:
    counts = [(0, 0), (1, 0), (4, 2), (8, 5), (2, 8)]
    svg = charts.daily_chart(days(counts))
    up = bars(svg, "registered")
    down = bars(svg, "refused")
    assert [int(el.get("data-count", "-1")) for el in up] == [r for r, _ in counts]
    assert [int(el.get("data-count", "-1")) for el in down] == [f for _, f in counts]
    # One unit of height per count across both series (peak 8 -> scale 10, 84 px per half).
    for el in up + down:
        assert float(el.get("height", "nan")) == pytest.approx(
            int(el.get("data-count", "0")) * 8.4, abs=0.01
        )
    # Registrations rise from the axis, refusals hang from it: position is a cue besides colour.
    axis = float(up[0].get("y", "nan"))
    assert all(
        float(el.get("y", "0")) + float(el.get("height", "0")) == pytest.approx(axis) for el in up
    )
    assert all(float(el.get("y", "0")) == pytest.approx(axis) for el in down)
    assert all(el.get("fill", "").startswith("url(#") for el in down)  # hatched, not just red


def test_daily_chart_labels_dates_and_the_scale_in_text() -> None:
    svg = charts.daily_chart(days([(0, 0)] * 29 + [(3, 0)]))
    texts = [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]
    assert "10 Mar" in texts and "3 Mar" in texts and "24 Feb" in texts
    assert "5" in texts and "0" in texts  # 3 rounds up to a scale of 5
    assert "Registered, above the line (3)" in texts
    assert "Refused, below the line (0)" in texts


def test_an_empty_window_draws_zero_height_bars() -> None:
    svg = charts.daily_chart(days([(0, 0)] * 30))
    assert {el.get("height") for el in bars(svg, "bar")} == {"0.00"}


def test_source_bars_are_proportional_and_labelled() -> None:
    sources = [
        SourceCount(source="dcr", label="DCR", count=6),
        SourceCount(source="manual", label="Manual", count=3),
        SourceCount(source="cimd", label="CIMD", count=1),
    ]
    svg = charts.bar_chart(sources, ident="s")
    widths = [float(el.get("width", "nan")) for el in bars(svg, "bar")]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.05)
    assert widths[0] == pytest.approx(6 * widths[2], abs=0.05)
    texts = [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts == ["DCR", "6 (60%)", "Manual", "3 (30%)", "CIMD", "1 (10%)"]
    assert ET.fromstring(svg).find(f"{SVG}desc").text == "10 clients. DCR: 6; Manual: 3; CIMD: 1."  # type: ignore[union-attr]


def test_no_clients_says_so() -> None:
    svg = charts.bar_chart([])
    texts = [el.text for el in ET.fromstring(svg).iter(f"{SVG}text")]
    assert texts == ["No clients yet."]


HOSTILE = '</text><script>alert(1)</script><a href="javascript:x">&amp;\x00\x01\ufffe'


def test_hostile_labels_and_titles_are_escaped() -> None:
    svg = charts.bar_chart(
        [SourceCount(source=HOSTILE, label=HOSTILE, count=1)], ident='x" onload="y', title=HOSTILE
    )
    root = ET.fromstring(svg)  # still well-formed: forbidden characters dropped, the rest escaped
    assert not [el for el in root.iter() if el.tag in (f"{SVG}script", f"{SVG}a")]
    assert "<script>" not in svg and "onload" not in svg.replace("x--onload--y", "")
    assert root.get("aria-labelledby") == "x--onload--y-title x--onload--y-desc"
    assert root.find(f"{SVG}title").text == HOSTILE.translate({0: None, 1: None, 0xFFFE: None})  # type: ignore[union-attr]


def test_hostile_daily_title_is_escaped() -> None:
    svg = charts.daily_chart(days([(1, 1)]), title=HOSTILE)
    root = ET.fromstring(svg)
    assert not [el for el in root.iter() if el.tag == f"{SVG}script"]
    assert root.find(f"{SVG}title").text.startswith("</text><script>")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (10, 10), (11, 20), (420, 500)]
)
def test_scale_rounds_up_to_a_readable_number(value: int, expected: int) -> None:
    assert charts.nice_ceiling(value) == expected
