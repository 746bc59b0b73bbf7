"""The usage chart's geometry (keys/charts.py): pure, so tested without a database."""

from datetime import date, timedelta
from itertools import pairwise

import pytest

from keys.charts import BOTTOM, HEIGHT, TOP, ZERO_MARK, bar_chart, compact, nice_step

DAYS = [date(2026, 10, 30) + timedelta(days=n) for n in range(30)]  # 30 Oct .. 28 Nov


def series(**requests_on):
    """30 days of zeros but for `d<n>=requests` (n: 0 the oldest day, 29 today)."""
    return [(day, requests_on.get(f"d{n}", 0)) for n, day in enumerate(DAYS)]


def test_it_sums_the_days_and_names_the_peak():
    chart = bar_chart(series(d3=12, d15=210, d29=1012))
    assert chart.total == 1234
    assert chart.peak.day == DAYS[29]
    assert chart.summary == (
        "Requests per day over the last 30 days: 1,234 in total, peak 1,012 on 28 Nov"
    )
    assert chart.facts == "1,234 requests in total, peak 1,012 on 28 Nov"


def test_a_tie_names_the_latest_busiest_day():
    chart = bar_chart(series(d4=50, d20=50))
    assert chart.peak.day == DAYS[20]


def test_no_requests_still_draws_every_day_on_the_axis():
    chart = bar_chart(series())
    assert chart.summary == "Requests per day over the last 30 days: 0 in total"
    assert chart.peak is None
    assert len(chart.bars) == 30
    baseline = HEIGHT - BOTTOM
    for bar in chart.bars:
        assert bar.height == ZERO_MARK
        assert bar.y + bar.height == baseline


def test_bars_fill_the_width_in_order_without_overlapping():
    chart = bar_chart(series(d0=1))
    for left, right in pairwise(chart.bars):
        assert left.x + left.width < right.x
    assert chart.bars[0].x > 0
    assert chart.bars[-1].x + chart.bars[-1].width < 100


def test_heights_are_proportional_and_the_peak_stays_inside_the_plot():
    chart = bar_chart(series(d10=100, d11=50))
    busy, half = chart.bars[10], chart.bars[11]
    assert half.height == pytest.approx(busy.height / 2)
    assert busy.y >= TOP
    top_line = chart.gridlines[-1]
    assert top_line.value >= 100
    assert busy.y >= top_line.y


def test_a_single_request_is_visible_and_unlike_a_zero_day():
    chart = bar_chart(series(d5=1))
    assert chart.bars[5].height > ZERO_MARK
    assert chart.bars[5].title == "4 Nov: 1 request"
    assert chart.bars[6].title == "5 Nov: 0 requests"


def test_gridlines_are_round_numbers_from_zero():
    chart = bar_chart(series(d1=730))
    assert [line.value for line in chart.gridlines] == [0, 500, 1000]
    assert [line.label for line in chart.gridlines] == ["0", "500", "1k"]
    assert chart.gridlines[0].y == HEIGHT - BOTTOM


def test_day_labels_are_weekly_ending_today_and_stay_inside():
    chart = bar_chart(series())
    assert [label.text for label in chart.day_labels] == [
        "31 Oct",
        "7 Nov",
        "14 Nov",
        "21 Nov",
        "28 Nov",
    ]
    first, *middle, last = chart.day_labels
    assert first.anchor == "start" and first.x >= 0
    assert last.anchor == "end" and last.x == 100
    assert all(label.anchor == "middle" for label in middle)


@pytest.mark.parametrize(
    ("peak", "step"), [(0, 1), (3, 1), (4, 2), (9, 5), (30, 10), (31, 20), (1234, 500)]
)
def test_the_step_is_one_two_or_five_times_a_power_of_ten(peak, step):
    assert nice_step(peak) == step


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (950, "950"), (1000, "1k"), (1500, "1.5k"), (3_000_000, "3M")]
)
def test_compact_labels(value, text):
    assert compact(value) == text


def test_a_chart_needs_days():
    with pytest.raises(ValueError, match="at least one day"):
        bar_chart([])
