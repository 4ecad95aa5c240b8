"""Performance statistics, all in one place, with the conventions stated.

Conventions: a year is 252 sessions; returns are simple daily returns of the equity curve; the
risk-free rate is an annual percentage turned into a daily rate by compounding, (1+rf)^(1/252)-1;
volatility uses the sample standard deviation (ddof=1). Turnover is traded value (buys plus
sells) divided by the average equity, per year: switching a whole portfolio once counts 200%.

The arithmetic of each statistic lives once, in the numba kernels of `engine.stats.returns_nb`,
which
the sweep kernel uses too; this module is their pandas-facing side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from engine.stats import returns_nb as stats_nb
from engine.stats.returns_nb import PERIODS_PER_YEAR

if TYPE_CHECKING:  # a type of a later stage, named only
    from engine.simulate.result import BacktestResult

# key -> (label, format). Formats: pct (0.123 -> 12.3%), ratio (2 decimals), int, sessions.
METRICS: dict[str, tuple[str, str]] = {
    "start": ("Start", "date"),
    "end": ("End", "date"),
    "final_equity": ("Final equity", "money"),
    "total_return": ("Total return", "pct"),
    "cagr": ("CAGR", "pct"),
    "ann_volatility": ("Annual volatility", "pct"),
    "sharpe": ("Sharpe", "ratio"),
    "sortino": ("Sortino", "ratio"),
    "max_drawdown": ("Max drawdown", "pct"),
    "max_drawdown_sessions": ("Max drawdown length (sessions)", "int"),
    "longest_drawdown_sessions": ("Longest drawdown (sessions)", "int"),
    "calmar": ("Calmar", "ratio"),
    "turnover": ("Turnover per year", "pct"),
    "rebalances": ("Rebalances", "int"),
    "time_in_market": ("Time in market", "pct"),
    "best_year": ("Best year", "pct"),
    "worst_year": ("Worst year", "pct"),
    "beta": ("Beta", "ratio"),
    "correlation": ("Correlation", "ratio"),
}


# key -> (definition, the library it agrees with). Checked in tests/test_metrics.py by computing
# each library's published formula (empyrical 0.5.5 `stats.py`, quantstats 0.0.x `stats.py`) on
# the same series; neither library is a dependency.
METRIC_DEFINITIONS: dict[str, tuple[str, str]] = {
    "total_return": (
        "final equity / initial equity - 1",
        "empyrical cum_returns_final; quantstats comp",
    ),
    "cagr": (
        "(final / initial equity)^(252 / daily steps) - 1: years = daily returns / 252, "
        "not calendar days",
        "empyrical annual_return; quantstats cagr counts calendar days / 365 instead",
    ),
    "ann_volatility": (
        "standard deviation of daily returns with ddof = 1, x sqrt(252)",
        "empyrical annual_volatility; quantstats volatility",
    ),
    "sharpe": (
        "mean / standard deviation (ddof = 1) of daily excess returns, x sqrt(252); the "
        "annual risk-free rate rf becomes (1 + rf)^(1/252) - 1 a day",
        "empyrical sharpe_ratio; quantstats sharpe (same compounding of rf)",
    ),
    "sortino": (
        "mean daily excess return / downside deviation, x sqrt(252); downside deviation = "
        "sqrt(mean over ALL sessions of min(excess, 0)^2), target 0 excess",
        "empyrical sortino_ratio; quantstats sortino",
    ),
    "max_drawdown": (
        "lowest equity / running peak - 1",
        "empyrical max_drawdown; quantstats max_drawdown",
    ),
    "max_drawdown_sessions": (
        "sessions from the peak before the deepest drawdown to its recovery (or the last session)",
        "own definition",
    ),
    "longest_drawdown_sessions": (
        "longest spell below a previous peak, in sessions",
        "own definition",
    ),
    "calmar": (
        "CAGR / |max drawdown| over the whole period",
        "empyrical calmar_ratio; quantstats calmar differs through its calendar-day CAGR",
    ),
    "turnover": (
        "traded value (buys + sells) / average equity, per year of 252 sessions: a full "
        "switch counts 200%",
        "own definition (no library equivalent)",
    ),
    "rebalances": ("sessions with at least one fill", "own definition"),
    "time_in_market": (
        "share of sessions with a position (gross weight > 0)",
        "own definition (quantstats exposure counts sessions with a non-zero return)",
    ),
    "best_year": (
        "best calendar-year return; the first and last years may be partial",
        "own definition",
    ),
    "worst_year": (
        "worst calendar-year return; the first and last years may be partial",
        "own definition",
    ),
    "beta": (
        "covariance / variance of daily returns against the beta ticker's daily returns, on "
        "the sessions the run held a position at the previous close",
        "empyrical beta",
    ),
    "correlation": ("Pearson correlation of the same daily returns", "numpy corrcoef"),
}


def definitions_table() -> pd.DataFrame:
    """Each statistic's definition and the library it agrees with, for every report."""
    rows = [
        {"statistic": METRICS[key][0], "definition": text, "agrees with": lib}
        for key, (text, lib) in METRIC_DEFINITIONS.items()
    ]
    return pd.DataFrame(rows).set_index("statistic")


