"""Issue 16: `ctreport chart`: SVG and PNG charts whose text and markers match the data, and a
one-line error when the charts extra is missing."""

from __future__ import annotations

import os
import resource
import signal
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

ANALYSIS = Path(__file__).parent / "fixtures" / "analysis"
NEIGHBOURS = ["--add", str(ANALYSIS)]
SVG = "{http://www.w3.org/2000/svg}"


class Chart:
    """The parts of a matplotlib SVG the tests read: texts, and the markers of each group."""

    def __init__(self, path: Path) -> None:
        self.root = ET.parse(path).getroot()
        self.groups = {g.get("id"): g for g in self.root.iter(f"{SVG}g") if g.get("id")}

    @property
    def texts(self) -> list[str]:
        return ["".join(t.itertext()) for t in self.root.iter(f"{SVG}text")]

    def markers(self, gid: str) -> list[ET.Element]:
        group = self.groups.get(gid)
        return [] if group is None else list(group.iter(f"{SVG}use"))

    def year_x(self) -> dict[int, float]:
        """Where each year's tick label sits on the x axis."""
        found = {}
        for text in self.groups["matplotlib.axis_1"].iter(f"{SVG}text"):
            label = "".join(text.itertext())
            if label.isdigit() and len(label) == 4:
                found[int(label)] = float(text.get("x") or "nan")
        return found


@pytest.fixture
def arrests_svg(ctreport: Any, tmp_path: Path) -> Chart:
    path = tmp_path / "arrests.svg"
    run = ctreport(["chart", "arrests", "--country", "MA,DZ,TN", *NEIGHBOURS, "--output", str(path)])
    assert run.code == 0, run.err
    # 11 figures, 10 drawn: Morocco's 2019 is given only in words.
    assert run.out == "" and run.err == f"wrote {path}: 3 series, 10 figures\n"
    return Chart(path)


def test_chart_labels_and_footnote_match_the_data(arrests_svg: Chart) -> None:
    texts = arrests_svg.texts
    assert "People arrested for terrorism" in texts
    assert [t for t in texts if t in ("Morocco", "Algeria", "Tunisia")] == ["Morocco", "Algeria", "Tunisia"]
    assert "open marker: a lower bound (at least, more than)" in texts
    footnote = " ".join(t for t in texts if t.startswith(("Sources", "refworld", "MA 2019")))
    assert footnote.startswith("Sources: ecoi-2065420 (report), ")
    assert "t-press-dz (press)" in footnote and "t-press-tn (press)" in footnote
    # The relative figure of 2019 has no number: a gap on the chart, said in the footnote.
    assert "MA 2019: roughly double the 2018 number (no number, not drawn) [ma-2019-arrests]" in footnote
    assert list(arrests_svg.year_x()) == list(range(2016, 2024))


def test_chart_markers_match_the_figures(arrests_svg: Chart) -> None:
    # Morocco: 161 (reportedly), 186, 71 (reportedly) as given; 2020–2023 lower bounds.
    years = arrests_svg.year_x()
    counts = {gid: len(arrests_svg.markers(gid)) for gid in arrests_svg.groups if gid.startswith(("figures", "lower"))}
    assert counts == {"figures-MA": 3, "lower-bounds-MA": 4, "figures-DZ": 1, "lower-bounds-DZ": 1, "figures-TN": 1}

    def xs(gid: str) -> list[int]:
        at = [float(use.get("x") or "nan") for use in arrests_svg.markers(gid)]
        return [next(year for year, x in years.items() if abs(x - position) < 1) for position in at]

    assert xs("figures-MA") == [2016, 2017, 2018]
    assert xs("lower-bounds-MA") == [2020, 2021, 2022, 2023]
    assert xs("lower-bounds-DZ") == [2021]
    # A lower bound is an open marker; a figure as given is filled.
    assert all("fill-opacity: 0" in (use.get("style") or "") for use in arrests_svg.markers("lower-bounds-MA"))
    assert all("fill: #" in (use.get("style") or "") for use in arrests_svg.markers("figures-MA"))
    # Higher figures sit higher: SVG y grows downwards. 186 (2017) above 161 (2016) above 71 (2018).
    heights = [float(use.get("y") or "nan") for use in arrests_svg.markers("figures-MA")]
    assert heights[1] < heights[0] < heights[2]


