"""Everything a report shows, gathered by the pipeline before any file is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from engine.data.model import MarketData
from engine.simulate.result import BacktestResult


@dataclass
class ReportInput:
    """One strategy run and its benchmarks, ready to render.

    `stats` has one row per metric (index = metric key from `engine.stats.metrics.METRICS`) and one
    column per series (the strategy first, then the benchmarks), holding raw floats.
    `yearly` has one row per calendar year and the same columns, holding simple returns.
    `tables` are the strategy's own diagnostics (e.g. "per_year"); each is written as <key>.csv.
    """

    title: str  # the strategy's name; also the report's folder under reports/
    description: str
    run_id: str
    command: str  # the command line that produced the run
    strategy: BacktestResult
    benchmarks: dict[str, BacktestResult]
    stats: pd.DataFrame
    yearly: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    config: dict  # the effective config, JSON-able (dates as ISO strings)
    config_toml: str  # the same config as TOML text, shown verbatim in the report
    data: MarketData  # provenance (sources), validation issues and fingerprint
    period: tuple[dt.date, dt.date]
    period_note: str  # why the period starts and ends where it does
    versions: dict[str, str]  # python and package versions
    notes: list[str] = field(default_factory=list)  # caveats shown at the top of the report
    # Did the rule beat its benchmarks, and could that be luck: plain-words lines for the top of
    # the report and the terminal, and their tables (title -> frame), filled by
    # engine.inference.verdicts.
    verdict_lines: list[str] = field(default_factory=list)
    verdict_tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Sessions at the period start the strategy held cash because its rule could not decide yet
    # (0: none), and the first session it decided on; the notes hold the sentence.
    warmup_sessions: int = 0
    first_decision: dt.date | None = None
    # A warm-up the rule spent in cash before it could decide (filled by the pipeline), said
    # in the summary paragraph when not empty.
    warmup_note: str = ""
