"""Charts as geometry, for inline SVG drawn by a template: no script, no library, nothing
fetched. A chart is its plot area, a value scale with round ticks, and the marks (bars, or
lines with gaps where a value is missing); the template draws them and the page shows the
same numbers in a table beside the chart.

A value of None is "nothing to measure" (a rate of no cases): no bar, a gap in a line,
never a zero.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 640
HEIGHT = 240
# Room for the value labels on the left and the month labels below.
MARGIN_LEFT = 48
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 32


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 x 10^n (n >= 0) at or above the value; 1 for nothing."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Scale:
    """Values from 0 to `top` onto the plot's height, from `bottom` (pixels) upwards."""

    top: float
    bottom_px: float
    height_px: float

    def y(self, value: float) -> float:
        clipped = min(max(value, 0.0), self.top)
        return round(self.bottom_px - clipped / self.top * self.height_px, 2)

    def ticks(self) -> list[float]:
        """Evenly spaced round values from 0 to the top, both included. A top of 1, 2 or 5
        times a power of ten gets steps of 1, 2 or 5 times a power of ten (a count never
        gets a tick at 2.5); any other top, quarters."""
        power = 10 ** math.floor(math.log10(self.top)) if self.top > 0 else 1
        steps = {1: 5 if self.top >= 10 else 1, 2: 4 if self.top >= 20 else 2, 5: 5}
        count = steps.get(round(self.top / power), 4) if self.top == round(self.top) else 4
        return [round(self.top * i / count, 6) for i in range(count + 1)]


@dataclass(frozen=True)
class Plot:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class Tick:
    value: float
    y: float


@dataclass(frozen=True)
class Slot:
    """One category on the horizontal axis (a month): its label and its centre."""

    label: str
    x: float


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Marker:
    label: str
    value: float
    x: float
    y: float


@dataclass(frozen=True)
class Line:
    name: str
    segments: list[list[tuple[float, float]]]  # unbroken runs of points
    markers: list[Marker]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot: Plot
    scale: Scale
    ticks: list[Tick]
    slots: list[Slot]
    bars: list[Bar]
    lines: list[Line]

    @property
    def empty(self) -> bool:
        """Nothing to draw: no categories, or not one value in them."""
        return not self.bars and not any(line.markers for line in self.lines)


def _frame(
    labels: Sequence[str], top: float, width: int, height: int
) -> tuple[Plot, Scale, list[Slot]]:
    plot = Plot(MARGIN_LEFT, MARGIN_TOP, width - MARGIN_RIGHT, height - MARGIN_BOTTOM)
    scale = Scale(top, plot.bottom, plot.height)
    step = plot.width / len(labels) if labels else plot.width
    slots = [Slot(label, round(plot.left + step * (i + 0.5), 2)) for i, label in enumerate(labels)]
    return plot, scale, slots


def _ticks(scale: Scale) -> list[Tick]:
    return [Tick(v, scale.y(v)) for v in scale.ticks()]


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """One bar per label; the scale's top is the next round number at or above the largest."""
    if len(labels) != len(values):
        raise ValueError("a bar chart needs one value per label")
    known = [v for v in values if v is not None]
    top = nice_ceiling(max(known, default=0.0))
    plot, scale, slots = _frame(labels, top, width, height)
    bar_width = round(plot.width / max(len(labels), 1) * 0.6, 2)
    bars = []
    for slot, value in zip(slots, values, strict=True):
        if value is None:
            continue
        y = scale.y(value)
        bars.append(
            Bar(
                slot.label,
                value,
                round(slot.x - bar_width / 2, 2),
                y,
                bar_width,
                round(plot.bottom - y, 2),
            )
        )
    return Chart(width, height, plot, scale, _ticks(scale), slots, bars, [])


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    top: float | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Chart:
    """A line per named series over the labels; a missing value breaks its line. `top`
    fixes the scale (100 for percentages); otherwise the round number above the largest."""
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} needs one value per label")
    known = [v for _, values in series for v in values if v is not None]
    plot, scale, slots = _frame(labels, top or nice_ceiling(max(known, default=0.0)), width, height)
    lines = []
    for name, values in series:
        segments: list[list[tuple[float, float]]] = []
        markers = []
        run: list[tuple[float, float]] = []
        for slot, value in zip(slots, values, strict=True):
            if value is None:
                if run:
                    segments.append(run)
                run = []
                continue
            point = (slot.x, scale.y(value))
            run.append(point)
            markers.append(Marker(slot.label, value, *point))
        if run:
            segments.append(run)
        lines.append(Line(name, segments, markers))
    return Chart(width, height, plot, scale, _ticks(scale), slots, [], lines)


def points(segment: list[tuple[float, float]]) -> str:
    """A segment as an SVG polyline's `points`."""
    return " ".join(f"{x:g},{y:g}" for x, y in segment)