def test_a_year_without_a_number_is_a_gap(arrests_svg: Chart) -> None:
    (line,) = arrests_svg.groups["series-MA"].iter(f"{SVG}path")
    # Two pieces, 2016–2018 and 2020–2023: the line is broken at 2019, not drawn to zero.
    assert (line.get("d") or "").count("M") == 2


def test_chart_png_and_arabic_labels(ctreport: Any, tmp_path: Path) -> None:
    from arabic_reshaper import reshape
    from bidi.algorithm import get_display

    png = tmp_path / "arrests.png"
    assert ctreport(["chart", "arrests", "MA", *NEIGHBOURS, "-o", str(png)]).code == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    svg = tmp_path / "ar.svg"
    run = ctreport(["chart", "arrests", "MA", "DZ", *NEIGHBOURS, "-o", str(svg), "--lang", "ar"])
    assert run.code == 0, run.err
    texts = Chart(svg).texts
    # Shaped (joined letter forms) and in visual order, as matplotlib must be given them.
    assert get_display(reshape("المغرب")) in texts and get_display(reshape("الجزائر")) in texts
    assert "المغرب" not in texts
    assert get_display(reshape("عدد الموقوفين في قضايا الإرهاب")) in texts


def test_chart_of_every_country_with_the_figure(ctreport: Any, tmp_path: Path) -> None:
    path = tmp_path / "incidents.svg"
    run = ctreport(["chart", "incidents", "--since", "2020", "-o", str(path)])
    assert run.code == 0, run.err
    chart = Chart(path)
    # Algeria 2021: the CRT's 0 is drawn; the index's 3 is another source, left out and footnoted.
    assert len(chart.markers("figures-DZ")) == 1
    assert any("figures from other sources than the report" in t for t in chart.texts)
    assert "MA 2023: not confirmed by the source (no number, not drawn) [ma-2023-incidents]" in chart.texts


def test_chart_without_the_extra_is_one_line_and_exit_2(
    ctreport: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    path = tmp_path / "arrests.svg"
    run = ctreport(["chart", "arrests", "MA", "-o", str(path)])
    assert run.code == 2 and run.out == ""
    assert run.err == "ctreport: chart needs the charts extra: pip install 'ctreport[charts]'\n"
    assert not path.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["arrests", "-o", "chart.pdf"],
            "cannot tell the chart format of 'chart.pdf'; end the file name in .svg or .png",
        ),
        (
            ["arests", "-o", "c.svg"],
            "unknown figure 'arests' (did you mean 'arrests'?); valid: arrests, operations, cells, incidents",
        ),
        (["arrests", "Atlantis", "-o", "c.svg"], "unknown country 'Atlantis'"),
    ],
)
def test_chart_usage_errors(ctreport: Any, tmp_path: Path, args: list[str], message: str) -> None:
    run = ctreport(["chart", *args])
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("ctreport: ") and message in run.err and len(run.err.splitlines()) == 1


IN_WORDS = """\
sources:
  - {id: t-press-ly, kind: press, title: A test article on Libya, edition: crt-2021, note: A placeholder; no address.}
facts:
  - {id: t-ly-2021-incidents-a, kind: incidents, source: t-press-ly, country: LY, year: 2021, edition: crt-2021,
     count: {qualifier: unconfirmed, text: numerous attacks}, statement: Numerous attacks took place.}
  - {id: t-ly-2021-incidents-b, kind: incidents, source: t-press-ly, country: LY, year: 2021, edition: crt-2021,
     count: {qualifier: unconfirmed, text: a wave of attacks}, statement: A wave of attacks took place.}
"""
"""Libya's incidents, given only in words: nothing to draw."""


@pytest.fixture
def in_words(tmp_path: Path) -> list[str]:
    path = tmp_path / "in-words.yaml"
    path.write_text(IN_WORDS, encoding="utf-8")
    return ["--add", str(path)]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["cells", "TN"], "no cells figure with a number for TN"),  # no figure at all
        (["incidents", "LY"], "no incidents figure with a number for LY"),  # figures in words only
        (["arrests", "--since", "2030"], "no arrests figure with a number"),
    ],
)
def test_chart_with_nothing_to_draw_says_so_and_exits_0(
    ctreport: Any, tmp_path: Path, in_words: list[str], args: list[str], why: str
) -> None:
    # It exited 3 without --fail-empty, or drew an empty plot and said "1 series, 2 figures".
    path = tmp_path / "c.svg"
    run = ctreport(["chart", *args, *in_words, "-o", str(path)])
    assert run.code == 0 and run.out == ""
    assert run.err == f"ctreport: nothing to draw: {why}\n"
    assert not path.exists()
    failing = ctreport(["chart", *args, *in_words, "-o", str(path), "--fail-empty"])
    assert failing.code == 3 and failing.out == ""
    assert failing.err == f"ctreport: nothing to draw: {why}\n"
    assert not path.exists()


