"""A small synthetic ReportInput, built by hand: no data files, no pipeline."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from engine.data.model import FIELDS, DataIssue, MarketData, SourceInfo
from engine.report.model import ReportInput
from engine.simulate.result import ORDER_COLUMNS, BacktestResult
from engine.stats.metrics import stats_table, yearly_table
from tests.tuning.conftest import walk_data  # noqa: F401 (the sweep report tests use this fixture)

SESSIONS = 300
INITIAL = 100_000.0
TICKERS = ["IWM", "SPY"]
ISSUE_MESSAGE = "IWM has 3 sessions with no price <gap> & 'quoted' \"text\""
TOML = (
    'lead_days = 10\nuniverse = ["SPY", "IWM"]\n\n[backtest]\nstart = 2020-01-01\n'
    'initial_cash = 100000.0\n\n[[benchmarks]]\nname = "SPY buy & hold"\nweights = { SPY = 1.0 }\n'
)


def _result(
    name: str, index: pd.DatetimeIndex, daily: np.ndarray, orders: pd.DataFrame
) -> BacktestResult:
    returns = pd.Series(daily, index=index)
    returns.iloc[0] = 0.0
    equity = INITIAL * (1.0 + returns).cumprod()
    half = len(index) // 2
    weights = pd.DataFrame(0.0, index=index, columns=TICKERS)
    weights.iloc[1:half, 0] = 0.97 + 0.02 * np.sin(np.arange(1, half))
    weights.iloc[half:, 1] = 0.99
    cash = 1.0 - weights.sum(axis=1)
    target = pd.DataFrame(np.nan, index=index, columns=TICKERS)
    target.iloc[0] = [1.0, 0.0]
    target.iloc[half - 1] = [0.0, 1.0]
    return BacktestResult(
        name=name,
        equity=equity,
        returns=returns,
        weights=weights,
        cash_weight=cash,
        target_weights=target,
        orders=orders,
    )


def _orders(index: pd.DatetimeIndex) -> pd.DataFrame:
    half = len(index) // 2
    rows = [
        (index[1], "IWM", "buy", 612.0, 158.123456789, 96_771.55, 9.677155),
        (index[half], "IWM", "sell", 612.0, 171.5, -104_958.0, 10.4958),
        (index[half], "SPY", "buy", 300.5, 345.25, 103_747.625, 10.3747625),
        (index[-1], "SPY", "sell", 10.0, 350.0, -3_500.0, 0.35),
    ]
    orders = pd.DataFrame(rows, columns=list(ORDER_COLUMNS))
    orders["date"] = pd.to_datetime(orders["date"])
    return orders


def make_input(index: pd.DatetimeIndex | None = None, seed: int = 7) -> ReportInput:
    rng = np.random.default_rng(seed)
    if index is None:
        index = pd.bdate_range("2020-03-02", periods=SESSIONS, name="date")
    strategy = _result("first10days", index, rng.normal(0.0006, 0.013, len(index)), _orders(index))
    empty = pd.DataFrame(columns=list(ORDER_COLUMNS))
    benchmarks = {
        "SPY buy & hold": _result(
            "SPY buy & hold", index, rng.normal(0.0004, 0.011, len(index)), empty
        ),
        "50/50 IWM/SPY monthly rebalanced": _result(
            "50/50 IWM/SPY monthly rebalanced", index, rng.normal(0.0003, 0.012, len(index)), empty
        ),
    }
    results = {"first10days": strategy, **benchmarks}
    stats = stats_table(results, benchmark_returns=benchmarks["SPY buy & hold"].returns)
    yearly = yearly_table(results)

    prices = pd.DataFrame(
        100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(index), 2)), axis=0)),
        index=index,
        columns=TICKERS,
    )
    fields = {f: prices.copy() for f in FIELDS}
    fields["volume"] = prices * 0 + 1e6
    sources = {
        t: SourceInfo(
            ticker=t,
            provider="mirror",
            origin=f"../shared/market-data/{t}.csv",
            fetched_at="2024-05-01T12:00:00+00:00",
            first=index[0].date().isoformat(),
            last=index[-1].date().isoformat(),
            rows=len(index),
            served_from_cache=t == "SPY",
            close_only=False,
        )
        for t in TICKERS
    }
    issue = DataIssue(
        ticker="IWM",
        kind="missing_sessions",
        severity="warning",
        message=ISSUE_MESSAGE,
        dates=tuple(d.date().isoformat() for d in index[10:17]),
    )
    data = MarketData(fields=fields, sources=sources, issues=[issue])

    per_year = pd.DataFrame(
        {
            "decision_date": [dt.date(2020, 3, 13), dt.date(2021, 1, 14)],
            "leader": ["IWM", "SPY"],
            "IWM_ret": [0.0412345, -0.012],
            "SPY_ret": [0.021, 0.0055],
            "members_compared": [2.0, 2.0],
            "year_complete": [False, False],
        },
        index=pd.Index([2020, 2021], name="year"),
    )
    return ReportInput(
        title="first10days",
        description="Hold small caps for the rest of the year when they lead <early>.",
        run_id="20240501T120000Z-abc123",
        command="rotation-lab run first10days --set lead_days=10",
        strategy=strategy,
        benchmarks=benchmarks,
        stats=stats,
        yearly=yearly,
        tables={"per_year": per_year},
        config={
            "lead_days": 10,
            "universe": ["SPY", "IWM"],
            "backtest": {"start": "2020-01-01", "initial_cash": 100000.0, "end": None},
            "benchmarks": [{"name": "SPY buy & hold", "weights": {"SPY": 1.0}}],
            "odd": float("nan"),
        },
        config_toml=TOML,
        data=data,
        period=(index[0].date(), index[-1].date()),
        period_note="The period starts when every needed ticker trades",
        versions={"python": "3.11.9", "pandas": pd.__version__, "numpy": np.__version__},
        notes=["Survivorship: the universe is today's ETFs.", "Fees are an estimate & may differ."],
    )


@pytest.fixture
def report_input() -> ReportInput:
    return make_input()
