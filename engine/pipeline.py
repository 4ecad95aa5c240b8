"""One strategy run: data -> target weights -> portfolios -> metrics -> report input.

The flow is one-way; each step only consumes what the previous one produced. Nothing here knows
which strategy it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.backtest import cash_returns_from_series, run_backtest, static_mix_weights
from engine.calendar import nyse_sessions
from engine.config import RunConfig
from engine.data import load_market_data
from engine.data.model import MarketData
from engine.errors import BadInputError, DataQualityError
from engine.metrics import stats_table, yearly_table
from engine.report.model import ReportInput
from engine.report.toolkit.provenance import new_run_id, package_versions
from engine.results import BacktestResult
from engine.strategy import Strategy
from engine.verdict_words import run_verdicts


@dataclass(frozen=True)
class Period:
    """A run's first and last session; `note` says why, `start_reason`/`end_reason` each bound."""

    start: pd.Timestamp
    end: pd.Timestamp
    note: str
    start_reason: str = ""
    end_reason: str = ""


def needed_tickers(strategy: Strategy, cfg: RunConfig) -> list[str]:
    """Tickers without which the run cannot happen: the strategy's, benchmarks', beta, cash."""
    names = list(strategy.tickers(cfg.params))
    for bench in cfg.benchmarks:
        names.extend(bench.weights)
    names.append(cfg.report.beta_benchmark)
    if cfg.backtest.cash_ticker:
        names.append(cfg.backtest.cash_ticker)
    return list(dict.fromkeys(t.upper() for t in names))


