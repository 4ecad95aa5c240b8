"""rsi_trim on small series where the RSI and every switch can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.config.settings import BacktestSettings
from engine.simulate.portfolio import run_backtest
from strategies.rsi_trim import (
    STRATEGY,
    Params,
    rsi,
    switches,
    tickers,
    trim_states,
)
from tests.helpers import market_data, random_walk


def target_weights(data, params):
    return STRATEGY.weights(data, params)


NAN = np.nan


def _prices(iwm: list[float], spy: list[float] | None = None) -> pd.DataFrame:
    index = nyse_sessions("2024-01-02", "2024-03-29")[: len(iwm)]
    spy = spy if spy is not None else [100.0] * len(iwm)
    return pd.DataFrame({"IWM": iwm, "SPY": spy}, index=index)


def test_state_machine_trims_above_upper_and_restores_below_lower():
    values = np.array([NAN, NAN, 65, 72, 68, 55, 49, 51, 71, 70, 40])
    states = trim_states(values, 70.0, 50.0, 0)
    # 72 > 70 trims; 68 and 55 are not below 50; 49 restores; 71 trims; 70 is not above 70
    assert states.tolist() == [0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0]


def test_cooldown_blocks_switches_for_that_many_sessions():
    values = np.array([60, 71, 45, 45, 45, 72, 30, 30, 30])
    # trim on day 1; days 2-3 are in the cooldown; day 4 restores; days 5-6 cannot switch;
    # day 7 would trim only above 70 (30 is not), so the state stays restored
    assert trim_states(values, 70.0, 50.0, 2).tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 0]
    # without the cooldown: trim day 1, restore day 2, trim day 5, restore day 6
    assert trim_states(values, 70.0, 50.0, 0).tolist() == [0, 1, 0, 0, 0, 1, 0, 0, 0]


def test_missing_rsi_holds_the_state():
    values = np.array([75, NAN, NAN, 40, NAN])
    assert trim_states(values, 70.0, 50.0, 0).tolist() == [1, 1, 1, 0, 0]


def test_hand_computed_wilder_rsi_triggers_trim_and_restore_rows():
    """n=3 on IWM closes 10, 11, 12, 13, 12, 11.

    Day 3: three gains of 1 -> average gain 1, loss 0 -> RSI 100 > 70: trim.
    Day 4 (-1): gain (1*2+0)/3 = 2/3, loss (0*2+1)/3 = 1/3 -> RS 2 -> RSI 66.67: held.
    Day 5 (-1): gain (2/3*2)/3 = 4/9, loss (1/3*2+1)/3 = 5/9 -> RS 0.8 -> RSI 44.44 < 50: restore.
    """
    data = market_data(_prices([10, 11, 12, 13, 12, 11]))
    params = Params(n=3)
    values = rsi(data, params).to_numpy()
    np.testing.assert_allclose(values[3:], [100.0, 200 / 3, 400 / 9], rtol=1e-12)
    assert np.isnan(values[:3]).all()
    rows = target_weights(data, params).dropna(how="all")
    days = data.index
    assert rows.index.tolist() == [days[0], days[3], days[5]]
    assert rows["IWM"].tolist() == [1.0, 0.5, 1.0]
    assert rows["SPY"].tolist() == [0.0, 0.5, 0.0]
    table = switches(data, params)
    assert table["action"].tolist() == ["trim", "restore"]
    np.testing.assert_allclose(table["rsi"], [100.0, 400 / 9], rtol=1e-12)


def test_trade_happens_the_session_after_the_signal_at_its_close():
    """Continue the hand case: fees 0, IWM bought day 1 at 11 with 1000; trimmed at day 4's
    close (12): sell half the value, buy SPY (100); restored at day 6's close (10)."""
    iwm = [10, 11, 12, 13, 12, 11, 10, 10.5]
    data = market_data(_prices(iwm))
    weights = target_weights(data, Params(n=3))
    settings = BacktestSettings(initial_cash=1000, fees_bps=0, slippage_bps=0)
    res = run_backtest(weights, data, settings)
    qty = 1000 / 11
    value_day4 = qty * 12
    iwm_left = qty / 2
    spy = value_day4 / 2 / 100
    value_day6 = iwm_left * 10 + spy * 100  # SPY sold, IWM bought back with everything
    expected_end = value_day6 / 10 * 10.5
    assert res.orders["date"].tolist() == [data.index[i] for i in (1, 4, 4, 6, 6)]
    assert res.orders["side"].tolist() == ["buy", "sell", "buy", "sell", "buy"]
    assert res.equity.iloc[-1] == pytest.approx(expected_end, rel=1e-12)


