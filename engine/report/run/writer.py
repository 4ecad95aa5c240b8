"""The report folder: its layout, the CSV/JSON files, and the atomic publish.

Layout: reports_root/<title>/<run_id>/ holding report.html, report.md, the charts (equity,
drawdown, allocation, yearly_returns, monthly_returns and rolling .png), monthly_returns.csv,
drawdowns.csv, rolling.csv, stats.csv, yearly_returns.csv, equity.csv, weights.csv,
target_weights.csv, orders.csv, <key>.csv per strategy table, config.toml and run.json (written
last: it lists every other file with its SHA-256). reports_root/<title>/latest.txt holds the id
of the latest run written.

Everything is written into reports_root/<title>/.tmp-<run_id>-<random>/ and renamed into place
only once complete; on any failure the temporary folder is removed, so a report folder either
exists complete or not at all. An existing run folder is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from engine.report.model import ReportInput
from engine.report.run import html, markdown, period_plots, plots
from engine.report.toolkit.folder import (
    ReportError,
    ReportFolder,
    publish_folder,
)
from engine.report.toolkit.provenance import run_json
from engine.report.toolkit.tables import has_meaningful_index
from engine.simulate.result import BacktestResult

__all__ = [
    "FIXED_FILES",
    "realised_weights_frame",
    "run_details",
    "target_weights_frame",
    "write_report",
]

FIXED_FILES = (
    "report.html",
    "report.md",
    "equity.png",
    "drawdown.png",
    "allocation.png",
    "yearly_returns.png",
    "monthly_returns.png",
    "rolling.png",
    "stats.csv",
    "yearly_returns.csv",
    "monthly_returns.csv",
    "drawdowns.csv",
    "rolling.csv",
    "equity.csv",
    "weights.csv",
    "target_weights.csv",
    "orders.csv",
    "config.toml",
    "run.json",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


# --------------------------------------------------------------------------- the frames


def equity_frame(inp: ReportInput) -> pd.DataFrame:
    """Daily equity of the strategy and every benchmark, one column each (outer-joined dates)."""
    columns = {inp.strategy.name: inp.strategy.equity}
    columns.update({name: result.equity for name, result in inp.benchmarks.items()})
    frame = pd.concat(columns, axis=1)
    frame.index.name = "date"
    return frame


def realised_weights_frame(result: BacktestResult) -> pd.DataFrame:
    """Realised daily weights of one run plus the uninvested share as `cash`."""
    frame = result.weights.copy()
    frame["cash"] = result.cash_weight.reindex(frame.index)
    frame.index.name = "date"
    return frame


def weights_frame(inp: ReportInput) -> pd.DataFrame:
    """Realised daily weights of the strategy plus the uninvested share as `cash`."""
    return realised_weights_frame(inp.strategy)


def target_weights_frame(inp: ReportInput) -> pd.DataFrame:
    """The strategy's decision rows (the all-NaN 'no change' rows left out)."""
    target = inp.strategy.target_weights
    frame = target[~target.isna().all(axis=1)].copy()
    frame.index.name = "date"
    return frame


def run_details(inp: ReportInput) -> dict[str, object]:
    """What run.json records of a single run beyond what every run records (`run_json`)."""
    return {
        "description": inp.description,
        "config": inp.config,
        "verdicts": {
            "lines": list(inp.verdict_lines),
            "tables": {
                k: f.reset_index().to_dict("records") for k, f in inp.verdict_tables.items()
            },
        },
    }


def _write_files(inp: ReportInput, folder: Path) -> None:
    """Every report file into `folder` (run.json last, listing the others with their hashes)."""
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fingerprint = inp.data.fingerprint()
    out = ReportFolder(folder)

    stats = inp.stats.copy()
    stats.index.name = stats.index.name or "metric"
    yearly = inp.yearly.copy()
    yearly.index.name = yearly.index.name or "year"
    out.write_csv("stats.csv", stats)
    out.write_csv("yearly_returns.csv", yearly)
    out.write_csv("equity.csv", equity_frame(inp))
    out.write_csv("weights.csv", weights_frame(inp))
    out.write_csv("target_weights.csv", target_weights_frame(inp))
    out.write_csv("orders.csv", inp.strategy.orders, index=False)
    for key, frame in inp.tables.items():
        name = f"{key}.csv"
        if not _SAFE_NAME.match(str(key)) or name in FIXED_FILES:
            raise ReportError(
                f"strategy table {key!r} cannot be written as {name}: use letters, digits, "
                "'_', '-' or '.', not starting with a dot, and not a name the report uses"
            )
        has_index = has_meaningful_index(frame)
        out.write_csv(name, frame, index=has_index)
    out.write_text("config.toml", inp.config_toml)

    from engine.stats.metrics import drawdown_periods, monthly_returns

    out.write_csv("monthly_returns.csv", monthly_returns(inp.strategy.equity))
    out.write_csv("drawdowns.csv", drawdown_periods(inp.strategy.equity), index=False)
    out.write_csv("rolling.csv", period_plots.rolling_frame(inp))

    equity_png = plots.equity_png(inp)
    out.write_bytes("equity.png", equity_png)
    drawdown_png = plots.drawdown_png(inp)
    out.write_bytes("drawdown.png", drawdown_png)
    charts = {
        "allocation.png": plots.allocation_png(inp),
        "yearly_returns.png": period_plots.yearly_png(inp),
        "monthly_returns.png": period_plots.monthly_png(inp),
        "rolling.png": period_plots.rolling_png(inp),
    }
    for name, data in charts.items():
        out.write_bytes(name, data)

    view = html.build_view(inp, fingerprint=fingerprint, created_at=created_at)
    out.write_text("report.html", html.render_html(view, equity_png, drawdown_png, charts))
    out.write_text("report.md", markdown.render_markdown(view))

    record = run_json(inp, fingerprint, created_at, list(out.files), **run_details(inp))
    out.write_json("run.json", record)


# --------------------------------------------------------------------------- publishing


def write_report(inp: ReportInput, reports_root: Path) -> Path:
    """Write the complete report of one run and return its folder, reports_root/<title>/<run_id>.

    Raises ReportError if the run folder already exists (it is never overwritten) or if the
    folder cannot be written; in every failure case no partial report folder is left behind.
    """
    return publish_folder(
        reports_root, inp.title, inp.run_id, lambda folder: _write_files(inp, folder)
    )
