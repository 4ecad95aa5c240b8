"""strategies.rules: the shared rule pieces on tiny series whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.decisions.indicators import run_length
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


def test_held_labels_keep_the_last_label_and_start_from_initial():
    labels = np.array([[-1, 2, -1, 0, -1], [1, -1, -1, -1, 3]])
    assert rules.held_labels(labels, 7).tolist() == [[7, 2, 2, 0, 0], [1, 1, 1, 1, 3]]


def test_sma_on_observations_skips_missing_sessions_instead_of_counting_them():
    values = np.array([1.0, 2.0, np.nan, 3.0, 7.0])
    sma, sma2 = rules.sma_on_observations(values, np.array([3, 2]))
    assert np.isnan(sma[:3]).all()  # two observations, then a gap: no value
    assert sma[3] == pytest.approx(2.0)  # (1 + 2 + 3) / 3
    assert sma[4] == pytest.approx(4.0)  # (2 + 3 + 7) / 3
    # m = 2: (1 + 2) / 2 on day 1, none on the gap, (2 + 3) / 2, (3 + 7) / 2
    assert np.isnan(sma2[[0, 2]]).all() and sma2[[1, 3, 4]].tolist() == [1.5, 2.5, 5.0]
    assert np.isnan(rules.sma_on_observations(values, np.array([5]))).all()  # 4 observations


def test_carry_last_published_is_bounded():
    values = np.array([1.0, np.nan, np.nan, np.nan, 5.0])
    carried = rules.carry_last_published(values, 2)
    assert carried[:3].tolist() == [1.0, 1.0, 1.0]
    assert np.isnan(carried[3])  # a third missing session in a row is not filled
    assert carried[4] == 5.0
    assert np.isnan(rules.carry_last_published(values, 0)[1])
    rows = rules.carry_last_published(np.vstack([values, values[::-1]]), 1)  # row by row
    assert np.isnan(rows[1, :2]).tolist() == [False, False] and np.isnan(rows[1, 2:4]).all()


def test_session_returns_for_two_k_on_a_short_series():
    prices = np.array([100.0, 110.0, np.nan, 121.0, 133.1, 100.0])
    one, two = rules.session_returns(prices, np.array([1, 2]))
    assert np.isnan(one[[0, 2, 3]]).all()  # a missing close is never bridged
    assert one[[1, 4, 5]] == pytest.approx([0.1, 0.1, 100 / 133.1 - 1])
    assert np.isnan(two[[0, 1, 2, 4]]).all()
    assert two[[3, 5]] == pytest.approx([0.1, 100 / 121 - 1])


def test_return_spread_and_ratio_distance_by_hand():
    small = np.array([100.0, 100.0, 125.0, 150.0, 150.0])
    large = np.array([100.0, 100.0, 100.0, 100.0, 125.0])
    measure = rules.return_spread(small, large, np.array([2]))[0]
    # 2-session spreads: t2 0.25 (not strictly above 0.25), t3 0.5, t4 0.2 - 0.25 = -0.05.
    assert measure[2:].tolist() == pytest.approx([0.25, 0.5, -0.05])
    decision = rules.threshold_decision(measure, 0.25)
    assert decision.tolist()[2:] == [0.0, 1.0, 0.0]
    assert np.isnan(decision[:2]).all()
    measure = rules.ratio_distance(small, large, np.array([3]))[0]
    # ratios 1, 1, 1.25, 1.5, 1.2; SMA3 from t2: 3.25/3, 3.75/3, 3.95/3.
    assert measure[2:].tolist() == pytest.approx(
        [1.25 / (3.25 / 3) - 1, 1.5 / 1.25 - 1, 1.2 / (3.95 / 3) - 1]
    )
    assert rules.threshold_decision(measure, 0.0).tolist()[2:] == [1.0, 1.0, 0.0]


def test_run_length_and_holding_after_a_trigger():
    wins = np.array([1, 1, 0, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    assert run_length(wins).tolist() == [1, 2, 0, 1, 2, 3, 0, 0, 0, 0]
    trigger = run_length(wins) >= 2
    since = rules.sessions_since(trigger)[0]
    assert since.tolist() == [np.inf, 0, 1, 2, 0, 0, 1, 2, 3, 4]
    # triggers at 1, 4, 5; each holds 3 sessions (itself and the 2 after it)
    assert (since < 3).tolist() == [
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


def test_group_rows_and_the_two_state_palette():
    groups = rules.group_rows(np.array(["a", "b", "a"]), np.array([1, 1, 1]))
    assert {k: v.tolist() for k, v in groups.items()} == {("a", 1): [0, 2], ("b", 1): [1]}
    over, base, other = {"IWM": 0.7, "SPY": 0.3}, {"IWM": 0.3, "SPY": 0.7}, {"TLT": 1.0}
    on = np.array([over, over, dict(over)], dtype=object)  # an equal map is the same row
    off = np.array([base, other, base], dtype=object)
    palette, columns, on_rows, off_rows = rules.two_state_palette(on, off)
    assert columns == ["IWM", "SPY", "TLT"]
    assert palette.tolist() == [[0.7, 0.3, 0.0], [0.3, 0.7, 0.0], [0.0, 0.0, 1.0]]
    assert on_rows.tolist() == [0, 0, 0] and off_rows.tolist() == [1, 2, 1]


def test_threshold_decisions_of_a_small_batch_by_hand():
    index = DAYS[:6]
    measures = np.array([[np.nan, 0.2, 0.5, np.nan, -0.1, 0.3], [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]])
    palette = np.array([[1.0, 0.0], [0.0, 1.0]])
    # combination 0: measure 0 above 0.25; 1: measure 0 above 0.0; 2: measure 1 above 0.5.
    out = rules.threshold_decisions(
        measures,
        which=np.array([0, 0, 1]),
        thresholds=np.array([0.25, 0.0, 0.5]),
        on=np.array([0, 0, 0]),
        off=np.array([1, 1, 1]),
        palette=palette,
        index=index,
        columns=["A", "B"],
        block_rows=2,  # two blocks, concatenated
    )
    assert out.n_combos == 3
    # 0: no decision on day 0 -> off wanted; on at 2; NaN on 3 keeps it; off at 4; on at 5.
    positions, rows = out.events(0)
    assert positions.tolist() == [0, 2, 4, 5]
    assert out.palette[rows].tolist() == [[0, 1], [1, 0], [0, 1], [1, 0]]
    positions, rows = out.events(1)  # above 0.0 on days 1, 2, 5; -0.1 on day 4 is not
    assert positions.tolist() == [0, 1, 4, 5]
    positions, rows = out.events(2)
    assert positions.tolist() == [0, 2, 5]
    assert out.palette[rows].tolist() == [[0, 1], [1, 0], [0, 1]]
    frame = out.frame(2)
    assert frame.index.equals(index) and frame.iloc[[1, 3, 4]].isna().all().all()


def test_yearly_state_summary_counts_sessions_and_switches():
    index = nyse_sessions("2021-12-28", "2022-01-05")  # 4 sessions in 2021, 3 in 2022
    state = pd.Series([False, True, True, False, True, True, False], index=index)
    table = rules.yearly_state_summary(state, "on")
    assert table.loc[2021].tolist() == [4, 2, 0.5, 2]
    assert table.loc[2022, "on_sessions"] == 2
    assert table.loc[2022, "switches"] == 2  # 2021-12-31 off -> 2022-01-03 on, then off on 01-05
