"""Did the rule beat its benchmark, and could that be luck: the verdicts of a single run.

Three questions a researcher brings to a backtest, each answered with a sample size and an
honest measure of chance:

- **Active return** against each benchmark: the annualised mean of the daily differences
  (strategy minus benchmark, x 252) and the difference of CAGRs, each with a 95% circular block
  bootstrap interval and a two-sided bootstrap p-value (`engine.inference.resampling`). Blocks keep
  volatility clusters and the autocorrelation of the differences together.
- **Calendar years won** against each benchmark: complete calendar years only, with an exact
  binomial test against 50% (scipy.stats.binomtest); partial first and last years are named.
- **The "9 of 10" question on the strategy itself**, for two-state rules that name their
  allocations (`Strategy.active_and_base`): over each spell the rule held its active allocation,
  did buying and holding it beat buying and holding the base one? Count, n and an exact
  (Clopper-Pearson) interval (`engine.inference.significance.binomial_interval`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats as sps

from engine.calendar import nyse_sessions
from engine.inference.resampling import percentile_interval, resampled_totals
from engine.inference.significance import (
    binomial_interval,
    bootstrap_p_two_sided,
    default_block_length,
    generator,
)
from engine.simulate.result import BacktestResult
from engine.stats.metrics import cagr, calendar_year_returns
from engine.stats.returns_nb import PERIODS_PER_YEAR

__all__ = [
    "MIN_BET_SESSIONS",
    "ActiveReturn",
    "YearRecord",
    "active_return",
    "active_spells",
    "bet_years",
    "complete_years",
    "spell_record",
    "with_minimum_sample",
    "year_record",
]

N_RESAMPLES = 2000
CONFIDENCE = 0.95
SEED = 0  # fixed: a report is reproducible run to run
# Blocks of at least a month of sessions: daily active returns cluster in volatility for weeks;
# longer than the n^(1/3) rule of thumb (about 19 sessions on 26 years) when that is shorter.
MIN_BLOCK = 21
# Below three blocks of sessions a block bootstrap has almost nothing to resample (a period of
# a few sessions once gave "95% interval -338% to -338%, p < 0.001" from one daily return): the
# point estimates are kept, the intervals and p-values are not computed, the verdict says so.
MIN_SESSIONS = 3 * MIN_BLOCK
WEIGHT_TOL = 1e-9


@dataclass(frozen=True)
class ActiveReturn:
    """Strategy minus one benchmark over the same sessions."""

    benchmark: str
    sessions: int  # daily returns compared
    block_length: int
    mean_active: float  # mean daily difference x 252
    mean_low: float
    mean_high: float
    mean_p: float
    strategy_cagr: float
    benchmark_cagr: float
    cagr_difference: float
    cagr_low: float
    cagr_high: float
    cagr_p: float


def active_return(
    strategy: pd.Series,
    benchmark: pd.Series,
    name: str,
    rng: np.random.Generator,
    block_length: int | None = None,
    n_resamples: int = N_RESAMPLES,
    confidence: float = CONFIDENCE,
) -> ActiveReturn:
    """Active return of daily returns `strategy` over `benchmark` (same sessions, first step
    first: a run's `returns.iloc[1:]`), with block bootstrap intervals and p-values.

    The CAGR of a replicate is exp(sum log(1 + r) x 252 / sessions) - 1, the same formula as
    `engine.stats.metrics.cagr` on a chained equity curve; the point estimates come from that
    function itself.
    """
    both = pd.concat([strategy, benchmark], axis=1, join="inner")
    if both.isna().any().any():
        raise ValueError(f"returns against {name} have gaps; align them on one period first")
    s, b = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
    n = len(s)
    length = block_length or default_block_length(n, MIN_BLOCK)
    diff = s - b
    log_s, log_b = np.log1p(s), np.log1p(b)
    total_d, total_ls, total_lb, count = resampled_totals(
        [diff, log_s, log_b, np.ones(n)], length, rng, n_resamples
    )
    mean_reps = total_d / count * PERIODS_PER_YEAR
    cagr_reps = np.expm1(total_ls * PERIODS_PER_YEAR / count) - np.expm1(
        total_lb * PERIODS_PER_YEAR / count
    )
    mean_obs = float(diff.mean() * PERIODS_PER_YEAR)
    s_cagr = cagr(pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + s)])))
    b_cagr = cagr(pd.Series(np.concatenate([[1.0], np.cumprod(1.0 + b)])))
    mean_low, mean_high = percentile_interval(mean_reps, confidence)
    cagr_low, cagr_high = percentile_interval(cagr_reps, confidence)
    return ActiveReturn(
        benchmark=name,
        sessions=n,
        block_length=int(min(length, n)),
        mean_active=mean_obs,
        mean_low=mean_low,
        mean_high=mean_high,
        mean_p=bootstrap_p_two_sided(mean_reps, mean_obs),
        strategy_cagr=s_cagr,
        benchmark_cagr=b_cagr,
        cagr_difference=s_cagr - b_cagr,
        cagr_low=cagr_low,
        cagr_high=cagr_high,
        cagr_p=bootstrap_p_two_sided(cagr_reps, s_cagr - b_cagr),
    )


def with_minimum_sample(a: ActiveReturn) -> ActiveReturn:
    """`a` as a report may state it: below MIN_SESSIONS the intervals and p-values are dropped
    (NaN), so no interval or verdict is printed from a handful of returns."""
    if a.sessions >= MIN_SESSIONS:
        return a
    nan = math.nan
    return replace(
        a, mean_low=nan, mean_high=nan, mean_p=nan, cagr_low=nan, cagr_high=nan, cagr_p=nan
    )


# --------------------------------------------------------------------------- calendar years


def complete_years(index: pd.DatetimeIndex) -> tuple[list[int], list[int]]:
    """(complete, partial) calendar years of an equity curve on `index`.

    A year's return is complete when the curve holds the prior year's last session (the start
    of the year's return) and the year's own last NYSE session. The first year of a run that
    starts inside it, and a year the data ends inside, are partial.
    """
    complete, partial = [], []
    first = index[0]
    for year in sorted(set(index.year)):
        sessions = nyse_sessions(f"{year}-01-01", f"{year}-12-31")
        starts_before = first < sessions[0]
        ends_in = index[-1] >= sessions[-1] and sessions[-1] in index
        (complete if starts_before and ends_in else partial).append(int(year))
    return complete, partial


@dataclass(frozen=True)
class YearRecord:
    benchmark: str
    wins: int  # complete years with the strategy ahead by more than TIE_TOL
    losses: int  # behind by more than TIE_TOL
    ties: int  # within TIE_TOL (e.g. a year the rule held the benchmark itself)
    p_value: float  # exact two-sided binomial (sign) test of wins among wins + losses vs 50%
    partial: tuple[int, ...]
    table: pd.DataFrame  # year -> strategy, benchmark, difference, outcome (complete years)
    # The same count over the complete years in which the rule made a bet (held its active
    # allocation on at least MIN_BET_SESSIONS sessions); None for rules with no active one.
    bet: YearCount | None = None

    @property
    def years(self) -> int:
        return self.wins + self.losses + self.ties


@dataclass(frozen=True)
class YearCount:
    wins: int
    losses: int
    ties: int
    p_value: float  # exact two-sided binomial (sign) test of wins among wins + losses vs 50%

    @property
    def years(self) -> int:
        return self.wins + self.losses + self.ties


def _count(outcome: np.ndarray) -> YearCount:
    wins, losses = int((outcome == "beat").sum()), int((outcome == "lagged").sum())
    decided = wins + losses
    p = float(sps.binomtest(wins, decided, 0.5).pvalue) if decided else math.nan
    return YearCount(wins, losses, int((outcome == "tie").sum()), p)


# A year is a year with a bet when the rule held its active allocation on at least a week of
# its sessions: a switch back decided at a year's last close fills on the next year's first
# session, and that one session is not a bet on the new year.
MIN_BET_SESSIONS = 5


def bet_years(spells: pd.DataFrame, index: pd.DatetimeIndex) -> set[int]:
    """Years in which the active allocation was held (its returns earned) on at least
    MIN_BET_SESSIONS sessions, from `active_spells` (held from the session after `start` to
    `end`)."""
    held = pd.Series(0, index=index)
    for start, end in zip(spells["start"], spells["end"], strict=True):
        held.loc[(index > pd.Timestamp(start)) & (index <= pd.Timestamp(end))] = 1
    per_year = held.groupby(index.year).sum()
    return {int(y) for y, n in per_year.items() if n >= MIN_BET_SESSIONS}


# A year within 0.1 point of the benchmark is a tie, left out of the sign test: a rule holding
# the benchmark itself all year trails it by its trading costs only, which says nothing about
# the rule.
TIE_TOL = 0.001


def year_record(
    strategy: pd.Series,
    benchmark: pd.Series,
    name: str,
    tie_tol: float = TIE_TOL,
    with_bet: set[int] | None = None,
) -> YearRecord:
    """Calendar years in which the equity `strategy` beat `benchmark`'s, complete years only;
    with `with_bet` (`bet_years`), also over the years in which the rule made a bet."""
    complete, partial = complete_years(strategy.index)
    s = calendar_year_returns(strategy).reindex(complete)
    b = calendar_year_returns(benchmark).reindex(complete)
    diff = s - b
    outcome = np.where(diff > tie_tol, "beat", np.where(diff < -tie_tol, "lagged", "tie"))
    table = pd.DataFrame({"strategy": s, "benchmark": b, "difference": diff, "outcome": outcome})
    table.index.name = "year"
    every = _count(outcome)
    bet = None
    if with_bet is not None:
        table["bet"] = table.index.isin(sorted(with_bet))
        bet = _count(outcome[table["bet"].to_numpy()])
    return YearRecord(
        name, every.wins, every.losses, every.ties, every.p_value, tuple(partial), table, bet
    )


# --------------------------------------------------------------------------- active spells


def _matches(rows: pd.DataFrame, allocation: Mapping[str, float]) -> np.ndarray:
    """Which weight rows equal `allocation` (absent tickers weigh 0)."""
    if any(t not in rows.columns and abs(w) > WEIGHT_TOL for t, w in allocation.items()):
        return np.zeros(len(rows), dtype=bool)
    wanted = np.array([float(allocation.get(c, 0.0)) for c in rows.columns])
    return (np.abs(rows.to_numpy(float) - wanted) <= WEIGHT_TOL).all(axis=1)


def _buy_and_hold(prices: pd.DataFrame, allocation: Mapping[str, float], a: int, b: int) -> float:
    """Return of `allocation` bought at close position a and held to close position b (drift
    allowed, the rest of 1 - sum(weights) in cash earning nothing); NaN without both prices."""
    total = 0.0
    for ticker, weight in allocation.items():
        if weight == 0:
            continue
        start, end = prices[ticker].iloc[a], prices[ticker].iloc[b]
        if not (np.isfinite(start) and np.isfinite(end)) or start <= 0:
            return math.nan
        total += weight * (end / start - 1.0)
    return float(total)


def active_spells(
    target_weights: pd.DataFrame,
    prices: pd.DataFrame,
    active: Mapping[str, float],
    base: Mapping[str, float],
    lag: int,
) -> pd.DataFrame:
    """Every spell the rule held its active allocation, with both allocations' returns over it.

    `target_weights` are the run's decision rows on the period's sessions (all-NaN = no
    change): the allocation wanted after close t is filled `lag` sessions later, at that
    session's close, and earns the returns from then on. A spell runs from the fill of the
    decision that enters the active allocation to the fill of the one that leaves it (or to the
    last session: `running` is then true). Both allocations are bought at the spell's first
    close and held to its last one (with `trade_at = "open"` the engine fills at that session's
    open instead; the spell is still measured close to close, on the same sessions for both).
    """
    index = target_weights.index
    rows = target_weights.dropna(how="all").fillna(0.0)
    wanted_active = pd.Series(_matches(rows, active), index=rows.index)
    wanted_active = wanted_active.reindex(index).ffill().fillna(False).astype(bool).to_numpy()
    # held[k]: the allocation of the close-to-close step ending at position k is the active one
    held = np.zeros(len(index), dtype=bool)
    if len(index) > lag + 1:
        held[lag + 1 :] = wanted_active[: len(index) - lag - 1]
    px = prices.reindex(index)
    out = []
    k = 0
    while k < len(index):
        if not held[k]:
            k += 1
            continue
        first = k
        while k < len(index) and held[k]:
            k += 1
        a, b = first - 1, k - 1  # buy at close a (the fill session), hold to close b
        active_ret = _buy_and_hold(px, active, a, b)
        base_ret = _buy_and_hold(px, base, a, b)
        out.append(
            {
                "decided": index[a - lag].date(),
                "start": index[a].date(),
                "end": index[b].date(),
                "sessions": b - a,
                "active_return": active_ret,
                "base_return": base_ret,
                "difference": active_ret - base_ret,
                "beat": bool(active_ret > base_ret),
                "running": bool(b == len(index) - 1),
            }
        )
    columns = ["decided", "start", "end", "sessions", "active_return", "base_return",
               "difference", "beat", "running"]  # fmt: skip
    return pd.DataFrame(out, columns=columns)


@dataclass(frozen=True)
class SpellRecord:
    hits: int
    n: int  # finished spells with both prices
    low: float
    high: float
    running: pd.Series | None  # the spell still running at the data's end, if any


def spell_record(spells: pd.DataFrame, confidence: float = CONFIDENCE) -> SpellRecord:
    """How often the active allocation beat the base one over the finished spells."""
    done = spells[~spells["running"] & spells["difference"].notna()]
    hits, n = int(done["beat"].sum()), len(done)
    low, high = binomial_interval(hits, n, confidence)
    running = spells[spells["running"]]
    return SpellRecord(hits, n, low, high, running.iloc[-1] if len(running) else None)


def rng_for(name: str) -> np.random.Generator:
    return generator(SEED, "active_return", name)


def run_returns(result: BacktestResult) -> pd.Series:
    """A run's daily returns from the first step (the first entry is 0 by construction)."""
    return result.returns.iloc[1:]
