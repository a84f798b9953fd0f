"""Chart geometry for server-rendered SVG (no chart library, no JavaScript).

Functions here turn the panels' aggregated rows into coordinates; the templates in
templates/dashboard/charts.html draw them with auto-escaped text, so names
typed by users stay text. Every chart also has its table on the page.
"""

from dataclasses import dataclass, field
from datetime import date

from dashboard.kpis import DayTierPoint, TechnicianRow, TierRow

SERIES_CLASSES = ["series-0", "series-1", "series-2", "series-3", "series-4", "series-5"]
TECHNICIAN_CHART_ROWS = 25


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass
class LineSeries:
    name: str
    css: str
    segments: list[str] = field(default_factory=list)  # SVG polyline "x,y x,y …" runs
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class Plot:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int

    @property
    def inner_width(self) -> int:
        return self.right - self.left

    @property
    def inner_height(self) -> int:
        return self.bottom - self.top

    @property
    def x_label_y(self) -> int:
        return self.height - 6

    @property
    def y_label_x(self) -> int:
        return 14

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def middle_x(self) -> float:
        return (self.left + self.right) / 2


@dataclass
class LineChart:
    plot: Plot
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[LineSeries]
    x_label: str
    y_label: str
    empty: bool


def _percent_ticks(plot: Plot) -> list[Tick]:
    return [
        Tick(plot.bottom - plot.inner_height * share / 100, f"{share}%")
        for share in (0, 25, 50, 75, 100)
    ]


