"""equal_weight_tilt on tiny synthetic RSP/SPY series where each decision is worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from strategies.equal_weight_tilt import RULE, STRATEGY, Params
from tests.helpers import MIRROR, market_data, run_on_mirror

allocations, explain, signal, tickers = RULE.allocations, RULE.explain, RULE.signal, RULE.tickers
DAYS = nyse_sessions("2021-03-01", "2021-03-31")
# 2-session spreads RSP - SPY: day 2 0.25 - 0 = 0.25, day 3 0.5 - 0 = 0.5, day 4 0.2 - 0.25,
# day 5 0 - 0.25 = -0.25, day 6 0.25 - 0 = 0.25.
RSP = [100.0, 100.0, 125.0, 150.0, 150.0, 150.0, 187.5]
SPY = [100.0, 100.0, 100.0, 100.0, 125.0, 125.0, 125.0]


def _data(rsp: list[float] = RSP, spy: list[float] = SPY):
    index = DAYS[: len(rsp)]
    return market_data(pd.DataFrame({"RSP": rsp, "SPY": spy}, index=index))


def _rows(weights: pd.DataFrame) -> tuple[list[int], list[list[float]]]:
    rows = weights.dropna(how="all")
    return [DAYS.get_loc(d) for d in rows.index], rows[["RSP", "SPY"]].to_numpy().tolist()


def test_switch_mode_holds_all_of_the_leader():
    params = Params(lookback_days=2, spread_threshold=0.3)
    sig = signal(_data(), params)
    assert sig["measure"].iloc[2:].tolist() == pytest.approx([0.25, 0.5, -0.05, -0.25, 0.25])
    assert _rows(STRATEGY.weights(_data(), params)) == ([0, 3, 4], [[0, 1], [1, 0], [0, 1]])
    # Any lead (threshold 0) also favours equal weight on days 2 and 6.
    rows = _rows(STRATEGY.weights(_data(), Params(lookback_days=2)))
    assert rows == ([0, 2, 4, 6], [[0, 1], [1, 0], [0, 1], [1, 0]])


def test_tilt_mode_uses_the_configured_weight_maps():
    params = Params(lookback_days=2, spread_threshold=0.3, mode="tilt")
    positions, weights = _rows(STRATEGY.weights(_data(), params))
    assert positions == [0, 3, 4]
    assert weights == [[0.3, 0.7], [0.7, 0.3], [0.3, 0.7]]
    custom = Params(lookback_days=2, mode="tilt", tilt={"RSP": 0.5, "IWM": 0.5}, base={"SPY": 1})
    assert allocations(custom) == ({"RSP": 0.5, "IWM": 0.5}, {"SPY": 1})
    assert tickers(custom) == ["RSP", "SPY", "IWM"]
    assert tickers(Params(tilt={"RSP": 0.5, "IWM": 0.5})) == ["RSP", "SPY"]  # switch ignores maps


def test_ratio_ma_mode():
    # RSP/SPY ratio 1, 1, 1, 2, 2, 2, 1; SMA3 from day 2: 1, 4/3, 5/3, 2, 5/3.
    data = _data([100, 100, 100, 200, 200, 200, 100], [100] * 7)
    params = Params(signal="ratio_ma", ma_days=3)
    assert _rows(STRATEGY.weights(data, params)) == ([0, 3, 5], [[0, 1], [1, 0], [0, 1]])
    params = Params(signal="ratio_ma", ma_days=3, ratio_threshold=0.25)
    assert _rows(STRATEGY.weights(data, params)) == ([0, 3, 4], [[0, 1], [1, 0], [0, 1]])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cap_weight": "RSP"}, "must differ"),
        ({"mode": "blend"}, "switch"),
        ({"tilt": {"RSP": 0.9, "SPY": 0.2}}, "at most 1"),
        ({"signal": "rsi"}, "return_spread"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    return run_on_mirror(STRATEGY, tmp_path_factory.mktemp("equal_weight_tilt"))


@pytest.mark.realdata
def test_on_real_data(real_run):
    inp = real_run
    # RSP is the last to start (2003-05-01) and the first to end (2026-07-01).
    assert inp.period == (pd.Timestamp("2003-05-01").date(), pd.Timestamp("2026-07-01").date())
    assert "RSP buy & hold" in inp.benchmarks
    csv = {
        t: pd.read_csv(MIRROR / f"{t}.csv", index_col="date", parse_dates=True)["adj_close"]
        for t in ("RSP", "SPY")
    }
    prices = pd.DataFrame(csv).dropna()
    spread = prices["RSP"].pct_change(63) - prices["SPY"].pct_change(63)
    weights = inp.strategy.weights
    # Recomputed from the CSVs: the session after each of these closes holds the fund that led.
    for day in ("2009-12-31", "2017-12-29", "2022-06-30", "2024-06-28"):
        after = weights.index[weights.index > pd.Timestamp(day)][0]
        leader = "RSP" if spread[day] > 0 else "SPY"
        assert weights.loc[after, leader] > 0.99, day
    assert spread["2017-12-29"] < 0 < spread["2009-12-31"]  # both sides occur in the checks


# ------------------------------------------------------------------ the batch form


def test_a_small_batch_by_hand():
    # 1-session spreads RSP - SPY: t1 0, t2 .25, t3 .2, t4 -.25, t5 0, t6 .25; the 2-session
    # ones are in the header (t2 .25, t3 .5, t4 -.05, t5 -.25, t6 .25).
    table = pd.DataFrame(
        {
            "lookback_days": [1, 2],
            "spread_threshold": [0.0, 0.3],
            "mode": pd.Series(["switch", "tilt"], dtype=object),
        }
    )
    batch = STRATEGY.decide(_data(), Params(), table)
    assert list(batch.columns) == ["RSP", "SPY"]
    (p0, r0), (p1, r1) = batch.events(0), batch.events(1)
    assert p0.tolist() == [0, 2, 4, 6]  # t5's 0 is not above 0: SPY stays
    assert batch.palette[r0].tolist() == [[0, 1], [1, 0], [0, 1], [1, 0]]
    assert p1.tolist() == [0, 3, 4]
    assert batch.palette[r1].tolist() == [[0.3, 0.7], [0.7, 0.3], [0.3, 0.7]]


def test_explain_says_what_decided_the_last_session():
    out = explain(_data(), Params(lookback_days=2, spread_threshold=0.3))
    assert out == {
        "inputs": "RSP 2-session return 25.0% vs SPY 0.0%: spread +25.0 pp <= 30.0 pp, "
        "base (SPY side)",
        "next_decision": "every session (at each close)",
    }
    data = _data([100, 100, 100, 200, 200, 200, 100], [100] * 7)
    ratio = explain(data, Params(signal="ratio_ma", ma_days=3))["inputs"]
    # ratio 1 against its 3-session mean 5/3: 1 / (5/3) - 1 = -40%
    assert ratio == "RSP/SPY ratio -40.00% from its 3-session mean <= +0.00%, base (SPY side)"


def test_active_and_base_follow_the_mode():
    assert STRATEGY.active_and_base(Params()) == ({"RSP": 1.0}, {"SPY": 1.0})
    assert STRATEGY.active_and_base(Params(mode="tilt")) == (
        {"RSP": 0.7, "SPY": 0.3},
        {"RSP": 0.3, "SPY": 0.7},
    )
