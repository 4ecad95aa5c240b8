"""strategies.rules: the shared rule pieces on tiny series whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from strategies import rules

DAYS = nyse_sessions("2021-03-01", "2021-03-12")  # 10 sessions


def _series(values: list[float]) -> pd.Series:
    return pd.Series(values, index=DAYS[: len(values)], dtype=float)


def test_allocation_rows_are_written_only_when_the_weights_change():
    wanted = pd.Series(["a", "a", "b", "c", "c", "a"], index=DAYS[:6])
    allocations = {"a": {"SPY": 1.0}, "b": {"IWM": 0.6}, "c": {"IWM": 0.6}}
    w = rules.allocation_rows(wanted, allocations)
    assert w.columns.tolist() == ["SPY", "IWM"]
    rows = w.dropna(how="all")
    # b -> c changes the label but not the weights: no row (no needless rebalance).
    assert rows.index.tolist() == [DAYS[0], DAYS[2], DAYS[5]]
    assert rows.to_numpy().tolist() == [[1.0, 0.0], [0.0, 0.6], [1.0, 0.0]]


def test_allocation_rows_refuse_missing_or_unknown_labels():
    with pytest.raises(ValueError, match="no allocation label"):
        rules.allocation_rows(pd.Series(["a", None], index=DAYS[:2]), {"a": {"SPY": 1.0}})
    with pytest.raises(ValueError, match="without an allocation"):
        rules.allocation_rows(pd.Series(["a", "z"], index=DAYS[:2]), {"a": {"SPY": 1.0}})


def test_hold_state_keeps_the_last_decision_through_missing_ones():
    decisions = _series([np.nan, np.nan, 1.0, np.nan, 0.0, np.nan, 1.0])
    assert rules.hold_state(decisions).tolist() == [False, False, True, True, False, False, True]
    assert rules.hold_state(decisions, initial=True).tolist()[:2] == [True, True]


def test_sma_on_observations_skips_missing_sessions_instead_of_counting_them():
    values = _series([1.0, 2.0, np.nan, 3.0, 7.0])
    sma = rules.sma_on_observations(values, 3)
    assert np.isnan(sma.iloc[:3]).all()  # two observations, then a gap: no value
    assert sma.iloc[3] == pytest.approx(2.0)  # (1 + 2 + 3) / 3
    assert sma.iloc[4] == pytest.approx(4.0)  # (2 + 3 + 7) / 3


def test_carry_last_published_is_bounded():
    values = _series([1.0, np.nan, np.nan, np.nan, 5.0])
    carried = rules.carry_last_published(values, 2)
    assert carried.iloc[:3].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(carried.iloc[3])  # a third missing session in a row is not filled
    assert carried.iloc[4] == 5.0
    assert np.isnan(rules.carry_last_published(values, 0).iloc[1])


def test_relative_decision_return_spread_and_ratio_ma_by_hand():
    small = _series([100.0, 100.0, 125.0, 150.0, 150.0])
    large = _series([100.0, 100.0, 100.0, 100.0, 125.0])
    decision, measure = rules.relative_decision(small, large, "return_spread", 2, 3, 0.25)
    # 2-session spreads: t2 0.25 (not strictly above 0.25), t3 0.5, t4 0.2 - 0.25 = -0.05.
    assert measure.iloc[2:].tolist() == pytest.approx([0.25, 0.5, -0.05])
    assert decision.tolist()[2:] == [0.0, 1.0, 0.0]
    assert np.isnan(decision.iloc[:2]).all()
    decision, measure = rules.relative_decision(small, large, "ratio_ma", 2, 3, 0.0)
    # ratios 1, 1, 1.25, 1.5, 1.2; SMA3 from t2: 3.25/3, 3.75/3, 3.95/3.
    assert measure.iloc[2:].tolist() == pytest.approx(
        [1.25 / (3.25 / 3) - 1, 1.5 / 1.25 - 1, 1.2 / (3.95 / 3) - 1]
    )
    assert decision.tolist()[2:] == [1.0, 1.0, 0.0]


def test_run_length_and_hold_for():
    wins = _series([1, 1, 0, 1, 1, 1, 0, 0, 0, 0]).astype(bool)
    assert rules.run_length(wins).tolist() == [1, 2, 0, 1, 2, 3, 0, 0, 0, 0]
    trigger = rules.run_length(wins) >= 2
    # triggers at 1, 4, 5; each holds 3 sessions (itself and the 2 after it)
    assert rules.hold_for(trigger, 3).tolist() == [
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_last_session_of_year_follows_the_calendar():
    index = nyse_sessions("2021-12-27", "2022-01-05")
    assert index[rules.is_last_session_of_year(index)].tolist() == [pd.Timestamp("2021-12-31")]
    assert rules.last_session_of_year(2022) == pd.Timestamp("2022-12-30")  # Dec 31 is a Saturday


def test_yearly_state_summary_counts_sessions_and_switches():
    index = nyse_sessions("2021-12-28", "2022-01-05")  # 4 sessions in 2021, 3 in 2022
    state = pd.Series([False, True, True, False, True, True, False], index=index)
    table = rules.yearly_state_summary(state, "on")
    assert table.loc[2021].tolist() == [4, 2, 0.5, 2]
    assert table.loc[2022, "on_sessions"] == 2
    assert table.loc[2022, "switches"] == 2  # 2021-12-31 off -> 2022-01-03 on, then off on 01-05
