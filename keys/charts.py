"""The geometry of a requests-per-day bar chart, drawn by the server as SVG.

Pure Python, no Django and no charting library: thirty bars, three grid lines and five date
labels are a few dozen numbers, and a library would bring a renderer, a style system and
script the CSP forbids, to draw less well what the template draws here.

Horizontal positions are percentages of the chart's width and vertical ones are pixels of a
fixed height, so the bars stretch to any width (a 390 px phone, a 1280 px laptop) while the
text keeps its size: an SVG scaled by a viewBox shrinks its labels with it.
"""

import math
from dataclasses import dataclass
from datetime import date

HEIGHT = 168  # px, the whole chart
TOP = 14  # px above the plot: room for the top grid line's label
BOTTOM = 22  # px below the plot: the date labels
PLOT = HEIGHT - TOP - BOTTOM
GAP = 0.18  # of a day's slot, left blank between bars
ZERO_MARK = 2  # px: a day without requests still shows on the axis


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    requests: int
    x: float  # % of the width
    width: float  # % of the width
    y: float  # px from the top
    height: float  # px

    @property
    def title(self) -> str:
        noun = "request" if self.requests == 1 else "requests"
        return f"{short_date(self.day)}: {self.requests:,} {noun}"


@dataclass(frozen=True, slots=True)
class Gridline:
    value: int
    y: float  # px from the top

    @property
    def label(self) -> str:
        return compact(self.value)

    @property
    def label_y(self) -> float:
        return round(self.y - 4, 2)  # just above its line


@dataclass(frozen=True, slots=True)
class DayLabel:
    text: str
    x: float  # % of the width
    anchor: str  # SVG text-anchor: the first label starts, the last ends, inside the chart


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    gridlines: list[Gridline]
    day_labels: list[DayLabel]
    total: int
    peak: Bar | None  # the busiest day (the latest of equals), None when there were no requests
    height: int = HEIGHT

    @property
    def day_label_y(self) -> int:
        return self.height - 6

    @property
    def facts(self) -> str:
        """The visible caption's figures."""
        return self._figures(f" request{'' if self.total == 1 else 's'}")

    @property
    def summary(self) -> str:
        """What a screen reader hears: the chart's point in one sentence."""
        return f"Requests per day over the last {len(self.bars)} days: {self._figures('')}"

    def _figures(self, noun: str) -> str:
        text = f"{self.total:,}{noun} in total"
        if self.peak is not None:
            text += f", peak {self.peak.requests:,} on {short_date(self.peak.day)}"
        return text


def short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def compact(value: int) -> str:
    """A grid line's label: 950, 1.5k, 20k, 3M (the exact numbers are in each bar's title)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:.1f}".removesuffix(".0") + suffix
    return str(value)


def nice_step(peak: int, lines: int = 3) -> int:
    """The grid's step: 1, 2 or 5 times a power of ten, so that `lines` steps reach `peak`."""
    if peak <= lines:
        return 1
    rough = peak / lines
    power: int = 10 ** math.floor(math.log10(rough))  # rough > 1: a whole power
    return next(m * power for m in (1, 2, 5, 10) if m * power >= rough)


def bar_chart(counts: list[tuple[date, int]]) -> Chart:
    """The chart of `counts`, one (day, requests) per day, oldest first, zero days included."""
    slots = len(counts)
    if not slots:
        raise ValueError("a chart needs at least one day")
    peak_value = max(requests for _, requests in counts)
    step = nice_step(peak_value)
    top = step * max(1, math.ceil(peak_value / step))
    slot = 100 / slots
    bars = []
    for index, (day, requests) in enumerate(counts):
        height = max(PLOT * requests / top, ZERO_MARK if requests == 0 else 1)
        bars.append(
            Bar(
                day=day,
                requests=requests,
                x=round(index * slot + slot * GAP / 2, 3),
                width=round(slot * (1 - GAP), 3),
                y=round(TOP + PLOT - height, 2),
                height=round(height, 2),
            )
        )
    gridlines = [
        Gridline(value=value, y=round(TOP + PLOT - PLOT * value / top, 2))
        for value in range(0, top + 1, step)
    ]
    # A label a week, counted back from the newest day so that it is always named; a label
    # by either edge is anchored inside the chart rather than centred past it.
    day_labels = []
    for index in sorted(range(slots - 1, -1, -7)):
        if index == slots - 1:
            x, anchor = 100.0, "end"
        elif index * slot < 10:
            x, anchor = index * slot, "start"
        else:
            x, anchor = (index + 0.5) * slot, "middle"
        day_labels.append(DayLabel(text=short_date(counts[index][0]), x=round(x, 3), anchor=anchor))
    busiest = max(reversed(bars), key=lambda bar: bar.requests)
    return Chart(
        bars=bars,
        gridlines=gridlines,
        day_labels=day_labels,
        total=sum(requests for _, requests in counts),
        peak=busiest if busiest.requests else None,
    )