def test_a_country_with_figures_only_in_words_is_noted_not_counted(
    ctreport: Any, tmp_path: Path, in_words: list[str]
) -> None:
    path = tmp_path / "c.svg"
    run = ctreport(["chart", "incidents", "MA", "LY", *in_words, "-o", str(path)])
    # Morocco: six figures, one of them not confirmed (no number): five drawn; Libya: none.
    assert run.code == 0 and run.err == f"wrote {path}: 1 series, 5 figures\n"
    chart = Chart(path)
    assert "Libya" not in chart.texts and not [gid for gid in chart.groups if gid.endswith("-LY")]
    notes = " ".join(chart.texts)
    assert "LY 2021: numerous attacks (no number, not drawn) [t-ly-2021-incidents-a]" in notes
    # Two figures in words are not a disagreement between figures drawn.
    assert "LY 2021: sources disagree" not in notes


def test_other_commands_never_import_the_charts_extra(tmp_path: Path) -> None:
    code = (
        "import sys, runpy; sys.argv = ['ctreport', 'arrests', '--json', '--pivot']\n"
        "try:\n    runpy.run_module('ct_report', run_name='__main__')\nexcept SystemExit: pass\n"
    )
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, env=env)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}
    assert "ct_report" in imported or "typer" in imported, run.stderr[-2000:]
    assert not imported & {"matplotlib", "arabic_reshaper", "bidi", "numpy"}


def test_a_named_country_without_figures_is_noted_not_drawn(ctreport: Any, tmp_path: Path) -> None:
    path = tmp_path / "arrests.svg"
    assert ctreport(["chart", "arrests", "MA", "MR", "-o", str(path)]).code == 0
    chart = Chart(path)
    assert "Mauritania" not in chart.texts and "MR: no figure recorded" in chart.texts
    assert not [gid for gid in chart.groups if gid.endswith("-MR")]


def many_notes(series: int, notes: int) -> Any:
    from ct_report.analysis import ChartData, Point, Series

    return ChartData(
        figure="arrests",
        title="People arrested for terrorism",
        title_ar="",
        years=list(range(2016, 2024)),
        series=[
            Series(f"C{n}", f"Country {n}", None, [Point(2016 + y, n + y, "", "", f"c{n}-{y}", "s") for y in range(8)])
            for n in range(series)
        ],
        sources=[f"source-{n} (press)" for n in range(60)],
        notes=[f"C{n} 2019: a figure given only in words, at some length, " * 3 + f"[c{n}-2019]" for n in range(notes)],
    )


@pytest.mark.parametrize(("series", "notes"), [(3, 40), (30, 5)])
def test_a_long_footnote_or_many_series_still_make_a_chart(tmp_path: Path, series: int, notes: int) -> None:
    from ct_report.chart import draw

    path = tmp_path / "long.svg"
    draw(many_notes(series, notes), path)  # constrained layout gave up: UnsatisfiableConstraint
    chart = Chart(path)
    footnote = list(chart.groups["footnote"].iter(f"{SVG}text"))
    lines = [float((t.get("transform") or "").split()[-1].rstrip(")")) for t in footnote]
    # The whole footnote is on the page, below the years of the x axis.
    assert min(lines) - 7 > max(
        float(t.get("y") or "nan") for t in chart.groups["matplotlib.axis_1"].iter(f"{SVG}text")
    )
    assert max(lines) < float((chart.root.get("viewBox") or "").split()[-1])
    assert sum("[c" in "".join(t.itertext()) for t in footnote) == notes


# --- the destination: chart -o has export's protections ---------------------------------


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """A folder for the chart alone (tmp_path also holds the cache)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def chart_process(
    args: list[str], file_size: int | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: a hang raises TimeoutExpired instead of hanging the suite."""

    def limit() -> None:
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over the limit fails with EFBIG
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))

    return subprocess.run(
        [sys.executable, "-B", "-m", "ct_report", "chart", *args],  # -B: see test_security.cli
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
    )


