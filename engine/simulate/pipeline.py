"""One strategy run: data -> target weights -> portfolios -> metrics -> report input.

The flow is one-way; each step only consumes what the previous one produced. Nothing here knows
which strategy it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.calendar import nyse_sessions
from engine.config.run_config import RunConfig, benchmark_name_problems
from engine.data import load_market_data
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, ConfigError, DataQualityError
from engine.simulate.portfolio import cash_returns_from_series, run_backtest, static_mix_weights
from engine.simulate.result import BacktestResult
from engine.stats.metrics import stats_table, yearly_table


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
    # Plain lookups (a notebook re-runs this on every call; pandas' list indexing costs ms).
    first_of, last_of = data.first_valid().to_dict(), data.last_valid().to_dict()
    wanted_start = pd.Timestamp(cfg.backtest.start)
    extra = [t for t in dict.fromkeys(t.upper() for t in end_tickers) if t not in tickers]
    lasts_of = {t: last_of[t] for t in tickers}
    for t in extra:  # an optional ticker that ended before the start is never eligible
        if not pd.isna(last_of[t]) and last_of[t] >= wanted_start:
            lasts_of[t] = last_of[t]
    firsts = pd.Series({t: first_of[t] for t in tickers}, dtype=data.index.dtype)
    lasts = pd.Series(lasts_of, dtype=data.index.dtype)
    missing = [t for t in tickers if pd.isna(first_of[t])]
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
    start = max(data.index[data.index.searchsorted(wanted_start, side="left")], latest_first)
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
        + _ends_early(data, lasts)
    )
    note = (
        f"Starts on {why_start}; ends on {why_end}. "
        "The strategy and its benchmarks run on this same period."
    )
    return Period(start=start, end=end, note=note, start_reason=why_start, end_reason=why_end)


def _ends_early(data: MarketData, lasts: pd.Series) -> str:
    """', N sessions before the others (last 2026-03-20): the run is cut there' when one
    ticker's data end before the rest, so a shortened run names the ticker that shortened it."""
    early, latest = lasts.min(), lasts.max()
    gap = int(((data.index > early) & (data.index <= latest)).sum())
    if gap <= 0:
        return ""
    return (
        f"; {lasts.idxmin()}'s data end {gap} session(s) before the other tickers' "
        f"({latest.date()}), so the run stops there: update {lasts.idxmin()}'s data to use them"
    )


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


def cash_returns_for(data: MarketData, cfg: RunConfig, index: pd.DatetimeIndex) -> pd.Series | None:
    """What uninvested cash earns on `index` (None: nothing), for strategies and benchmarks."""
    ticker = cfg.backtest.cash_ticker.upper()
    if not ticker:
        return None
    series = data.adj_close[ticker]
    return cash_returns_from_series(series, cfg.backtest.cash_ticker_kind).reindex(index)


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


@dataclass(frozen=True)
class WarmUp:
    """Sessions at the period start the strategy spent in cash because its rule could not decide
    yet (its lookback was not met), while the benchmarks were invested."""

    sessions: int  # sessions from the period start to the first decision (or the period's end)
    first_decision: pd.Timestamp | None  # the first session the rule decided on; None: never
    period_start: pd.Timestamp

    def sentence(self, name: str) -> str:
        if self.first_decision is None:
            return (
                f"{name} held cash for the whole period: its rule made no decision in it (its "
                "lookback is never met), while the benchmarks were invested."
            )
        return (
            f"{name} held cash for its first {self.sessions:,} sessions: its rule first decides "
            f"on {self.first_decision.date()} (its lookback is not met before), while the "
            f"benchmarks were invested from {self.period_start.date()}. Set "
            'backtest.start_when = "first_decision" to start the strategy and its benchmarks '
            "on that session."
        )


def first_decision(weights: pd.DataFrame) -> pd.Timestamp | None:
    """The first session with a decision row (not all NaN), or None when the rule never decides."""
    decided = weights.notna().any(axis=1)
    return decided.index[decided.to_numpy()][0] if decided.any() else None