def data_window(
    strategy: Strategy, cfg: RunConfig, lookback: int | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Load from `lookback` sessions before the start, so the first decision has its history
    (the strategy's lookback for the config's parameters unless given)."""
    start = pd.Timestamp(cfg.backtest.start)
    end = pd.Timestamp(cfg.backtest.end) if cfg.backtest.end else pd.Timestamp.today().normalize()
    if lookback is None:
        lookback = strategy.lookback_sessions(cfg.params)
    before = nyse_sessions(start - pd.DateOffset(days=int(lookback * 1.6) + 30), start)
    first = before[-(lookback + 1)] if len(before) > lookback else before[0]
    return first, end


def common_period(
    data: MarketData, tickers: list[str], cfg: RunConfig, end_tickers: list[str] | tuple = ()
) -> Period:
    """Latest first date among the needed tickers and earliest last date among them and the
    `end_tickers` (a strategy's optional tickers: they may start late, but the simulation
    stops when any of them stops, so nothing is ever held without a price), within the request.
    """
    firsts = data.first_valid()[tickers]
    wanted_start = pd.Timestamp(cfg.backtest.start)
    extra = [t for t in dict.fromkeys(t.upper() for t in end_tickers) if t not in tickers]
    extra_lasts = data.last_valid()[extra].dropna()
    extra_lasts = extra_lasts[extra_lasts >= wanted_start]  # ended before: never eligible
    lasts = pd.concat([data.last_valid()[tickers], extra_lasts])
    missing = firsts[firsts.isna()].index.tolist()
    if missing:  # the user's period holds no price of a ticker the run cannot do without
        spans = ", ".join(
            f"{t} {data.sources[t].first} to {data.sources[t].last}"
            for t in missing
            if t in data.sources
        )
        raise BadInputError(
            f"backtest.start = {wanted_start.date()} / backtest.end = "
            f"{cfg.backtest.end or 'latest'} is refused: no price in that period for "
            f"{', '.join(missing)}{f' (data: {spans})' if spans else ''}; choose a period "
            "where every needed ticker trades"
        )
    latest_first, late_ticker = firsts.max(), firsts.idxmax()
    if lasts.min() < wanted_start:
        raise BadInputError(
            f"backtest.start = {wanted_start.date()} is refused: the needed tickers share no "
            f"period from it on, the data of {lasts.idxmin()} ends on {lasts.min().date()}; "
            "choose an earlier start"
        )
    start = max(data.index[data.index >= wanted_start][0], latest_first)
    end = lasts.min()
    if cfg.backtest.end is not None:
        end = min(end, data.index[data.index <= pd.Timestamp(cfg.backtest.end)][-1])
    if end <= start:
        raise DataQualityError(
            f"the needed tickers {tickers} share no period: latest first date "
            f"{latest_first.date()} ({late_ticker}), earliest last date {lasts.min().date()} "
            f"({lasts.idxmin()})"
        )
    why_start = (
        f"the requested start {wanted_start.date()}"
        if start > latest_first
        else f"the first date of {late_ticker} (latest first date among {', '.join(tickers)}; "
        f"requested start {wanted_start.date()})"
    )
    why_end = (
        f"the requested end {cfg.backtest.end}"
        if cfg.backtest.end is not None and end < lasts.min()
        else f"the last date of {lasts.idxmin()} (earliest last date among the tickers used)"
    )
    note = (
        f"Starts on {why_start}; ends on {why_end}. "
        "The strategy and its benchmarks run on this same period."
    )
    return Period(start=start, end=end, note=note, start_reason=why_start, end_reason=why_end)


def strategy_period(strategy: Strategy, cfg: RunConfig, data: MarketData) -> Period:
    """The period one strategy runs on: its needed tickers bound both ends, its optional
    tickers only the end."""
    optional = strategy.optional_tickers(cfg.params)
    return common_period(data, needed_tickers(strategy, cfg), cfg, end_tickers=optional)


def _binding(periods: Mapping[str, Period], bound: str, when: pd.Timestamp) -> str:
    """Who sets one bound of an intersection: the runs at that bound, grouped by reason."""
    reasons: dict[str, list[str]] = {}
    for label, period in periods.items():
        if getattr(period, bound) == when:
            reasons.setdefault(getattr(period, f"{bound}_reason"), []).append(label)
    return "; ".join(f"{reason} for {', '.join(labels)}" for reason, labels in reasons.items())


def intersect_periods(periods: Mapping[str, Period]) -> Period:
    """The period every run shares: the latest start and the earliest end, and who set them.

    Raises DataQualityError when the periods do not overlap.
    """
    if not periods:
        raise ValueError("no period to intersect")
    start = max(p.start for p in periods.values())
    end = min(p.end for p in periods.values())
    if end <= start:
        listed = "; ".join(
            f"{label} {p.start.date()} to {p.end.date()}" for label, p in periods.items()
        )
        raise DataQualityError(f"the runs share no period: {listed}")
    why_start = _binding(periods, "start", start)
    why_end = _binding(periods, "end", end)
    note = (
        f"Common period {start.date()} to {end.date()}, the intersection of each run's own "
        f"period: starts on {why_start}; ends on {why_end}. All strategies and benchmarks run "
        "on this same period."
    )
    return Period(start=start, end=end, note=note, start_reason=why_start, end_reason=why_end)


def trim_weights(weights: pd.DataFrame, period_index: pd.DatetimeIndex) -> pd.DataFrame:
    """Restrict to the period; the allocation wanted at its start is carried in as the first row."""
    before = weights.loc[: period_index[0]].dropna(how="all")
    trimmed = weights.reindex(period_index)
    if trimmed.iloc[0].isna().all() and not before.empty:
        trimmed.iloc[0] = before.iloc[-1]
    return trimmed


def _cash_returns(data: MarketData, cfg: RunConfig, index: pd.DatetimeIndex) -> pd.Series | None:
    ticker = cfg.backtest.cash_ticker.upper()
    if not ticker:
        return None
    series = data.adj_close[ticker]
    return cash_returns_from_series(series, cfg.backtest.cash_ticker_kind).reindex(index)


def _notes(cfg: RunConfig, data: MarketData, period: Period, strategy: BacktestResult) -> list[str]:
    notes = [
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
    last_year_end = nyse_sessions(f"{period.end.year}-12-01", f"{period.end.year}-12-31")[-1]
    if period.end < last_year_end:
        notes.append(f"{period.end.year} is a partial year: the data ends on {period.end.date()}.")
    warnings = [i for i in data.issues if i.severity != "info"]
    if warnings:
        notes.append(
            f"{len(warnings)} data validation finding(s) of warning level or above; "
            "see the data section."
        )
    return notes


def load_data_for(
    strategy: Strategy, cfg: RunConfig, project_root: Path, extra: list[str] | tuple = ()
) -> MarketData:
    """Every ticker the run needs (and the strategy's optional ones), from the lookback on."""
    tickers = needed_tickers(strategy, cfg) + [t.upper() for t in extra]
    tickers += [t.upper() for t in strategy.optional_tickers(cfg.params)]
    first, last = data_window(strategy, cfg)
    return load_market_data(list(dict.fromkeys(tickers)), first, last, cfg.data, project_root)


def period_index(data: MarketData, period: Period) -> pd.DatetimeIndex:
    return data.index[(data.index >= period.start) & (data.index <= period.end)]


def simulate_strategy(
    strategy: Strategy, cfg: RunConfig, data: MarketData, period: Period
) -> BacktestResult:
    """The strategy's weights on the whole data, trimmed to the period, through the engine."""
    index = period_index(data, period)
    weights = trim_weights(strategy.weights(data, cfg.params), index)
    cash = _cash_returns(data, cfg, index)
    return run_backtest(weights, data, cfg.backtest, name=strategy.name, cash_returns=cash)


def simulate_benchmarks(
    cfg: RunConfig, data: MarketData, period: Period
) -> dict[str, BacktestResult]:
    index = period_index(data, period)
    cash = _cash_returns(data, cfg, index)
    return {
        b.name: run_backtest(
            static_mix_weights(index, b.weights, b.rebalance),
            data,
            cfg.backtest,
            name=b.name,
            cash_returns=cash,
        )
        for b in cfg.benchmarks
    }


def beta_returns(cfg: RunConfig, data: MarketData, period: Period) -> pd.Series:
    prices = data.adj_close[cfg.report.beta_benchmark.upper()].reindex(period_index(data, period))
    return prices.pct_change(fill_method=None).fillna(0.0)


def run_strategy(
    strategy: Strategy,
    cfg: RunConfig,
    project_root: Path,
    command: str,
    run_id: str | None = None,
) -> ReportInput:
    """Everything a report needs for one strategy run, computed on one common period."""
    data = load_data_for(strategy, cfg, project_root)
    period = strategy_period(strategy, cfg, data)
    result = simulate_strategy(strategy, cfg, data, period)
    benchmarks = simulate_benchmarks(cfg, data, period)
    everything = {strategy.name: result, **benchmarks}
    stats = stats_table(everything, beta_returns(cfg, data, period), cfg.backtest.risk_free_pct)
    lines, tables = run_verdicts(strategy, cfg.params, result, benchmarks, data, cfg.backtest.lag)
    return ReportInput(
        title=strategy.name,
        description=strategy.description,
        run_id=run_id or new_run_id(),
        command=command,
        strategy=result,
        benchmarks=benchmarks,
        stats=stats,
        yearly=yearly_table(everything),
        tables=strategy.tables(data, cfg.params),
        config=cfg.as_dict(),
        config_toml=cfg.to_toml(),
        data=data,
        period=(period.start.date(), period.end.date()),
        period_note=period.note,
        versions=package_versions(),
        notes=_notes(cfg, data, period, result),
        verdict_lines=lines,
        verdict_tables=tables,
    )
