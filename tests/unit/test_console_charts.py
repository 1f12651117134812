"""The console's charts as geometry: round scales, bars and lines where the values say, gaps
(not zeros) for missing values, and an empty chart that says it is empty."""

import pytest
from concord_console.domain.charts import (
    HEIGHT,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    Scale,
    bar_chart,
    line_chart,
    nice_ceiling,
    points,
)

BOTTOM = HEIGHT - MARGIN_BOTTOM
PLOT_HEIGHT = HEIGHT - MARGIN_BOTTOM - MARGIN_TOP


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [(0, 1), (0.4, 1), (1, 1), (1.5, 2), (3, 5), (7, 10), (10, 10), (11, 20), (260, 500)],
)
def test_the_scale_tops_at_the_next_round_number(value: float, ceiling: float) -> None:
    assert nice_ceiling(value) == ceiling


def test_a_scale_maps_zero_to_the_bottom_and_its_top_to_the_top() -> None:
    scale = Scale(top=10, bottom_px=200, height_px=100)
    assert scale.y(0) == 200
    assert scale.y(10) == 100
    assert scale.y(5) == 150
    assert scale.y(50) == 100  # clipped, never drawn above the plot
    assert scale.ticks() == [0, 2, 4, 6, 8, 10]


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (5, [0, 1, 2, 3, 4, 5]),
        (20, [0, 5, 10, 15, 20]),
        (100, [0, 20, 40, 60, 80, 100]),
        (7, [0, 1.75, 3.5, 5.25, 7]),  # a top set by hand: quarters
    ],
)
def test_ticks_fall_on_round_values(top: float, ticks: list[float]) -> None:
    assert Scale(top=top, bottom_px=100, height_px=100).ticks() == ticks


def test_bars_are_as_tall_as_their_values_on_a_round_scale() -> None:
    chart = bar_chart(["6月", "7月", "8月"], [3, 0, 7])
    assert chart.scale.top == 10
    assert [b.value for b in chart.bars] == [3, 0, 7]
    heights = [b.height for b in chart.bars]
    assert heights[0] == pytest.approx(PLOT_HEIGHT * 0.3, abs=0.01)
    assert heights[1] == 0
    assert heights[2] == pytest.approx(PLOT_HEIGHT * 0.7, abs=0.01)
    assert all(b.y + b.height == pytest.approx(BOTTOM) for b in chart.bars)
    xs = [b.x for b in chart.bars]
    assert xs == sorted(xs) and len(set(xs)) == 3  # in label order, side by side
    assert [s.label for s in chart.slots] == ["6月", "7月", "8月"]
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6, 8, 10]
    assert chart.ticks[-1].y == MARGIN_TOP and chart.ticks[0].y == BOTTOM
    assert not chart.empty


def test_a_missing_value_has_no_bar() -> None:
    chart = bar_chart(["a", "b"], [None, 4])
    assert [b.label for b in chart.bars] == ["b"]


def test_no_data_makes_an_empty_chart_with_a_unit_scale() -> None:
    for chart in (bar_chart([], []), bar_chart(["a"], [None]), line_chart(["a"], [("s", [None])])):
        assert chart.empty
        assert chart.scale.top == 1
    zeros = bar_chart(["a", "b"], [0, 0])
    assert zeros.scale.top == 1 and not zeros.empty  # zero cases is something to show


def test_lines_break_where_a_value_is_missing_and_keep_a_fixed_top() -> None:
    chart = line_chart(
        ["1", "2", "3", "4"],
        [("on_time", [50, None, 100, 75]), ("satisfaction", [None] * 4)],
        top=100,
    )
    on_time, satisfaction = chart.lines
    assert chart.scale.top == 100
    assert [len(s) for s in on_time.segments] == [1, 2]
    assert [m.value for m in on_time.markers] == [50, 100, 75]
    assert on_time.markers[0].y == pytest.approx(BOTTOM - PLOT_HEIGHT / 2)
    assert on_time.markers[1].y == MARGIN_TOP
    assert satisfaction.segments == [] and satisfaction.markers == []
    assert points(on_time.segments[1]).count(",") == 2


def test_values_and_labels_must_pair_up() -> None:
    with pytest.raises(ValueError):
        bar_chart(["a"], [1, 2])
    with pytest.raises(ValueError):
        line_chart(["a"], [("s", [1, 2])])
