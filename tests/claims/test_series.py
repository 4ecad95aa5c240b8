"""Runs, episodes, crosses and forward returns on tiny hand-made series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.claim_checks import series as S
from engine.decisions.indicators import run_length

MASK = np.array([0, 1, 1, 0, 1, 1, 1, 1, 0, 1], dtype=bool)


def test_runs_and_run_lengths():
    assert S.runs(MASK) == [(1, 2), (4, 7), (9, 9)]
    assert run_length(MASK).tolist() == [0, 1, 2, 0, 1, 2, 3, 4, 0, 1]
    assert S.runs(np.zeros(3, dtype=bool)) == []


def test_episode_events_mark_the_session_a_run_reaches_k():
    assert np.flatnonzero(S.episode_events(MASK, 2)).tolist() == [2, 5]  # once per run
    assert np.flatnonzero(S.episode_events(MASK, 4)).tolist() == [7]
    assert not S.episode_events(MASK, 5).any()


def test_first_crosses_need_m_sessions_below():
    above = np.array([0, 0, 0, 1, 1, 0, 1, 0, 0, 1], dtype=bool)
    defined = np.ones(10, dtype=bool)
    assert np.flatnonzero(S.first_crosses(above, defined, 1)).tolist() == [3, 6, 9]
    assert np.flatnonzero(S.first_crosses(above, defined, 2)).tolist() == [3, 9]
    assert np.flatnonzero(S.first_crosses(above, defined, 3)).tolist() == [3]
    # Sessions without an indicator do not count as "below".
    defined[1] = False
    assert np.flatnonzero(S.first_crosses(above, defined, 2)).tolist() == [9]


def test_forward_returns_and_lows():
    prices = pd.Series([100.0, 110.0, 99.0, 121.0, np.nan])
    assert S.forward_return(prices, 2).tolist()[:2] == pytest.approx([-0.01, 0.1])
    assert np.isnan(S.forward_return(prices, 2).iloc[2])  # the window reaches a missing price
    lows = S.forward_low_return(prices, 2)
    assert lows.iloc[0] == pytest.approx(-0.01)  # min(110, 99) / 100 - 1
    assert lows.iloc[1] == pytest.approx(99 / 110 - 1)
    assert np.isnan(lows.iloc[2]) and np.isnan(lows.iloc[3])
    assert S.daily_change(prices).iloc[1] == pytest.approx(0.1)
