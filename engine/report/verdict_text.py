"""The verdicts of a single run in plain words and tables, as the report and terminal show them.

`run_verdicts` takes what the pipeline already computed (the run, its benchmarks, the prices)
and returns the lines and the tables of `ReportInput.verdict_lines` / `verdict_tables`; the
statistics themselves are in `engine.inference.verdicts`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.inference.verdicts import (
    MIN_BET_SESSIONS,
    N_RESAMPLES,
    TIE_TOL,
    ActiveReturn,
    YearRecord,
    active_return,
    active_spells,
    bet_years,
    rng_for,
    run_returns,
    spell_record,
    with_minimum_sample,
    year_record,
)
from engine.report.model import ReportInput
from engine.simulate.result import BacktestResult
from engine.stats.metrics import definitions_table

__all__ = ["VERDICT_DEFINITIONS", "render_verdicts", "run_verdicts"]

ALPHA = 0.05
VERDICT_DEFINITIONS: dict[str, tuple[str, str]] = {
    "Active return": (
        "mean of daily (strategy - benchmark) returns x 252, and the difference of CAGRs; 95% "
        f"circular block bootstrap interval ({N_RESAMPLES:,} resamples, blocks of at least 21 "
        "sessions) and two-sided bootstrap p-value of a zero difference",
        "Politis & Romano circular block bootstrap (engine.inference.resampling)",
    ),
    "Calendar years beaten": (
        "complete calendar years ahead of the benchmark by more than 0.1 point (within it: a "
        "tie, left out); exact two-sided binomial (sign) test of beat vs lagged against 50%",
        "scipy.stats.binomtest",
    ),
    "Active spells": (
        "spells holding the active allocation (fill after the lag to the fill of the exit); "
        "both allocations bought and held over the spell; exact Clopper-Pearson interval",
        "scipy.stats.binomtest proportion_ci(method='exact')",
    ),
}


def _pct(value: float, digits: int = 2) -> str:
    return "n/a" if not math.isfinite(value) else f"{value * 100:.{digits}f}%"


def _points(value: float) -> str:
    return "n/a" if not math.isfinite(value) else f"{value * 100:+.2f} points"


def _p(value: float) -> str:
    """'p = 0.123', or 'p < 0.001'."""
    if not math.isfinite(value):
        return "p = n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _judge(low: float, high: float, p: float, name: str) -> str:
    """Plain words for an interval of a difference around 0."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "too short a record to tell"
    if p < ALPHA and low > 0:
        return f"it beat {name}, and luck alone is unlikely to explain it"
    if p < ALPHA and high < 0:
        return f"it lagged {name}, and luck alone is unlikely to explain it"
    return "the difference is within what luck produces: no evidence either way"


def active_line(a: ActiveReturn) -> str:
    return (
        f"Against {a.benchmark}: active return {_pct(a.mean_active)} a year (mean daily "
        f"difference x 252; 95% interval {_pct(a.mean_low)} to {_pct(a.mean_high)}, "
        f"{_p(a.mean_p)}); CAGR {_pct(a.strategy_cagr)} vs {_pct(a.benchmark_cagr)}, "
        f"{_points(a.cagr_difference)} (95% interval {_points(a.cagr_low)} to "
        f"{_points(a.cagr_high)}, {_p(a.cagr_p)}): "
        f"{_judge(a.cagr_low, a.cagr_high, a.cagr_p, a.benchmark)}."
    )


def year_line(y: YearRecord) -> str:
    partial = ", ".join(map(str, y.partial))
    tail = (
        f" {partial} {'is' if len(y.partial) == 1 else 'are'} partial, not counted."
        if partial
        else ""
    )
    if y.years == 0:
        return f"No complete calendar year to compare with {y.benchmark}.{tail}"
    ties = f"; {y.ties} within {TIE_TOL * 100:.1f} point, counted as ties" if y.ties else ""
    every = "complete calendar years" if y.bet is None else "complete calendar years (all years)"
    head = f"Beat {y.benchmark} in {y.wins} of {y.years} {every} (lagged in {y.losses}{ties})."
    decided = y.wins + y.losses
    if decided == 0:
        return f"{head} No year differed by more than {TIE_TOL * 100:.1f} point.{tail}"
    verdict = (
        "more often than a coin flip would"
        if y.p_value < ALPHA and y.wins > y.losses
        else "less often than a coin flip would"
        if y.p_value < ALPHA
        else "no different from a coin flip"
    )
    return (
        f"{head} Binomial test of {y.wins} of {decided} against 50%: {_p(y.p_value)}, "
        f"{verdict}.{_bet_text(y)}{tail}"
    )


def _bet_text(y: YearRecord) -> str:
    """The same count over the years the rule made a bet: a year spent in the base allocation
    differs from the benchmark by the costs and the session after a switch only."""
    if y.bet is None:
        return ""
    b = y.bet
    if b.years == 0:
        return " No complete year with a bet (active allocation held on at least a week)."
    decided = b.wins + b.losses
    test = (
        f"; binomial test of {b.wins} of {decided} against 50%: {_p(b.p_value)}" if decided else ""
    )
    return (
        f" Counting only the {b.years} complete years with a bet (the active allocation held "
        f"on at least {MIN_BET_SESSIONS} sessions): beat {y.benchmark} in {b.wins}, lagged in "
        f"{b.losses}{test}."
    )