def daily_risk_free(annual_pct: float) -> float:
    return (1.0 + annual_pct / 100.0) ** (1.0 / PERIODS_PER_YEAR) - 1.0


def _values(series: pd.Series) -> np.ndarray:
    return np.ascontiguousarray(series.to_numpy(dtype=np.float64))


def total_return(equity: pd.Series) -> float:
    return float(stats_nb.total_return_nb(_values(equity)))


def cagr(equity: pd.Series) -> float:
    """Compound annual growth over len(equity)-1 daily steps of 1/252 year each."""
    return float(stats_nb.cagr_nb(_values(equity)))


def ann_volatility(returns: pd.Series) -> float:
    return float(stats_nb.ann_volatility_nb(_values(returns)))


def sharpe(returns: pd.Series, risk_free_pct: float = 0.0) -> float:
    return float(stats_nb.sharpe_nb(_values(returns), daily_risk_free(risk_free_pct)))


def sortino(returns: pd.Series, risk_free_pct: float = 0.0) -> float:
    """Mean excess return over downside deviation (root mean square of negative excess)."""
    return float(stats_nb.sortino_nb(_values(returns), daily_risk_free(risk_free_pct)))


def drawdown(equity: pd.Series) -> pd.Series:
    """Fractional distance below the running peak (0 at a new high, negative otherwise)."""
    return pd.Series(stats_nb.drawdown_nb(_values(equity)), index=equity.index, name=equity.name)


def max_drawdown(equity: pd.Series) -> float:
    return float(stats_nb.max_drawdown_nb(_values(equity)))


def _underwater_spells(equity: pd.Series) -> list[tuple[int, int]]:
    """(peak position, recovery-or-last position) of every spell below a previous peak."""
    under = (drawdown(equity) < 0).to_numpy()
    spells: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(under):
        if flag and start is None:
            start = i - 1  # the peak is the session before the first one under water
        elif not flag and start is not None:
            spells.append((start, i))
            start = None
    if start is not None:
        spells.append((start, len(under) - 1))
    return spells


def max_drawdown_sessions(equity: pd.Series) -> int:
    """Sessions from the peak before the deepest drawdown to its recovery (or the last session)."""
    if len(equity) < 2:
        return 0
    trough = int(np.argmin(drawdown(equity).to_numpy()))
    for peak, end in _underwater_spells(equity):
        if peak < trough <= end:
            return end - peak
    return 0


def longest_drawdown_sessions(equity: pd.Series) -> int:
    return max((end - peak for peak, end in _underwater_spells(equity)), default=0)


def calendar_year_returns(equity: pd.Series) -> pd.Series:
    """Return of each calendar year; the first and last may be partial years."""
    year_end = equity.groupby(equity.index.year).last()
    previous = year_end.shift(1)
    previous.iloc[0] = equity.iloc[0]
    out = year_end / previous - 1.0
    out.index.name = "year"
    return out


def turnover(result: BacktestResult) -> float:
    traded = float(result.orders["value"].abs().sum()) if not result.orders.empty else 0.0
    return float(stats_nb.turnover_nb(traded, _values(result.equity)))


def beta_correlation(returns: pd.Series, benchmark: pd.Series) -> tuple[float, float]:
    """Beta and correlation on the sessions both series have a return for."""
    both = pd.concat([returns, benchmark], axis=1, join="inner").dropna()
    beta, corr = stats_nb.beta_correlation_nb(_values(both.iloc[:, 0]), _values(both.iloc[:, 1]))
    return float(beta), float(corr)


