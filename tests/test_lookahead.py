"""No strategy looks ahead: changing every price after day t never changes a weight up to t.

Generic over `strategies.discover()`, so a strategy added later is covered without editing this
file, and over each strategy's modes: its default parameters, then each other choice of every
Literal or bool parameter (one at a time; `test_batch_forms` draws them all together). Each
strategy gets synthetic, internally consistent daily bars (open/high/low around the close,
volume) for every ticker its default run loads: its required and optional tickers, the
benchmarks', the beta benchmark and the cash ticker. Yields get levels of a few percent,
volatility indexes mean-revert near 18 with spikes, other series are random walks. Then, for
several t, every field of every ticker after t is replaced by a different path and the target
weights are recomputed: the rows up to t must be identical.
"""

from __future__ import annotations

import typing
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from pydantic import BaseModel

from engine.calendar import nyse_sessions
from engine.config.run_config import load_config
from engine.data.model import FIELDS, MarketData
from engine.decisions.strategy import Strategy
from engine.simulate.pipeline import needed_tickers
from strategies import discover

STRATEGIES = discover()
SESSIONS = nyse_sessions("2016-01-04", "2019-12-31")  # about 4 years
YIELDS = frozenset({"^IRX", "^TNX", "^FVX", "^TYX"})  # percent
VOLATILITY = frozenset({"^VIX", "^VXN", "^RVX"})  # index points, mean-reverting
CUTS = 5  # days t per strategy


def closes(ticker: str, n: int, rng: np.random.Generator, start: float | None = None) -> np.ndarray:
    """A plausible close path for the kind of ticker, `n` sessions long."""
    if ticker in YIELDS:
        level = start if start is not None else rng.uniform(1.5, 5.0)
        path = level + np.cumsum(rng.normal(0, 0.04, n))
        return np.clip(path, 0.05, 15.0)
    if ticker in VOLATILITY:
        level = start if start is not None else rng.uniform(12, 25)
        out = np.empty(n)
        for i in range(n):  # mean-reverting around 18, spiking now and then
            level = level + 0.08 * (18 - level) + rng.normal(0, 1.2) + 8 * (rng.random() < 0.01)
            out[i] = min(max(level, 9.0), 80.0)
        return out
    level = (
        start
        if start is not None
        else (rng.uniform(800, 3000) if ticker[0] == "^" else rng.uniform(30, 300))
    )
    return level * np.exp(np.cumsum(rng.normal(0.0003, 0.013, n)))


