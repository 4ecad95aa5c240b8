"""`rl.run`: one strategy against its benchmarks, as `run_backtest.py STRATEGY` runs it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.api.catalog import StrategySpec, resolve_spec
from engine.api.display import curves_figure, numeric_stats, summary_html, summary_text
from engine.api.inputs import Sections, config_for, section_values, shown_call
from engine.api.startup import check_reports_root, report_once, start_up
from engine.config.run_config import RunConfig
from engine.decisions.strategy import Strategy
from engine.paths import project_root, resolve
from engine.report.model import ReportInput

if TYPE_CHECKING:  # the simulator (and vectorbt) load only when a run is asked
    from matplotlib.figure import Figure

    from engine.simulate.pipeline import SimulatedRun

__all__ = ["RunResult", "run"]


@dataclass
class RunResult:
    """A finished run: every number of its report, as pandas objects.

    `stats` is metrics x runs (the strategy, then each benchmark), all floats; the dates are in
    `period`. `equity` and `returns` have a column per run; `weights` are the strategy's
    realised weights at each close, `target_weights` the rows it asked for, `orders` its fills.
    `input` is the full report input (provenance, data findings, verdicts) and `config` the
    effective config. The run is simulated at once; statistics, verdicts and the strategy's
    tables are computed on first access (a notebook loop pays only for what it looks at).
    """

    run: SimulatedRun
    config: RunConfig
    command: str
    _folders: dict[Path, Path] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.run.strategy.name

    @cached_property
    def _stats_table(self) -> pd.DataFrame:
        return self.run.stats()

    @property
    def stats(self) -> pd.DataFrame:
        return numeric_stats(self._stats_table)

    @property
    def period(self) -> tuple[Any, Any]:
        return self.run.period.start.date(), self.run.period.end.date()

    @cached_property
    def input(self) -> ReportInput:
        from engine.api.report_input import report_input

        return report_input(self.run, self.command, stats=self._stats_table, yearly=self.yearly)

    @property
    def equity(self) -> pd.DataFrame:
        return pd.DataFrame({n: r.equity for n, r in self.run.runs.items()})

    @property
    def returns(self) -> pd.DataFrame:
        return pd.DataFrame({n: r.returns for n, r in self.run.runs.items()})

    @property
    def weights(self) -> pd.DataFrame:
        return self.run.result.weights

    @property
    def target_weights(self) -> pd.DataFrame:
        return self.run.result.target_weights

    @property
    def orders(self) -> pd.DataFrame:
        return self.run.result.orders

    @cached_property
    def yearly(self) -> pd.DataFrame:
        return self.run.yearly()

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.input.tables

    @property
    def notes(self) -> list[str]:
        return self.input.notes

    @property
    def warmup_sessions(self) -> int:
        """Sessions at the period start the strategy held cash because its rule could not
        decide yet, while the benchmarks were invested (0: none; see backtest.start_when)."""
        start = self.run.cash_start
        return start.sessions if start else 0

    @property
    def first_decision(self) -> Any:
        """The first session the rule decided on, when after the period start (else None)."""
        start = self.run.cash_start
        return start.first_decision.date() if start and start.first_decision else None

    def plot(self) -> Figure:
        """Equity (log scale) and drawdown of the strategy and its benchmarks."""
        return curves_figure(self.equity, f"{self.name}: growth and drawdown", [self.name])

    def report(self, folder: str | Path | None = None) -> Path:
        """Write the report (as the CLI does) under `folder` (default: the config's
        report.output_dir) and return the report's own folder; asking again returns it."""
        from engine.report.run.writer import write_report

        write = partial(write_report, self.input)
        return report_once(self._folders, folder, self.config.report.output_dir, write)

    def _repr_html_(self) -> str:
        return summary_html(self.name, self.period, self.stats, self.input.verdict_lines)

    def __str__(self) -> str:
        """What the run found, in plain text: the verdict lines (the warm-up first, when the
        rule held cash at the start) and the key metrics of the strategy and benchmarks."""
        lines = [n for n in self.notes if self.warmup_sessions and " held cash " in n]
        return summary_text(self.name, self.period, self.stats, lines + self.input.verdict_lines)

    def __repr__(self) -> str:
        start, end = self.period
        return f"<RunResult {self.name} {start} to {end}; print() it for a summary>"


def run(
    strategy: StrategySpec,
    *,
    config: str | Path | None = None,
    defaults: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    backtest: Sections = None,
    data: Sections = None,
    report: Sections = None,
    benchmarks: Sequence[Any] | None = None,
    strategies_dir: str | Path | None = None,
    catalog: Mapping[str, Strategy] | None = None,
    command: str | None = None,
    **params: Any,
) -> RunResult:
    """Run one strategy (a name or a `Strategy` object) with its layered config.

    Rule parameters go in as keywords (`lead_days=15`); `backtest=`, `data=`, `report=` take
    dicts of their sections and `benchmarks=` a list of {name, weights, rebalance}; `overrides`
    takes the CLI's `--set` strings, `config` replaces the strategy's TOML and `defaults` adds a
    shared-defaults file. A name is looked up in `catalog` when given, else among the library,
    the folders loaded with `rl.load_strategies` and `strategies_dir`. Bad input raises
    `rl.BadInputError` (a ValueError) with the CLI's message.
    """
    from engine.simulate.pipeline import simulate_run  # the simulator and friends, only when asked

    chosen = resolve_spec(strategy, strategies_dir, catalog)
    values = section_values(params, backtest, data, report, benchmarks)
    cfg = config_for(chosen, config, defaults, overrides, values)
    start_up(cfg.data, None)
    check_reports_root(resolve(cfg.report.output_dir))  # a file there: refused before any work
    shown = command or shown_call(
        "run", chosen.name, config=config, defaults=defaults, overrides=overrides, **values
    )
    return RunResult(simulate_run(chosen, cfg, project_root()), cfg, shown)
