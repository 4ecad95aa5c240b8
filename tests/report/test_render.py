"""report.html, report.md and the terminal summary."""

from __future__ import annotations

import base64
import html as htmllib
import re
from pathlib import Path

import pandas as pd
import pytest

from engine.report.model import ReportInput
from engine.report.run import plots
from engine.report.run.html import build_view, render_html
from engine.report.run.markdown import render_markdown
from engine.report.run.terminal import render_terminal_summary
from engine.report.run.writer import write_report
from engine.report.toolkit.charts import log_ticks
from engine.report.toolkit.escape import markdown_cell
from engine.report.toolkit.format import format_stats, title_from_key
from engine.report.toolkit.tables import frame_table

from .conftest import ISSUE_MESSAGE, make_input


@pytest.fixture
def page(report_input: ReportInput, tmp_path: Path) -> str:
    folder = write_report(report_input, tmp_path / "reports")
    return (folder / "report.html").read_text(encoding="utf-8")


def test_html_is_self_contained(page: str, report_input: ReportInput, tmp_path: Path):
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    folder = tmp_path / "reports" / report_input.title / report_input.run_id
    pngs = {p.read_bytes() for p in folder.glob("*.png")}
    assert len(images) == len(pngs) == 6  # every chart of the folder, each embedded once
    assert base64.b64decode(images[0]) == (folder / "equity.png").read_bytes()  # first screen
    # then the folded sections, most important first: calendar years before drawdowns
    assert base64.b64decode(images[1]) == (folder / "yearly_returns.png").read_bytes()
    assert base64.b64decode(images[2]) == (folder / "drawdown.png").read_bytes()
    assert {base64.b64decode(i) for i in images} == pngs


def test_html_shows_formatted_stats(page: str, report_input: ReportInput):
    formatted = format_stats(report_input.stats)
    text = htmllib.unescape(page)
    for label in formatted.index:
        row = re.search(rf"<tr><td[^>]*>{re.escape(label)}</td>(.*?)</tr>", text)
        assert row, label
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
        assert cells == list(formatted.loc[label]), label
    header = re.search(r'<table class="stats">\s*<thead><tr>(.*?)</tr>', text).group(1)
    assert re.findall(r"<th[^>]*>(.*?)</th>", header) == [
        "Metric",
        "first10days",
        *report_input.benchmarks,
    ]


def test_html_content_sections(page: str, report_input: ReportInput):
    text = htmllib.unescape(page)
    assert ISSUE_MESSAGE in text
    for issue in report_input.data.issues:
        assert issue.message in text
    assert report_input.config_toml in text
    assert report_input.data.fingerprint() in text
    assert report_input.command in text
    assert report_input.period_note in text
    for note in report_input.notes:
        assert note in text
    for package, version in report_input.versions.items():
        assert f"<td>{package}</td><td>{version}</td>" in text
    # provenance rows, the issue's first dates and its count
    assert "../shared/market-data/IWM.csv" in text
    dates = report_input.data.issues[0].dates
    assert f"{', '.join(dates[:5])}, … (+2 more)" in text
    # per_year: title from its key, return columns in percent, others 4 significant digits
    assert "<h3>Per year</h3>" in text
    assert "4.12%" in text and "-1.20%" in text
    assert "2020-03-13" in text
    # the order log and the note about orders.csv
    assert "All 4 orders (also in orders.csv)." in text
    assert "158.1235" in text and "-104,958.00" in text
    # calendar-year returns: the strategy's cell green when it beat the main benchmark that
    # year, red when it lagged (whatever its sign); the benchmarks' cells uncoloured
    yearly = re.search(r'<table class="yearly">(.*?)</table>', text, re.S).group(1)
    main = next(iter(report_input.benchmarks))
    for year, row in report_input.yearly.iterrows():
        value, base = row[report_input.title], row[main]
        css = "num pos" if value > base else "num neg"
        assert f'<td class="{css}">{value * 100:.1f}%</td>' in yearly, year
        assert f'<td class="num">{base * 100:.1f}%</td>' in yearly, year


def test_html_escapes_input_text(page: str):
    assert "<early>" not in page
    assert "&lt;early&gt;" in page
    assert "<gap>" not in page


def test_order_log_is_capped_with_a_note():
    inp = make_input()
    orders = inp.strategy.orders
    inp.strategy.orders = pd.concat([orders] * 60, ignore_index=True)  # 240 rows
    view = build_view(inp, fingerprint="f" * 64, created_at="2024-05-01T12:00:00+00:00")
    assert len(view.orders.rows) == 200
    assert "first 200 of 240 orders" in view.orders.note
    assert "orders.csv" in view.orders.note