def _allocation(weights: Mapping[str, float]) -> str:
    return " / ".join(f"{t} {w:.0%}" for t, w in weights.items() if w)


def _spells(
    strategy: Strategy, params, result: BacktestResult, data: MarketData, lag: int
) -> pd.DataFrame | None:
    if strategy.active_and_base is None:
        return None
    active, base = strategy.active_and_base(params)
    tickers = list(dict.fromkeys([*active, *base]))
    prices = data.adj_close[[t.upper() for t in tickers]].set_axis(tickers, axis=1)
    return active_spells(result.target_weights, prices, active, base, lag)


def _active_section(
    strategy: Strategy, params, spells: pd.DataFrame | None
) -> tuple[list[str], dict[str, pd.DataFrame]]:
    if strategy.active_and_base is None or spells is None:
        return [], {}
    active, base = strategy.active_and_base(params)
    record = spell_record(spells)
    what = f"the active allocation ({_allocation(active)}) vs the base one ({_allocation(base)})"
    if record.n == 0:
        line = f"Active spells: no finished spell holding {what}."
    else:
        line = (
            f"In the {record.n} finished spells the rule held {what}, the active one did "
            f"better in {record.hits} ({record.hits / record.n:.0%}; exact 95% interval "
            f"{_pct(record.low, 0)} to {_pct(record.high, 0)})."
        )
    if record.running is not None:
        r = record.running
        line += (
            f" The spell started {r['start']} is still running (active minus base "
            f"{_points(r['difference'])} so far) and is not counted."
        )
    return [line], {"Active spells: active vs base allocation, bought and held": spells}


def run_verdicts(
    strategy: Strategy,
    params,
    result: BacktestResult,
    benchmarks: Mapping[str, BacktestResult],
    data: MarketData,
    lag: int,
) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """(verdict lines, verdict tables) of one run against each of its benchmarks."""
    lines: list[str] = []
    actives, years = [], []
    spells = _spells(strategy, params, result, data, lag)
    bets = None if spells is None else bet_years(spells, result.equity.index)
    for name, bench in benchmarks.items():
        a = active_return(run_returns(result), run_returns(bench), name, rng_for(name))
        a = with_minimum_sample(a)
        y = year_record(result.equity, bench.equity, name, with_bet=bets)
        actives.append(a)
        years.append(y)
        lines += [active_line(a), year_line(y)]
    spell_lines, spell_tables = _active_section(strategy, params, spells)
    lines += spell_lines
    tables: dict[str, pd.DataFrame] = {}
    if actives:
        tables["Active return against each benchmark"] = _records_table(actives, ACTIVE_COLUMNS)
        tables["Calendar years beaten"] = _records_table(years, YEAR_COLUMNS)
    tables.update(spell_tables)
    tables["How each statistic is defined"] = definitions_frame()
    return lines, tables


# The verdict tables' columns: name -> the record's attribute ("bet.wins": None without a bet)
# or a function of the record. Each table has a row per benchmark.
ACTIVE_COLUMNS: dict[str, str | Callable[[Any], Any]] = {
    "benchmark": "benchmark",
    "sessions": "sessions",
    "active return a year": "mean_active",
    "active return low": "mean_low",
    "active return high": "mean_high",
    "p": "mean_p",
    "strategy CAGR": "strategy_cagr",
    "benchmark CAGR": "benchmark_cagr",
    "CAGR difference": "cagr_difference",
    "CAGR diff. low": "cagr_low",
    "CAGR diff. high": "cagr_high",
    "CAGR p": "cagr_p",
    "block length": "block_length",
}
YEAR_COLUMNS: dict[str, str | Callable[[Any], Any]] = {
    "benchmark": "benchmark",
    "complete years": "years",
    "beat": "wins",
    "lagged": "losses",
    "ties": "ties",
    "p (beat vs lagged, 50%)": "p_value",
    "years with a bet": "bet.years",
    "beat (years with a bet)": "bet.wins",
    "lagged (years with a bet)": "bet.losses",
    "p (years with a bet)": "bet.p_value",
    "partial years (not counted)": lambda y: ", ".join(map(str, y.partial)),
}


def _field(record: Any, path: str) -> Any:
    for name in path.split("."):
        if record is None:
            return None
        record = getattr(record, name)
    return record


def _records_table(
    records: Sequence[ActiveReturn] | Sequence[YearRecord],
    columns: Mapping[str, str | Callable[[Any], Any]],
) -> pd.DataFrame:
    """A row per record (one per benchmark), a column per entry of `columns`."""
    rows = [
        {name: get(r) if callable(get) else _field(r, get) for name, get in columns.items()}
        for r in records
    ]
    return pd.DataFrame(rows).set_index("benchmark")


def definitions_frame() -> pd.DataFrame:
    """The metrics' definitions followed by the verdicts' own."""
    extra = pd.DataFrame(
        [
            {"statistic": k, "definition": text, "agrees with": lib}
            for k, (text, lib) in VERDICT_DEFINITIONS.items()
        ]
    ).set_index("statistic")
    return pd.concat([definitions_table(), extra])


def render_verdicts(inp: ReportInput, width: int = 100) -> str:
    """The verdict lines for the terminal, wrapped at word boundaries."""
    return "\n".join(
        textwrap.fill(line, width, initial_indent="- ", subsequent_indent="  ")
        for line in inp.verdict_lines
    )