def warm_up(weights: pd.DataFrame, index: pd.DatetimeIndex) -> WarmUp | None:
    """The warm-up the period's start imposes on the strategy, if any. A decision on or before
    the first session is carried in (`trim_weights`), so only a first decision after it counts;
    a rule that never decides in the period spends all of it in cash."""
    first = first_decision(weights.loc[: index[-1]])
    if first is not None and first <= index[0]:
        return None
    if first is None:
        return WarmUp(len(index), None, index[0])
    return WarmUp(int(index.get_loc(first)), first, index[0])


def start_at_first_decision(period: Period, weights: pd.DataFrame, name: str) -> Period:
    """`backtest.start_when = "first_decision"`: the period (strategy and benchmarks) starts on
    the first session the rule decides on, when that is after the period's own start."""
    first = first_decision(weights.loc[: period.end])
    if first is None:
        raise DataQualityError(
            f"{name} makes no decision between {period.start.date()} and {period.end.date()}, "
            'so backtest.start_when = "first_decision" has no start; use "period_start" or '
            "a longer period"
        )
    if first <= period.start:
        return period
    if first >= period.end:
        raise DataQualityError(
            f"{name} first decides on {first.date()}, the last session of the period: nothing "
            "is left to simulate; choose a later backtest.end"
        )
    why = f"the first session {name}'s rule decides on (backtest.start_when = first_decision)"
    note = (
        f"Starts on {why}; ends on {period.end_reason}. "
        "The strategy and its benchmarks run on this same period."
    )
    return Period(first, period.end, note, why, period.end_reason)


def simulate_strategy(
    strategy: Strategy,
    cfg: RunConfig,
    data: MarketData,
    period: Period,
    weights: pd.DataFrame | None = None,
) -> BacktestResult:
    """The strategy's weights on the whole data (computed unless given), trimmed to the period,
    through the engine."""
    index = period_index(data, period)
    if weights is None:
        weights = strategy.weights(data, cfg.params)
    weights = trim_weights(weights, index)
    cash = cash_returns_for(data, cfg, index)
    return run_backtest(weights, data, cfg.backtest, name=strategy.name, cash_returns=cash)


def simulate_benchmarks(
    cfg: RunConfig, data: MarketData, period: Period
) -> dict[str, BacktestResult]:
    problems = benchmark_name_problems("", cfg.benchmarks)
    if problems:
        raise ConfigError(problems[0])
    index = period_index(data, period)
    cash = cash_returns_for(data, cfg, index)
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


@dataclass(frozen=True)
class SimulatedRun:
    """One strategy and its benchmarks simulated on their common period, before any statistic:
    the statistics, verdicts and diagnostics a report adds are computed from it on demand."""

    strategy: Strategy
    cfg: RunConfig
    data: MarketData
    period: Period
    result: BacktestResult
    benchmarks: dict[str, BacktestResult]
    cash_start: WarmUp | None = None  # the warm-up spent in cash at the period start, if any

    @property
    def runs(self) -> dict[str, BacktestResult]:
        """The strategy first, then each benchmark."""
        return {self.strategy.name: self.result, **self.benchmarks}

    def stats(self) -> pd.DataFrame:
        beta = beta_returns(self.cfg, self.data, self.period)
        return stats_table(self.runs, beta, self.cfg.backtest.risk_free_pct)

    def yearly(self) -> pd.DataFrame:
        return yearly_table(self.runs)


def simulate_run(strategy: Strategy, cfg: RunConfig, project_root: Path) -> SimulatedRun:
    """Load the data, fix the common period and simulate the strategy and its benchmarks."""
    data = load_data_for(strategy, cfg, project_root)
    period = strategy_period(strategy, cfg, data)
    decisions = strategy.weights(data, cfg.params)
    if cfg.backtest.start_when == "first_decision":
        period = start_at_first_decision(period, decisions, strategy.name)
    cash_start = warm_up(decisions, period_index(data, period))
    result = simulate_strategy(strategy, cfg, data, period, decisions)
    benchmarks = simulate_benchmarks(cfg, data, period)
    return SimulatedRun(strategy, cfg, data, period, result, benchmarks, cash_start)