def test_ratio_signal_reads_small_caps_relative_strength():
    """IWM flat (its own RSI is 50: no move at all), SPY falling: IWM/SPY rises -> RSI 100."""
    iwm = [100.0] * 8
    spy = [100, 99, 98, 97, 96, 95, 94, 93]
    data = market_data(_prices(iwm, spy))
    own = target_weights(data, Params(n=3)).dropna(how="all")
    assert len(own) == 1 and own["IWM"].iloc[0] == 1.0
    ratio = target_weights(data, Params(n=3, signal="ratio")).dropna(how="all")
    assert ratio.index[1] == data.index[3]
    assert ratio["IWM"].tolist() == [1.0, 0.5]
    np.testing.assert_allclose(rsi(data, Params(n=3, signal="ratio")).iloc[3:], 100.0)


def test_cash_destination_leaves_the_trimmed_part_uninvested():
    data = market_data(_prices([10, 11, 12, 13, 12, 11]))
    rows = target_weights(data, Params(n=3, destination="Cash", trim_weight=0.2)).dropna(how="all")
    assert list(rows.columns) == ["IWM"]
    assert rows["IWM"].tolist() == [1.0, 0.2, 1.0]
    assert tickers(Params(destination="cash")) == ["IWM"]


def test_core_weight_below_one_and_no_change_when_trim_equals_core():
    data = market_data(_prices([10, 11, 12, 13, 12, 11]))
    rows = target_weights(data, Params(n=3, core_weight=0.8, trim_weight=0.3)).dropna(how="all")
    assert rows["IWM"].tolist() == [0.8, 0.3, 0.8]
    assert rows["SPY"].tolist() == pytest.approx([0.0, 0.5, 0.0])
    same = target_weights(data, Params(n=3, core_weight=0.6, trim_weight=0.6))
    assert len(same.dropna(how="all")) == 1  # the allocation never changes


def test_rows_appear_only_where_the_allocation_changes():
    prices = random_walk(["IWM", "SPY"], "2015-01-01", "2018-12-31", seed=4)
    data = market_data(prices)
    params = Params(n=7, upper=65, lower=40)
    rows = target_weights(data, params).dropna(how="all")
    assert len(rows) == len(switches(data, params)) + 1
    alloc = rows["IWM"].to_numpy()
    assert (alloc[1:] != alloc[:-1]).all()  # consecutive rows always differ


def test_tickers_bound_the_period_for_every_signal():
    assert tickers(Params()) == ["IWM", "SPY"]
    assert tickers(Params(signal="ratio", signal_ticker="IWM", ratio_to="QQQ")) == [
        "IWM",
        "SPY",
        "QQQ",
    ]
    assert tickers(Params(signal_ticker="^RUT", destination="cash")) == ["IWM", "^RUT"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lower": 75, "upper": 70}, "must not exceed upper"),
        ({"trim_weight": 0.9, "core_weight": 0.8}, "must not exceed core_weight"),
        ({"destination": "IWM"}, "must differ from small_cap"),
        ({"n": 1}, "greater than or equal to 2"),
        ({"upper": 100}, "less than 100"),
        ({"signal": "spread"}, "'price' or 'ratio'"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)