def test_allocation_changes_in_percent(report_input: ReportInput):
    view = build_view(report_input, fingerprint="0" * 64, created_at="x")
    rows = [[c.text for c in row] for row in view.allocations.rows]
    index = report_input.strategy.target_weights.index
    assert rows == [
        [index[0].date().isoformat(), "100.00%", "0.00%"],
        [index[149].date().isoformat(), "0.00%", "100.00%"],
    ]


def test_frame_table_formats():
    frame = pd.DataFrame(
        {
            "spy_ret": [0.12345, -0.5],
            "total_return": [1.5, 2.0],
            "retained_big": [10.0, 7.0],  # outside [-5, 5]: not a return
            "score": [1234.5678, 123456.7],
            "flag": [True, False],
            "n": [3, 4],
        }
    )
    table = frame_table(frame, "t")
    assert table.columns == ["spy_ret", "total_return", "retained_big", "score", "flag", "n"]
    cells = [[c.text for c in row] for row in table.rows]
    assert cells[0] == ["12.35%", "150.00%", "10", "1235", "yes", "3"]
    assert cells[1] == ["-50.00%", "200.00%", "7", "123,457", "no", "4"]
    assert title_from_key("per_year") == "Per year"


def test_markdown(report_input: ReportInput, tmp_path: Path):
    folder = write_report(report_input, tmp_path / "reports")
    md = (folder / "report.md").read_text(encoding="utf-8")
    assert md.startswith("# first10days\n")
    assert "![Equity curves (log scale)](equity.png)" in md
    assert "![Drawdowns](drawdown.png)" in md
    assert "data:image" not in md
    cagr = format_stats(report_input.stats).loc["CAGR", "first10days"]
    assert re.search(rf"\| CAGR\s+\|\s+{re.escape(cagr)} \|", md)
    assert report_input.config_toml.strip() in md
    # escaped as in the HTML report: Markdown viewers render raw HTML
    assert markdown_cell(ISSUE_MESSAGE) in md
    assert "<gap>" not in md
    assert "### Per year" in md
    for note in report_input.notes:
        assert markdown_cell(note) in md


def test_markdown_escapes_pipes_and_fences():
    inp = make_input()
    inp.config_toml = 'a = "```"\n'
    inp.data.issues[0] = type(inp.data.issues[0])(
        ticker="IWM", kind="k", severity="error", message="a | b"
    )
    md = render_markdown(build_view(inp, fingerprint="0" * 64, created_at="x"))
    assert "a \\| b" in md
    assert '````toml\na = "```"\n````' in md


def test_render_html_directly_uses_given_images(report_input: ReportInput):
    view = build_view(report_input, fingerprint="0" * 64, created_at="x")
    page = render_html(view, b"\x89PNGfake-equity", b"\x89PNGfake-dd")
    assert base64.b64encode(b"\x89PNGfake-equity").decode() in page


def test_plots_do_not_touch_pyplot(report_input: ReportInput):
    import sys

    had_pyplot = "matplotlib.pyplot" in sys.modules
    plots.equity_png(report_input)
    plots.drawdown_png(report_input)
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_log_ticks_are_readable():
    assert log_ticks(80_000, 400_000) == [8e4, 1e5, 1.2e5, 1.5e5, 2e5, 2.5e5, 3e5, 4e5]
    wide = log_ticks(1_000, 10_000_000)
    assert wide == [1_000.0, 10_000.0, 100_000.0, 1_000_000.0, 10_000_000.0]
    narrow = log_ticks(95_000, 106_000)
    assert len(narrow) >= 3 and all(95_000 <= t <= 106_000 for t in narrow)


def test_terminal_summary(report_input: ReportInput):
    text = render_terminal_summary(report_input)
    lines = text.splitlines()
    formatted = format_stats(report_input.stats)
    assert lines[0].startswith("first10days")
    assert report_input.period[0].isoformat() in lines[0]
    assert len(lines) <= 25
    assert max(map(len, lines)) <= 120
    cagr_line = next(line for line in lines if line.startswith("CAGR"))
    assert cagr_line.split()[1] == formatted.loc["CAGR", "first10days"]
    for label in ("Sharpe", "Sortino", "Max drawdown", "Calmar", "Best year", "Worst year"):
        assert any(line.startswith(label) for line in lines), label


def test_terminal_summary_abbreviates_long_names():
    inp = make_input()
    long = {
        f"Benchmark number {i} with a very long descriptive name": b
        for i, b in enumerate(list(inp.benchmarks.values()) * 2)
    }
    for name, result in long.items():
        inp.stats[name] = inp.stats["SPY buy & hold"]
        inp.benchmarks[name] = result
    text = render_terminal_summary(inp)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 120
    assert "CAGR" in text and "~" in lines[1]
