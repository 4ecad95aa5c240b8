"""rsi_cross: events against an independent RSI loop, planted pullbacks, no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.claim_checks.kinds import rsi
from engine.claim_checks.runner import evaluate
from tests.claims.builders import rng_walk, rsi_def
from tests.helpers import market_data


def loop_rsi(prices: list[float], n: int = 14) -> list[float]:
    """Wilder's RSI, written out plainly: seed with the mean of the first n changes."""
    out = [float("nan")] * len(prices)
    changes = [prices[i] - prices[i - 1] for i in range(1, len(prices))]
    gain = sum(max(c, 0.0) for c in changes[:n]) / n
    loss = sum(max(-c, 0.0) for c in changes[:n]) / n
    for i in range(n, len(prices)):
        if i > n:
            c = changes[i - 1]
            gain = (gain * (n - 1) + max(c, 0.0)) / n
            loss = (loss * (n - 1) + max(-c, 0.0)) / n
        out[i] = 100.0 if loss == 0 and gain > 0 else 100.0 - 100.0 / (1.0 + gain / loss)
    return out


def walk_data(seed: int = 0) -> pd.DataFrame:
    index = nyse_sessions("2010-01-04", "2020-12-31")
    return pd.DataFrame(
        {"A": rng_walk(index, seed, 0.012), "B": rng_walk(index, seed + 50)}, index=index
    )


def test_events_are_first_crosses_of_an_independent_rsi():
    prices = walk_data()
    values = loop_rsi(prices["A"].tolist())
    m = 5
    expected = [
        prices.index[t]
        for t in range(len(values))
        if values[t] > 70
        and t - m >= 0
        and all(not np.isnan(values[s]) and values[s] <= 70 for s in range(t - m, t))
    ]
    frame = rsi._study_frame(market_data(prices), rsi_def(min_below=m))
    # The study (and so the base rate) starts at the RSI's first value: session 15 (n = 14).
    assert frame.index[0] == prices.index[14] and np.isnan(values[13])
    assert frame["rsi"].to_numpy() == pytest.approx(values[14:], rel=1e-10)
    assert frame.index[frame["event"]].tolist() == expected
    assert len(expected) >= 10


def test_forward_returns_and_pullbacks_of_an_event():
    prices = walk_data()
    defn = rsi_def(min_below=5)
    frame = rsi._study_frame(market_data(prices), defn)
    day = frame.index[frame["event"]][0]
    pos = prices.index.get_loc(day)
    a, b = prices["A"], prices["B"]
    fwd = a.iloc[pos + 2] / a.iloc[pos] - 1
    assert frame.loc[day, "fwd_2_ret"] == pytest.approx(fwd)
    assert frame.loc[day, "rel_fwd_2_ret"] == pytest.approx(
        fwd - (b.iloc[pos + 2] / b.iloc[pos] - 1)
    )
    assert frame.loc[day, "pullback_2"] == float(fwd < 0)
    dip = rsi._study_frame(market_data(prices), rsi_def(min_below=5, pullback="dip", dip=0.01))
    low = min(a.iloc[pos + 1], a.iloc[pos + 2]) / a.iloc[pos] - 1
    assert dip.loc[day, "pullback_2"] == float(low <= -0.01)


def test_rsi_on_a_weekend_date_is_fridays():
    prices = walk_data()
    values = loop_rsi(prices["A"].tolist())
    data = market_data(prices)
    day, value = rsi._date_rsi(data, rsi_def(date="2019-06-08"), "A")  # a Saturday
    assert day == pd.Timestamp("2019-06-07")
    assert value == pytest.approx(values[prices.index.get_loc(day)])


def planted_cycles(cycles: int = 24) -> pd.DataFrame:
    """Each 40-session cycle: 24 quiet sessions (+-0.5% alternating), 6 sessions of +2% (RSI
    crosses 70 during them), 2 sessions of -10% (the pullback), 8 quiet sessions."""
    pattern = [0.005, -0.005] * 12 + [0.02] * 6 + [-0.10] * 2 + [0.005, -0.005] * 4
    daily = np.tile(pattern, cycles)
    index = nyse_sessions("2000-01-03", "2010-12-31")[: len(daily)]
    a = 100.0 * np.cumprod(1.0 + daily)
    return pd.DataFrame({"A": a, "B": 100.0}, index=index)


def test_a_planted_pullback_after_every_cross_is_supported():
    prices = planted_cycles()
    defn = rsi_def(min_below=10, horizons=[8], headline_horizon=8, date="2000-02-15")
    result = evaluate(defn, market_data(prices))
    pull = result.findings[0]
    assert pull.key == "pullback_8"
    # One cross per cycle, on a ramp session (positions 24-29 of the cycle); within 8 sessions
    # come at most 5 more +2% days and both -10% days: always a lower close.
    frame = rsi._study_frame(market_data(prices), defn)
    positions = prices.index.get_indexer(frame.index[frame["event"].to_numpy()])
    assert len(positions) == 24
    assert set(positions % 40) <= set(range(24, 30))
    assert pull.n == 24 and pull.hits == 24
    assert pull.verdict == "supported"
    fwd = next(f for f in result.findings if f.key == "fwd_8")
    assert fwd.value < fwd.base and fwd.verdict == "supported"


@pytest.mark.parametrize("seed", [3, 4])
def test_no_look_ahead_in_crosses(seed):
    prices = walk_data(seed)
    rng = np.random.default_rng(seed)
    defn = rsi_def(min_below=3)
    base = rsi._study_frame(market_data(prices), defn)
    for t in rng.choice(np.arange(30, len(prices) - 30), 5, replace=False):
        changed = prices.copy()
        changed.iloc[t + 1 :] *= rng.uniform(0.7, 1.3, size=(len(prices) - t - 1, 2))
        other = rsi._study_frame(market_data(changed), defn)
        cut = prices.index[t]
        assert base.loc[:cut, "event"].equals(other.loc[:cut, "event"])
        pd.testing.assert_series_equal(base.loc[:cut, "rsi"], other.loc[:cut, "rsi"])


def test_base_rate_counts_the_sessions_with_an_rsi_only():
    """The base is "every session with an RSI": from the RSI's first value (session 15) on."""
    prices = walk_data()
    pull = evaluate(rsi_def(min_below=5), market_data(prices)).findings[0]
    assert pull.key == "pullback_2"
    forward = (prices["A"].shift(-2) / prices["A"] - 1.0).iloc[14:].dropna()
    assert len(forward) == len(prices) - 14 - 2
    # The comparison sample, by hand: sessions with an RSI and a forward return, at least 2
    # sessions from every event (windows of 2 sessions never overlap an event's), every 2nd.
    frame = rsi._study_frame(market_data(prices), rsi_def(min_below=5))
    events = prices.index.get_indexer(frame.index[frame["event"].to_numpy(dtype=bool)])
    chosen, last = [], -2
    for k in (prices.index.get_loc(d) for d in forward.index):
        if np.all(np.abs(events - k) >= 2) and k - last >= 2:
            chosen.append(k)
            last = k
    assert chosen[0] >= 14  # from the RSI's first value on
    assert pull.base_n == len(chosen)
    assert pull.base_hits == int((forward.iloc[[k - 14 for k in chosen]] < 0).sum())
