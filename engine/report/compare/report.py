"""The comparison report: several strategies and the benchmarks on one common period.

    write_compare_report(inp, reports_root) -> reports_root/compare/<run_id>/  (written atomically)
    render_compare_summary(inp) -> str  (the compact table printed in the terminal)

The folder holds report.html (self-contained), report.md, equity.png, drawdown.png,
yearly_returns.png, correlations.png, stats.csv, yearly_returns.csv, correlations.csv,
equity.csv, one weights_<label>.csv and exposure_<label>.png per strategy, and run.json (written
last, listing every other file with its SHA-256). The HTML and Markdown reports are rendered
from one `CompareView`, so they show the same numbers.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from engine.data.model import MarketData
from engine.report.compare import plots as compare_plots
from engine.report.compare.answer import compare_answer
from engine.report.run import html, markdown
from engine.report.run.header import RunHeader, header_fields
from engine.report.run.narrative import beat_lines
from engine.report.run.terminal import RISK_RETURN_METRICS
from engine.report.run.writer import realised_weights_frame
from engine.report.toolkit import palette
from engine.report.toolkit.escape import markdown_cell
from engine.report.toolkit.folder import ReportError, ReportFolder, publish_folder
from engine.report.toolkit.format import format_stats, iso
from engine.report.toolkit.page import environment, png_data_uri
from engine.report.toolkit.provenance import period_record, run_json
from engine.report.toolkit.tables import Cell, Table
from engine.simulate.result import BacktestResult

TITLE = "compare"  # the reports sub-folder: reports/compare/<run_id>/
FIXED_FILES = (
    "report.html",
    "report.md",
    "equity.png",
    "drawdown.png",
    "yearly_returns.png",
    "correlations.png",
    "stats.csv",
    "yearly_returns.csv",
    "correlations.csv",
    "equity.csv",
    "run.json",
)
# A label is a strategy name, optionally with "@suffix"; it names files, so no dot or slash.
LABEL_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*(@[A-Za-z0-9_][A-Za-z0-9_\-]*)?$")


@dataclass
class ComparedStrategy:
    """One compared strategy: its label (the series name), its run and its configuration."""

    label: str  # "first10days", or "first10days@n15" for a second configuration
    strategy: str  # the registered strategy name
    description: str
    result: BacktestResult  # simulated on the common period
    config: dict  # the effective config, JSON-able
    config_toml: str
    own_period: tuple[dt.date, dt.date]  # the period it would run on alone
    own_period_note: str


@dataclass
class CompareInput:
    """Everything a comparison report shows, gathered before any file is written.

    `stats` (metric rows), `yearly` (year rows) and `correlations` (series x series) have one
    column per series: the strategies in the order given, then the benchmarks.
    """

    run_id: str
    command: str
    strategies: list[ComparedStrategy]
    benchmarks: dict[str, BacktestResult]
    benchmarks_from: str  # the label whose config defined the benchmarks
    stats: pd.DataFrame
    yearly: pd.DataFrame
    correlations: pd.DataFrame
    data: MarketData  # every price loaded, for provenance, findings and the fingerprint
    period: tuple[dt.date, dt.date]
    period_note: str  # the common period and which tickers set each bound
    versions: dict[str, str]
    notes: list[str] = field(default_factory=list)
    title: str = TITLE

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.strategies]

    @property
    def results(self) -> dict[str, BacktestResult]:
        """Every series: the strategies, then the benchmarks."""
        return {**{s.label: s.result for s in self.strategies}, **self.benchmarks}


def strategy_files(label: str) -> tuple[str, str]:
    """(weights CSV, exposure PNG) file names of one strategy."""
    return f"weights_{label}.csv", f"exposure_{label}.png"


def expected_files(labels: list[str]) -> set[str]:
    return {*FIXED_FILES, *(name for label in labels for name in strategy_files(label))}


def check_names(labels: list[str], benchmarks: list[str]) -> None:
    """Labels must be unique, usable in file names and distinct from every benchmark name."""
    bad = [label for label in labels if not LABEL_RE.match(label)]
    if bad:
        raise ReportError(
            f"strategy label(s) {bad} cannot name report files: use letters, digits, '_' and '-', "
            "with at most one '@' (NAME@LABEL)"
        )
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ReportError(f"strategy label(s) {twice} appear twice; each series needs its own")
    clash = sorted(set(labels) & set(benchmarks))
    if clash:
        raise ReportError(f"benchmark name(s) {clash} equal a strategy label; rename them")


# --------------------------------------------------------------------------- the view


@dataclass(kw_only=True)
class CompareView(RunHeader):
    """Every section of the comparison report, already formatted as text."""

    strategies: Table
    stats: Table
    yearly: Table
    correlations: Table
    configs: list[tuple[str, str]]  # (label, effective config as TOML)
    labels: list[str]
    benchmarks: list[str]
    beats: list[str] = field(default_factory=list)
    answer: str = ""


def _execution(config: dict) -> str:
    bt = config.get("backtest", {})
    cash = bt.get("cash_ticker") or "none"
    return (
        f"lag {bt.get('lag')} at the {bt.get('trade_at')}; fees {bt.get('fees_bps'):g} and "
        f"slippage {bt.get('slippage_bps'):g} bps; cash yield {cash}"
    )


def strategies_view(inp: CompareInput) -> Table:
    rows = [
        [
            Cell(s.label),
            Cell(s.strategy),
            Cell(s.description),
            Cell(f"{iso(s.own_period[0])} to {iso(s.own_period[1])}"),
            Cell(_execution(s.config)),
        ]
        for s in inp.strategies
    ]
    columns = ["Label", "Strategy", "Description", "Own period", "Execution and costs"]
    note = (
        "Each strategy's own period is the one a run of it alone would use; all of them run "
        f"here on the common period. The benchmarks ({', '.join(inp.benchmarks) or 'none'}) "
        f"come from the config of {inp.benchmarks_from} and use its execution settings."
    )
    return Table("Strategies compared", columns, rows, [False] * len(columns), note)


def correlations_view(inp: CompareInput) -> Table:
    corr = inp.correlations
    rows = [
        [Cell(str(name)), *(Cell("n/a" if pd.isna(v) else f"{v:.2f}") for v in values)]
        for name, values in zip(corr.index, corr.to_numpy(dtype=float), strict=True)
    ]
    note = (
        f"Pearson correlation of the daily returns from {iso(inp.period[0])} to "
        f"{iso(inp.period[1])} (the first session, with no return, left out); n/a where a "
        "series never moves."
    )
    columns = ["", *map(str, corr.columns)]
    return Table(
        "Correlation of daily returns", columns, rows, [False] + [True] * len(corr.columns), note
    )


def build_compare_view(
    inp: CompareInput, fingerprint: str | None = None, created_at: str | None = None
) -> CompareView:
    """Format every section once, for both the HTML and the Markdown report."""
    main = next(iter(inp.benchmarks), "")  # the strategies' cells are coloured against it
    title = f"Comparison: {', '.join(inp.labels)}"
    return CompareView(
        **header_fields(inp, title, fingerprint, created_at),
        strategies=strategies_view(inp),
        stats=html.stats_table_view(inp.stats, judged=len(inp.labels), benchmark=main),
        yearly=html.yearly_table_view(inp.yearly, inp.period, len(inp.labels), main),
        correlations=correlations_view(inp),
        configs=[(s.label, s.config_toml) for s in inp.strategies],
        labels=inp.labels,
        benchmarks=list(inp.benchmarks),
        beats=_beats(inp),
        answer=compare_answer(inp.stats, inp.labels, list(inp.benchmarks), inp.period),
    )


def _beats(inp: CompareInput) -> list[str]:
    """Per strategy, how many full calendar years it beat the main benchmark."""
    if not inp.benchmarks:
        return []
    main = next(iter(inp.benchmarks))
    out: list[str] = []
    partial: list[str] = []  # the same "partial years left out" line for every strategy
    curve = {main: inp.benchmarks[main].equity}
    for compared in inp.strategies:
        lines = beat_lines(compared.result.equity, curve, compared.label)
        out += lines[:1]
        partial = lines[1:]
    return out + partial


# --------------------------------------------------------------------------- HTML and Markdown


def render_compare_html(view: CompareView, images: dict[str, bytes]) -> str:
    """The page, with every chart of `images` (file name -> PNG) embedded as a data URI."""
    template = environment().get_template("compare.html.j2")
    sources = {name: png_data_uri(png) for name, png in images.items()}
    exposures = [(label, sources[strategy_files(label)[1]]) for label in view.labels]
    return template.render(v=view, src=sources, exposures=exposures)


def render_compare_markdown(view: CompareView) -> str:
    table, safe = markdown.table_markdown, markdown_cell
    out: list[str] = [f"# {safe(view.title)}", f"Run `{view.run_id}`, generated {view.created_at}"]
    out += markdown.run_header_markdown(view)
    out += [f"**{safe(view.answer)}**" if view.answer else ""]
    out += [f"## {view.strategies.title}", table(view.strategies)]
    out += ["## Statistics", table(view.stats)]
    out += ["## Equity", "![Equity curves (log scale)](equity.png)"]
    out += ["## Drawdown", "![Drawdowns](drawdown.png)"]
    out += [f"## {view.yearly.title}", "![Calendar-year returns](yearly_returns.png)"]
    out.append("\n".join(f"- {safe(line)}" for line in view.beats))
    out.append(table(view.yearly))
    out += [f"## {view.correlations.title}", table(view.correlations)]
    out.append("![Correlation of daily returns](correlations.png)")
    out.append("## Exposure")
    for label in view.labels:
        out += [f"### {safe(label)}", f"![Exposure of {safe(label)}]({strategy_files(label)[1]})"]
    out += ["## Data", f"### {view.provenance.title}", table(view.provenance)]
    out += [f"### {view.issues.title}", table(view.issues)]
    out += ["### Price data fingerprint", f"SHA-256 of every price used: `{view.fingerprint}`"]
    out.append("## Effective configurations")
    for label, text in view.configs:
        out += [f"### {safe(label)}", markdown.fenced(text, "toml")]
    out += [f"## {view.versions.title}", table(view.versions)]
    return "\n\n".join(part for part in out if part) + "\n"


def render_compare_summary(inp: CompareInput) -> str:
    """CAGR, volatility, Sharpe, Sortino, max drawdown and Calmar: one row per series."""
    keys = [k for k in RISK_RETURN_METRICS if k in inp.stats.index]
    table = format_stats(inp.stats.loc[keys]).T
    rows = [[str(name), *map(str, table.loc[name])] for name in table.index]
    body = tabulate(
        rows,
        headers=["", *map(str, table.columns)],
        tablefmt="simple",
        disable_numparse=True,
        colalign=("left", *(["right"] * len(table.columns))),
    )
    answer = compare_answer(inp.stats, inp.labels, list(inp.benchmarks), inp.period)
    head = textwrap.fill(answer, 100) + "\n\n" if answer else ""
    return f"{head}compare: {iso(inp.period[0])} to {iso(inp.period[1])}\n{body}"


# --------------------------------------------------------------------------- the folder


def equity_frame(inp: CompareInput) -> pd.DataFrame:
    frame = pd.concat({name: r.equity for name, r in inp.results.items()}, axis=1)
    frame.index.name = "date"
    return frame


def compare_details(inp: CompareInput) -> dict[str, object]:
    """What run.json records of a comparison beyond what every run records (`run_json`)."""
    return {
        "strategies": [
            {
                "label": s.label,
                "strategy": s.strategy,
                "description": s.description,
                "own_period": period_record(s.own_period, s.own_period_note),
                "config": s.config,
            }
            for s in inp.strategies
        ],
        "benchmarks": {"from": inp.benchmarks_from, "names": list(inp.benchmarks)},
    }


def _named(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    out = frame.copy()
    out.index.name = out.index.name or name
    return out


def _write_files(inp: CompareInput, folder: Path) -> None:
    """Every report file into `folder` (run.json last, listing the others with their hashes)."""
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fingerprint = inp.data.fingerprint()
    out = ReportFolder(folder)
    out.write_csv("stats.csv", _named(inp.stats, "metric"))
    out.write_csv("yearly_returns.csv", _named(inp.yearly, "year"))
    out.write_csv("correlations.csv", _named(inp.correlations, "series"))
    out.write_csv("equity.csv", equity_frame(inp))
    for s in inp.strategies:
        out.write_csv(strategy_files(s.label)[0], realised_weights_frame(s.result))

    strategies = {s.label: s.result.equity for s in inp.strategies}
    benchmarks = {name: r.equity for name, r in inp.benchmarks.items()}
    initial = float(inp.strategies[0].result.equity.dropna().iloc[0])
    images = {
        "equity.png": compare_plots.equity_png(strategies, benchmarks, initial),
        "drawdown.png": compare_plots.drawdown_png(strategies, benchmarks),
        "yearly_returns.png": compare_plots.yearly_heatmap_png(inp.yearly),
        "correlations.png": compare_plots.correlation_png(inp.correlations),
    }
    # One colour per ticker across every strategy's exposure chart.
    tickers = palette.ticker_colors(
        str(t)
        for s in inp.strategies
        for t in s.result.weights.columns
        if (s.result.weights[t].abs() > 1e-12).any()
    )
    for s in inp.strategies:
        png = compare_plots.exposure_png(s.label, s.result.weights, s.result.cash_weight, tickers)
        images[strategy_files(s.label)[1]] = png
    for name, png in images.items():
        out.write_bytes(name, png)

    view = build_compare_view(inp, fingerprint=fingerprint, created_at=created_at)
    out.write_text("report.html", render_compare_html(view, images))
    out.write_text("report.md", render_compare_markdown(view))
    record = run_json(inp, fingerprint, created_at, list(out.files), **compare_details(inp))
    out.write_json("run.json", record)


def write_compare_report(inp: CompareInput, reports_root: Path) -> Path:
    """Write the complete comparison report; return reports_root/compare/<run_id>.

    Raises ReportError for unusable labels, an existing run folder or an unwritable root; on
    any failure no partial report folder is left behind.
    """
    if not inp.strategies:
        raise ReportError("a comparison report needs at least one strategy")
    check_names(inp.labels, list(inp.benchmarks))
    return publish_folder(reports_root, inp.title, inp.run_id, lambda f: _write_files(inp, f))