def attainment_per_day(points: list[DayTierPoint], days: list[date]) -> LineChart:
    """Resolution attainment per day received, one line per tier."""
    plot = Plot(width=760, height=280, left=56, top=16, right=744, bottom=232)
    step = plot.inner_width / max(len(days) - 1, 1)
    x_of = {day: plot.left + index * step for index, day in enumerate(days)}
    label_every = max(1, len(days) // 8)
    x_ticks = [
        Tick(x_of[day], f"{day:%b} {day.day}")
        for index, day in enumerate(days)
        if index % label_every == 0
    ]
    by_tier: dict[str, dict[date, DayTierPoint]] = {}
    for point in points:
        by_tier.setdefault(point.tier, {})[point.day] = point
    series = []
    for index, (tier, per_day) in enumerate(by_tier.items()):
        line = LineSeries(name=tier, css=SERIES_CLASSES[index % len(SERIES_CLASSES)])
        run: list[str] = []
        for day in days:
            point = per_day.get(day)
            share = point.resolution_attainment if point else None
            if share is None:
                if run:
                    line.segments.append(" ".join(run))
                run = []
                continue
            x, y = x_of[day], plot.bottom - plot.inner_height * share
            run.append(f"{x:.1f},{y:.1f}")
            decided = point.resolution_met + point.resolution_breached
            line.points.append(
                Point(x, y, f"{tier}, {day:%a %b} {day.day}: {share:.0%} of {decided} met")
            )
        if run:
            line.segments.append(" ".join(run))
        series.append(line)
    return LineChart(
        plot=plot,
        x_ticks=x_ticks,
        y_ticks=_percent_ticks(plot),
        series=series,
        x_label="Day received",
        y_label="Resolution SLA met",
        empty=not any(s.points for s in series),
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    value: int
    title: str

    @property
    def centre_x(self) -> float:
        return self.x + self.width / 2

    @property
    def middle_y(self) -> float:
        return self.y + self.height / 2


@dataclass
class BarChart:
    plot: Plot
    bars: list[Bar]
    groups: list[Tick]
    y_ticks: list[Tick]
    legend: list[tuple[str, str]]
    x_label: str
    y_label: str
    empty: bool


def _count_ticks(plot: Plot, top_value: int) -> tuple[int, list[Tick]]:
    """A round axis maximum ≥ top_value and five ticks on it."""
    scale = 1
    while scale * 10 < top_value:
        scale *= 10
    for multiple in (1, 2, 5, 10):
        if multiple * scale >= top_value:
            maximum = multiple * scale
            break
    maximum = max(maximum, 4)
    ticks = [
        Tick(plot.bottom - plot.inner_height * n / 4, f"{maximum * n / 4:g}") for n in range(5)
    ]
    return maximum, ticks


def breaches_by_tier(rows: list[TierRow]) -> BarChart:
    plot = Plot(width=420, height=280, left=56, top=16, right=404, bottom=232)
    targets = [("response", "Response", "series-0"), ("resolution", "Resolution", "series-1")]
    top_value = max([getattr(r, t).breached for r in rows for t, _, _ in targets] or [0])
    maximum, y_ticks = _count_ticks(plot, top_value)
    group_width = plot.inner_width / max(len(rows), 1)
    bar_width = min(48.0, group_width * 0.8 / len(targets))
    bars, groups = [], []
    for index, row in enumerate(rows):
        centre = plot.left + group_width * (index + 0.5)
        groups.append(Tick(centre, row.tier))
        for offset, (name, label, css) in enumerate(targets):
            value = getattr(row, name).breached
            height = plot.inner_height * value / maximum
            x = centre - bar_width * len(targets) / 2 + offset * bar_width
            bars.append(
                Bar(
                    x=x,
                    y=plot.bottom - height,
                    width=bar_width - 2,
                    height=height,
                    css=css,
                    value=value,
                    title=f"{row.tier}: {value} {label.lower()} breaches",
                )
            )
    return BarChart(
        plot=plot,
        bars=bars,
        groups=groups,
        y_ticks=y_ticks,
        legend=[(label, css) for _, label, css in targets],
        x_label="SLA tier",
        y_label="Breached work orders",
        empty=not rows,
    )


@dataclass(frozen=True)
class StackedRow:
    y: float
    label: str
    drive: Bar
    wrench: Bar


@dataclass
class StackedChart:
    plot: Plot
    rows: list[StackedRow]
    x_ticks: list[Tick]
    row_height: float
    x_label: str
    y_label: str
    shown: int
    total: int
    empty: bool


def drive_vs_wrench(rows: list[TechnicianRow]) -> StackedChart:
    """Hours of drive and wrench time per technician, busiest first (top rows only)."""
    busiest = sorted(
        (r for r in rows if r.jobs), key=lambda r: (-(r.wrench_minutes + r.drive_minutes), r.name)
    )[:TECHNICIAN_CHART_ROWS]
    row_height = 18.0
    left = 150
    plot = Plot(
        width=760,
        height=int(40 + row_height * max(len(busiest), 1) + 40),
        left=left,
        top=16,
        right=744,
        bottom=int(16 + row_height * max(len(busiest), 1)),
    )
    top_hours = max([(r.wrench_minutes + r.drive_minutes) / 60 for r in busiest] or [0])
    maximum, _ = _count_ticks(plot, int(top_hours) + 1)
    x_ticks = [
        Tick(plot.left + plot.inner_width * n / 4, f"{maximum * n / 4:g} h") for n in range(5)
    ]
    stacked = []
    for index, row in enumerate(busiest):
        y = plot.top + index * row_height
        drive_width = plot.inner_width * row.drive_minutes / 60 / maximum
        wrench_width = plot.inner_width * row.wrench_minutes / 60 / maximum
        stacked.append(
            StackedRow(
                y=y,
                label=row.name,
                drive=Bar(
                    plot.left,
                    y + 2,
                    drive_width,
                    row_height - 4,
                    "series-2",
                    round(row.drive_minutes),
                    f"{row.name}: {row.drive_minutes / 60:.1f} h driving",
                ),
                wrench=Bar(
                    plot.left + drive_width,
                    y + 2,
                    wrench_width,
                    row_height - 4,
                    "series-1",
                    round(row.wrench_minutes),
                    f"{row.name}: {row.wrench_minutes / 60:.1f} h on jobs",
                ),
            )
        )
    return StackedChart(
        plot=plot,
        rows=stacked,
        x_ticks=x_ticks,
        row_height=row_height,
        x_label="Hours in the range (drive, then wrench)",
        y_label="Technician",
        shown=len(busiest),
        total=sum(1 for r in rows if r.jobs),
        empty=not busiest,
    )
