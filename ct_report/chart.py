"""Draw a chart of figures for an article: SVG or PNG, with matplotlib.

matplotlib is the field's standard and writes both formats with text kept as text, but it is
large (tens of MB, ~0.3 s to import): it is an optional extra (`pip install 'ctreport[charts]'`)
imported here only, and only when a chart is drawn, so no other command pays for it. Arabic
labels need shaping and reordering, which matplotlib does not do: arabic-reshaper and
python-bidi come in the same extra.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ct_report import safefile
from ct_report.analysis import ChartData, Series
from ct_report.errors import UsageError, writing

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

CHART_SUFFIXES = (".svg", ".png")
MISSING_EXTRA = "chart needs the charts extra: pip install 'ctreport[charts]'"
LOWER_BOUND_LABEL = "open marker: a lower bound (at least, more than)"
LOWER_BOUND_LABEL_AR = "علامة مفرغة: حد أدنى (على الأقل، أكثر من)"
WIDTH, PLOT_HEIGHT = 9.0, 5.5
"""Inches: the figure's width, and the height of everything above the footnote."""
FOOTNOTE_POINTS, FOOTNOTE_COLUMNS = 7, 150


def check_path(path: Path) -> str:
    """The chart format the file name asks for: 'svg' or 'png'."""
    if path.suffix.lower() not in CHART_SUFFIXES:
        raise UsageError(f"cannot tell the chart format of '{path}'; end the file name in .svg or .png")
    if path.is_dir():
        raise UsageError(f"'{path}' is a folder; give a file name, e.g. {path / 'chart.svg'}")
    return path.suffix.lower()[1:]


def _is_svg(head: bytes) -> bool:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return start.startswith((b"<?xml", b"<svg")) and b"<svg" in head


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KINDS: dict[str, tuple[Callable[[bytes], bool], str]] = {
    "svg": (_is_svg, "an SVG image"),
    "png": (lambda head: head.startswith(PNG_MAGIC), "a PNG image"),
}
"""What an existing file must hold to be replaced without --force: a chart written before."""


def check_destination(path: Path, force: bool = False) -> int | None:
    """The permission bits to give the new file (None for a new file). UsageError for a name
    that is not a chart's; WriteError for what must not be replaced (see
    `safefile.check_destination`): an SVG or PNG image, as the suffix says, may be."""
    holds_expected, expected = KINDS[check_path(path)]
    with writing():
        return safefile.check_destination(path, force, holds_expected, expected)


def draw(data: ChartData, path: Path, lang: str = "en", force: bool = False) -> None:
    """Write the chart, replacing `path` atomically (nothing there changes unless the chart is
    complete): a line per country, broken where a year has no number; a filled marker per
    figure, an open one for a lower bound; the sources and what could not be drawn in a
    footnote."""
    mode = check_destination(path, force)
    fmt = check_path(path)
    figure = _plot(data, lang)
    import matplotlib

    # No date in the file: the same data gives the same chart, byte for byte.
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ctreport"}), writing():
        safefile.replace_atomically(
            path, mode, lambda temporary: figure.savefig(temporary, format=fmt, metadata=metadata)
        )


def _plot(data: ChartData, lang: str) -> Figure:
    try:
        import matplotlib
        from matplotlib.figure import Figure
        from matplotlib.layout_engine import ConstrainedLayoutEngine
        from matplotlib.lines import Line2D
    except ImportError:
        raise UsageError(MISSING_EXTRA) from None
    label = _shaper() if lang == "ar" else str
    figure = Figure(figsize=(WIDTH, PLOT_HEIGHT))
    axes = figure.add_subplot()
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, series in enumerate(data.series):
        colour = colours[index % len(colours)]
        name = label((series.name_ar if lang == "ar" else None) or series.name)
        _draw_series(axes, series, data.years, colour, name)
    if any(p.lower_bound for s in data.series for p in s.points):
        handles, labels = axes.get_legend_handles_labels()
        proxy = Line2D([], [], marker="o", markerfacecolor="none", color="grey", linestyle="none")
        handles.append(proxy)
        labels.append(label(LOWER_BOUND_LABEL_AR if lang == "ar" else LOWER_BOUND_LABEL))
        axes.legend(handles, labels)
    else:
        axes.legend()
    axes.set_title(label(data.title_ar if lang == "ar" else data.title))
    if data.years:
        axes.set_xticks(data.years)
        axes.set_xlim(data.years[0] - 0.5, data.years[-1] + 0.5)
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    _add_footnote(figure, data, ConstrainedLayoutEngine)
    return figure


def _add_footnote(figure: Figure, data: ChartData, engine: type[ConstrainedLayoutEngine]) -> None:
    """The sources and what could not be drawn, under the plot. The figure grows by the
    footnote's height, so the plot keeps its size however long the footnote is: a fixed share
    of a fixed height left constrained layout no room once the notes ran to a few dozen lines
    (UnsatisfiableConstraint)."""
    parts = ["Sources: " + ", ".join(data.sources) + ".", *data.notes]
    footnote = "\n".join(textwrap.fill(part, FOOTNOTE_COLUMNS) for part in parts if part)
    text = figure.text(0.01, 0, footnote, fontsize=FOOTNOTE_POINTS, va="bottom", gid="footnote")
    # Measured as set, in inches, with a margin of 4 points above and below.
    height = text.get_window_extent().height / figure.dpi + 8 / 72
    total = PLOT_HEIGHT + height
    figure.set_size_inches(WIDTH, total)
    text.set_y(4 / 72 / total)
    figure.set_layout_engine(engine(rect=(0, height / total, 1, 1 - height / total)))


def _draw_series(axes: Axes, series: Series, years: list[int], colour: str, name: str) -> None:
    """A series as three artists, each with an id in the SVG: the line, the figures as given,
    the lower bounds."""
    first: dict[int, float] = {}
    for point in series.points:
        if point.value is not None:
            first.setdefault(point.year, float(point.value))
    # NaN breaks the line: a year without a number is a gap, never a zero.
    line = [first.get(year, float("nan")) for year in years]
    axes.plot(years, line, color=colour, label=name, gid=f"series-{series.country}")
    for gid, bound in ((f"figures-{series.country}", False), (f"lower-bounds-{series.country}", True)):
        chosen = [(p.year, float(p.value)) for p in series.points if p.value is not None and p.lower_bound is bound]
        if not chosen:
            continue
        face = "none" if bound else colour
        axes.plot(
            [year for year, _ in chosen],
            [value for _, value in chosen],
            linestyle="none",
            marker="o",
            color=colour,
            markerfacecolor=face,
            markeredgewidth=1.5,
            gid=gid,
        )


def _shaper() -> Any:
    """Arabic as matplotlib must be given it: letters joined (reshaped), in visual order."""
    try:
        from arabic_reshaper import reshape
        from bidi.algorithm import get_display
    except ImportError:
        raise UsageError(MISSING_EXTRA) from None

    def shape(text: str) -> str:
        return str(get_display(reshape(text)))

    return shape