def bars(close: np.ndarray, prev_close: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Open near the previous close, high/low around open and close, adj_close a constant
    dividend factor below the close, random volume."""
    n = len(close)
    prev = np.concatenate([[prev_close], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.004, n))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.008, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.008, n))
    return {
        "open": open_,
        "high": high,
        "low": low,
        "close": close,
        "adj_close": close * 0.97,
        "volume": rng.integers(100_000, 10_000_000, n).astype(float),
    }


def synthetic_data(tickers: list[str], seed: int) -> MarketData:
    rng = np.random.default_rng(seed)
    fields = {name: pd.DataFrame(index=SESSIONS, columns=tickers, dtype=float) for name in FIELDS}
    for ticker in tickers:
        path = closes(ticker, len(SESSIONS), rng)
        for name, values in bars(path, path[0], rng).items():
            fields[name][ticker] = values
    return MarketData(fields=fields)


def rewrite_after(data: MarketData, t: int, seed: int) -> MarketData:
    """`data` with every field of every ticker after session t replaced by another path that
    continues from t's close (so the bars stay consistent, but the future differs)."""
    rng = np.random.default_rng(seed)
    fields = {name: frame.copy() for name, frame in data.fields.items()}
    rest = len(SESSIONS) - t - 1
    for ticker in data.tickers:
        last = float(data.fields["close"][ticker].iloc[t])
        path = closes(ticker, rest, rng, start=last)
        if ticker not in YIELDS | VOLATILITY:  # a different trend: a crash or a rally
            path = path * np.exp(np.linspace(0, rng.choice([-0.6, 0.6]), rest))
        for name, values in bars(path, last, rng).items():
            fields[name].iloc[t + 1 :, fields[name].columns.get_loc(ticker)] = values
    return MarketData(fields=fields)


def tickers_for(strategy: Strategy) -> list[str]:
    """Every ticker the strategy's default run loads (see
    engine.simulate.pipeline.load_data_for)."""
    cfg = load_config(strategy)
    names = needed_tickers(strategy, cfg) + list(strategy.optional_tickers(cfg.params))
    return list(dict.fromkeys(t.upper() for t in names))


def first_look_ahead(
    weights_of: Callable[[MarketData], pd.DataFrame], data: MarketData, cuts: list[int], seed: int
) -> str | None:
    """The first cut whose earlier weights changed when the later prices did, else None."""
    base = weights_of(data)
    for k, t in enumerate(cuts):
        other = weights_of(rewrite_after(data, t, seed + k))
        day = SESSIONS[t]
        if list(other.columns) != list(base.columns):
            return f"t={day.date()}: columns changed {list(base.columns)} -> {list(other.columns)}"
        before, after = base.loc[:day], other.loc[:day]
        try:
            pd.testing.assert_frame_equal(before, after, check_freq=False)
        except AssertionError as exc:
            return f"t={day.date()}: weights up to t changed when prices after t did: {exc}"
    return None


def cut_days(seed: int) -> list[int]:
    """CUTS days t drawn over the whole span (warm-up included: the property holds for any t)."""
    rng = np.random.default_rng(seed)
    picks = sorted(rng.choice(np.arange(20, len(SESSIONS) - 5), size=CUTS, replace=False))
    return [int(t) for t in picks]


def choices(annotation: object) -> tuple:
    """The values of a Literal or bool parameter (those inside a union too); () otherwise."""
    if annotation is bool:
        return (False, True)
    if typing.get_origin(annotation) is typing.Literal:
        return typing.get_args(annotation)
    return tuple(v for a in typing.get_args(annotation) for v in choices(a))


def modes(strategy: Strategy) -> list[tuple[str, BaseModel]]:
    """(label, parameters): the default ones, then each other valid choice of every Literal or
    bool parameter over them."""
    base = load_config(strategy).params
    out = [("default", base)]
    for field, info in strategy.params_model.model_fields.items():
        for value in choices(info.annotation):
            if value == getattr(base, field):
                continue
            try:
                params = type(base).model_validate({**base.model_dump(), field: value})
            except ValueError:
                continue
            out.append((f"{field}={value}", params))
    return out


CASES = [(name, label) for name in sorted(STRATEGIES) for label, _ in modes(STRATEGIES[name])]


@pytest.mark.parametrize(("name", "mode"), CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_weights_up_to_t_ignore_prices_after_t(name: str, mode: str) -> None:
    strategy = STRATEGIES[name]
    params = dict(modes(strategy))[mode]
    seed = sum(map(ord, name))
    data = synthetic_data(tickers_for(strategy), seed)
    weights = strategy.weights(data, params)
    assert weights.index.equals(data.index) or weights.index.isin(data.index).all()
    if mode == "default":  # the default rule does trade on these bars: the check has teeth
        assert weights.notna().any(axis=1).sum() >= 2, f"{name} never changes: no test"
    problem = first_look_ahead(lambda d: strategy.weights(d, params), data, cut_days(seed), seed)
    assert problem is None, f"{name} {mode}: {problem}"


def test_the_check_catches_a_rule_that_peeks_one_session_ahead() -> None:
    """Without teeth the property would prove nothing: a rule deciding at t on t+1's close
    (hold SPY when it rises tomorrow) must be caught."""
    data = synthetic_data(["SPY"], 1)

    def peeking(d: MarketData) -> pd.DataFrame:
        tomorrow_up = d.adj_close["SPY"].shift(-1) > d.adj_close["SPY"]
        return pd.DataFrame({"SPY": tomorrow_up.astype(float)}, index=d.index)

    def honest(d: MarketData) -> pd.DataFrame:
        today_up = d.adj_close["SPY"] > d.adj_close["SPY"].shift(1)
        return pd.DataFrame({"SPY": today_up.astype(float)}, index=d.index)

    problem = first_look_ahead(peeking, data, cut_days(1), 1)
    assert problem is not None and "weights up to t changed" in problem
    assert first_look_ahead(honest, data, cut_days(1), 1) is None


def test_the_rewritten_future_really_differs_and_the_past_does_not() -> None:
    data = synthetic_data(["SPY", "^TNX", "^VIX"], 2)
    t = 500
    other = rewrite_after(data, t, 3)
    for name in FIELDS:
        pd.testing.assert_frame_equal(
            data.fields[name].iloc[: t + 1], other.fields[name].iloc[: t + 1]
        )
        changed = (data.fields[name].iloc[t + 1 :] != other.fields[name].iloc[t + 1 :]).mean()
        assert (changed > 0.99).all(), name
    tnx, vix = other.fields["close"]["^TNX"], other.fields["close"]["^VIX"]
    assert tnx.between(0.05, 15).all() and vix.between(9, 80).all()
    high, low, close = (other.fields[f] for f in ("high", "low", "close"))
    assert (low <= close).all().all() and (close <= high).all().all()