def test_chart_refuses_a_fifo_instead_of_hanging(out: Path) -> None:
    fifo = out / "ff.svg"
    os.mkfifo(fifo)
    run = chart_process(["arrests", "MA", "-o", str(fifo)], timeout=30)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr == f"ctreport: {fifo} is a FIFO (named pipe), not a regular file; give the path of a file\n"
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and os.listdir(out) == ["ff.svg"]


def test_chart_refuses_a_symbolic_link(ctreport: Any, out: Path) -> None:
    target = out / "target.txt"
    target.write_text("keep me\n", encoding="utf-8")
    link = out / "s.svg"
    link.symlink_to(target)
    run = ctreport(["chart", "arrests", "MA", "-o", str(link)])
    assert run.code == 1 and run.out == ""
    assert run.err == f"ctreport: {link} is a symbolic link; give the path of the file itself\n"
    assert target.read_text(encoding="utf-8") == "keep me\n" and link.is_symlink()


@pytest.mark.parametrize("name", ["notes.svg", "notes.png"])
def test_chart_replaces_a_chart_but_not_another_file_unless_forced(ctreport: Any, out: Path, name: str) -> None:
    notes = out / name
    notes.write_text("<?xml version='1.0'?><notes>mine</notes>\n", encoding="utf-8")
    run = ctreport(["chart", "arrests", "MA", "-o", str(notes)])
    image = "an SVG image" if name.endswith(".svg") else "a PNG image"
    assert run.code == 1 and run.out == ""
    assert run.err == f"ctreport: {notes} exists and is not {image}; give another path, or --force to replace it\n"
    assert notes.read_text(encoding="utf-8") == "<?xml version='1.0'?><notes>mine</notes>\n"
    assert ctreport(["chart", "arrests", "MA", "-o", str(notes), "--force"]).code == 0
    chart = notes.read_bytes()
    assert chart.startswith(b"<?xml" if name.endswith(".svg") else b"\x89PNG\r\n\x1a\n")
    # A chart written before is replaced without --force, keeping its permission bits.
    notes.chmod(0o604)
    again = ctreport(["chart", "arrests", "MA", "DZ", "-o", str(notes)])
    assert again.code == 0, again.err
    assert notes.read_bytes() != chart and stat.S_IMODE(notes.stat().st_mode) == 0o604
    assert sorted(os.listdir(out)) == [name]


def test_chart_on_a_full_disk_says_so_in_one_line_and_leaves_nothing(ctreport: Any, out: Path) -> None:
    kept = out / "kept.svg"
    assert ctreport(["chart", "cells", "MA", "-o", str(kept)]).code == 0
    before = kept.read_bytes()
    for destination in (out / "new.svg", out / "new.png", kept):
        # --no-cache: the limit is for the chart; a cache written first would meet it instead.
        run = chart_process(["arrests", "MA", "DZ", "TN", "--no-cache", "-o", str(destination)], file_size=4096)
        assert run.returncode == 1 and run.stdout == ""
        assert run.stderr == f"ctreport: cannot write {destination}: File too large; nothing was replaced\n"
    assert kept.read_bytes() == before
    assert os.listdir(out) == ["kept.svg"]


def test_chart_stopped_by_a_signal_leaves_nothing_behind(out: Path) -> None:
    # The signal arrives with half the chart written.
    script = (
        "import os, signal, sys\n"
        "from matplotlib.figure import Figure\n"
        "from ct_report import cli\n"
        "def killed(self, path, **kwargs):\n"
        "    open(path, 'w').write('<?xml half')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "Figure.savefig = killed\n"
        "sys.argv = ['ctreport', 'chart', 'arrests', 'MA', '-o', sys.argv[1]]\n"
        "cli.main()\n"
    )
    destination = out / "stopped.svg"
    run = subprocess.run([sys.executable, "-c", script, str(destination)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 128 + signal.SIGTERM, run.stderr
    assert run.stderr == "ctreport: stopped by SIGTERM; nothing was written\n"
    assert os.listdir(out) == []


def test_chart_needs_an_output(tmp_path: Path) -> None:
    # It used to write ./chart.svg, replacing whatever was there.
    run = subprocess.run(
        [sys.executable, "-m", "ct_report", "chart", "arrests", "MA"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == "ctreport: Missing option '--output' / '-o'; see ctreport chart --help\n"
    assert os.listdir(tmp_path) == []
