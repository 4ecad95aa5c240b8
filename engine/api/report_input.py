"""A single run's report input: the simulated run with its statistics, verdicts, notes and
provenance, assembled once for the report, the terminal and `rl.run`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.calendar import nyse_sessions
from engine.config.run_config import RunConfig
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.report.model import ReportInput
from engine.report.toolkit.provenance import new_run_id, package_versions
from engine.report.verdict_text import run_verdicts
from engine.simulate.pipeline import Period, SimulatedRun, WarmUp, simulate_run
from engine.simulate.result import BacktestResult

__all__ = ["closing_notes", "report_input", "run_strategy"]


def _notes(
    cfg: RunConfig,
    data: MarketData,
    period: Period,
    strategy: BacktestResult,
    cash_start: WarmUp | None = None,
    name: str = "",
) -> list[str]:
    notes = [cash_start.sentence(name)] if cash_start else []
    notes += [
        f"Decisions use closes up to day t and trade {cfg.backtest.lag} session(s) later at the "
        f"{cfg.backtest.trade_at}; fees {cfg.backtest.fees_bps:g} bps and slippage "
        f"{cfg.backtest.slippage_bps:g} bps on traded value; returns from adjusted closes "
        "(dividends reinvested).",
    ]
    if not cfg.backtest.cash_ticker:
        notes.append("Uninvested cash earns nothing (no cash_ticker configured).")
    else:
        notes.append(
            f"Uninvested cash earns {cfg.backtest.cash_ticker} ({cfg.backtest.cash_ticker_kind}); "
            f"it earned {strategy.cash_earned:,.2f} over the period. On sessions without a "
            "published yield the previous one is used."
        )
    return notes + closing_notes(period, data, "the data")


def closing_notes(period: Period, data: MarketData, what_ends: str) -> list[str]:
    """The last notes of a single run's and a comparison's report: a partial last year (where
    `what_ends` ends) and how many data findings of warning level or above there are."""
    notes = []
    year = period.end.year
    if period.end < nyse_sessions(f"{year}-12-01", f"{year}-12-31")[-1]:
        notes.append(f"{year} is a partial year: {what_ends} ends on {period.end.date()}.")
    warnings = [i for i in data.issues if i.severity != "info"]
    if warnings:
        notes.append(
            f"{len(warnings)} data validation finding(s) of warning level or above; "
            "see the data section."
        )
    return notes


def report_input(
    run: SimulatedRun,
    command: str,
    run_id: str | None = None,
    stats: pd.DataFrame | None = None,
    yearly: pd.DataFrame | None = None,
) -> ReportInput:
    """Everything a report needs for a simulated run (statistics already computed may be given)."""
    strategy, cfg, data, result = run.strategy, run.cfg, run.data, run.result
    lag = cfg.backtest.lag
    lines, tables = run_verdicts(strategy, cfg.params, result, run.benchmarks, data, lag)
    period, cash_start = run.period, run.cash_start
    return ReportInput(
        title=strategy.name,
        description=strategy.description,
        run_id=run_id or new_run_id(),
        command=command,
        strategy=result,
        benchmarks=run.benchmarks,
        stats=run.stats() if stats is None else stats,
        yearly=run.yearly() if yearly is None else yearly,
        tables=strategy.tables(data, cfg.params),
        config=cfg.as_dict(),
        config_toml=cfg.to_toml(),
        data=data,
        period=(period.start.date(), period.end.date()),
        period_note=period.note,
        versions=package_versions(),
        notes=_notes(cfg, data, period, result, cash_start, strategy.name),
        verdict_lines=lines,
        verdict_tables=tables,
        warmup_sessions=cash_start.sessions if cash_start else 0,
        warmup_note=cash_start.sentence(strategy.name) if cash_start else "",
        first_decision=(
            cash_start.first_decision.date() if cash_start and cash_start.first_decision else None
        ),
    )


def run_strategy(
    strategy: Strategy,
    cfg: RunConfig,
    project_root: Path,
    command: str,
    run_id: str | None = None,
) -> ReportInput:
    """Everything a report needs for one strategy run, computed on one common period."""
    return report_input(simulate_run(strategy, cfg, project_root), command, run_id)