def invested_sessions(
    result: BacktestResult, returns: pd.Series, benchmark: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The daily returns of the sessions in which the run held a position at the previous
    close, and the benchmark's on the same sessions. Beta, correlation and active returns use
    these: the session of the first fill (its return is costs only) and spells in cash say
    nothing about how the run moves with the benchmark, so buying and holding SPY has a beta of
    exactly 1 against SPY."""
    held = result.weights.sum(axis=1).shift(1).reindex(returns.index).fillna(0.0) > 1e-9
    return returns[held], benchmark.reindex(returns.index)[held]


def compute_stats(
    result: BacktestResult,
    benchmark_returns: pd.Series | None = None,
    risk_free_pct: float = 0.0,
) -> dict[str, object]:
    """Every metric of METRICS for one run; beta/correlation need `benchmark_returns`."""
    eq, r = result.equity, result.returns.iloc[1:]  # the first return is 0 by construction
    years = calendar_year_returns(eq)
    beta, corr = (
        beta_correlation(*invested_sessions(result, r, benchmark_returns.iloc[1:]))
        if benchmark_returns is not None
        else (float("nan"), float("nan"))
    )
    gross = result.weights.sum(axis=1)
    mdd = max_drawdown(eq)
    growth = cagr(eq)
    return {
        "start": eq.index[0].date(),
        "end": eq.index[-1].date(),
        "final_equity": float(eq.iloc[-1]),
        "total_return": total_return(eq),
        "cagr": growth,
        "ann_volatility": ann_volatility(r),
        "sharpe": sharpe(r, risk_free_pct),
        "sortino": sortino(r, risk_free_pct),
        "max_drawdown": mdd,
        "max_drawdown_sessions": max_drawdown_sessions(eq),
        "longest_drawdown_sessions": longest_drawdown_sessions(eq),
        "calmar": float(stats_nb.calmar_nb(growth, mdd)),
        "turnover": turnover(result),
        "rebalances": int(result.orders["date"].nunique()) if not result.orders.empty else 0,
        "time_in_market": float((gross > 1e-9).mean()),
        "best_year": float(years.max()),
        "worst_year": float(years.min()),
        "beta": beta,
        "correlation": corr,
    }


def stats_table(
    results: Mapping[str, BacktestResult],
    benchmark_returns: pd.Series | None = None,
    risk_free_pct: float = 0.0,
) -> pd.DataFrame:
    """Metric rows (METRICS order) x one column per run, raw values."""
    columns = {
        name: compute_stats(res, benchmark_returns, risk_free_pct) for name, res in results.items()
    }
    table = pd.DataFrame(columns, index=list(METRICS), dtype=object)
    table.index.name = "metric"
    return table


def yearly_table(results: Mapping[str, BacktestResult]) -> pd.DataFrame:
    return pd.DataFrame({name: calendar_year_returns(res.equity) for name, res in results.items()})


# --------------------------------------------------------------------------- report views
# Drawdown periods, monthly returns and rolling statistics, as quantstats/empyrical define them
# (drawdown periods: pyfolio's `gen_drawdown_table`, peak to trough to the first new high).


def drawdown_periods(equity: pd.Series, top: int = 5) -> pd.DataFrame:
    """The `top` deepest drawdowns: peak, trough and recovery dates (NaT while still under
    water), depth, and lengths in sessions (peak to trough, peak to recovery or the last
    session). One row per spell below a previous peak, deepest first."""
    equity = equity.dropna()
    dd = drawdown(equity).to_numpy(dtype=float)
    index = equity.index
    rows = []
    for peak, end in _underwater_spells(equity):
        trough = peak + 1 + int(np.argmin(dd[peak + 1 : end + 1]))
        recovered = dd[end] == 0.0
        rows.append(
            {
                "peak": index[peak],
                "trough": index[trough],
                "recovery": index[end] if recovered else pd.NaT,
                "depth": float(dd[trough]),
                "decline_sessions": trough - peak,
                "length_sessions": end - peak,
                "recovered": bool(recovered),
            }
        )
    columns = ["peak", "trough", "recovery", "depth", "decline_sessions", "length_sessions",
               "recovered"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("depth", kind="stable").head(top).reset_index(drop=True)


def monthly_returns(equity: pd.Series) -> pd.DataFrame:
    """Return of each calendar month, years as rows and months 1..12 as columns; the first and
    last months may be partial, months outside the data are NaN."""
    equity = equity.dropna()
    month_end = equity.groupby([equity.index.year, equity.index.month]).last()
    previous = month_end.shift(1)
    previous.iloc[0] = equity.iloc[0]
    out = (month_end / previous - 1.0).unstack()
    out = out.reindex(columns=range(1, 13))
    out.index.name, out.columns.name = "year", "month"
    return out


def rolling_return(equity: pd.Series, window: int = PERIODS_PER_YEAR) -> pd.Series:
    """Return over the last `window` sessions (NaN until `window` sessions have passed)."""
    return equity / equity.shift(window) - 1.0


def rolling_sharpe(
    returns: pd.Series, window: int = PERIODS_PER_YEAR, risk_free_pct: float = 0.0
) -> pd.Series:
    """Annualised Sharpe ratio over the last `window` daily returns (as `sharpe`)."""
    values = stats_nb.rolling_sharpe_nb(_values(returns), window, daily_risk_free(risk_free_pct))
    return pd.Series(values, index=returns.index, name=returns.name)


def rolling_beta(
    returns: pd.Series, benchmark: pd.Series, window: int = PERIODS_PER_YEAR
) -> pd.Series:
    """Beta against `benchmark` over the last `window` daily returns (as `beta_correlation`)."""
    both = pd.concat([returns, benchmark], axis=1, join="inner")
    values = stats_nb.rolling_beta_nb(_values(both.iloc[:, 0]), _values(both.iloc[:, 1]), window)
    return pd.Series(values, index=both.index, name=returns.name)
