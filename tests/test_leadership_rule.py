"""engine.decisions.leadership: the one leadership rule of the first10days claim and strategy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.decisions.leadership import (
    NO_LEADER,
    leadership,
    year_start_positions,
    year_start_returns,
)

NAN = np.nan


def test_ties_name_no_leader_and_share_a_rank():
    returns = np.array(
        [
            [0.05, 0.01, 0.05, 0.00],  # small cap (col 2) tied with col 0 for first: no leader
            [0.01, 0.02, 0.05, NAN],  # small cap strictly first among the three compared
            [0.03, 0.03, 0.01, 0.00],  # two others tied for first: no leader, small cap third
            [0.01, 0.02, NAN, 0.00],  # small cap without a return: undecided
            [NAN, NAN, 0.03, NAN],  # small cap alone: fewer than min_members
            [0.01, 0.04, 0.02, 0.00],  # another member leads
        ]
    )
    rule = leadership(returns, small=2, min_members=2)
    assert rule.leader.tolist() == [NO_LEADER, 2, NO_LEADER, NO_LEADER, NO_LEADER, 1]
    assert rule.small_leads.tolist() == [False, True, False, False, False, False]
    assert rule.decided.tolist() == [True, True, True, False, False, True]
    assert rule.tied.tolist() == [True, False, True, False, False, False]
    assert rule.small_rank.tolist() == [1, 1, 3, 0, 1, 2]
    assert rule.compared.sum(axis=1).tolist() == [4, 3, 4, 3, 1, 4]


def test_min_members_counts_the_small_cap_itself():
    rule = leadership(np.array([[NAN, 0.01, 0.03]]), small=2, min_members=3)
    assert not rule.decided[0] and rule.leader[0] == NO_LEADER
    assert leadership(np.array([[NAN, 0.01, 0.03]]), small=2, min_members=2).small_leads[0]


def test_positions_and_returns_per_year():
    index = nyse_sessions("2018-12-24", "2019-01-31")  # 2018: 5 sessions, 2019: 21
    ys = year_start_positions(index, lead_days=10, anchor="prior_close")
    assert ys.years.tolist() == [2018, 2019]
    assert ys.anchor.tolist() == [-1, 4]  # no session before the data; 2018-12-31
    assert ys.decision.tolist() == [-1, 14]  # 2018 never reaches 10 sessions; 2019-01-15
    assert index[14] == pd.Timestamp("2019-01-15")
    first = year_start_positions(index, lead_days=1, anchor="first_close")
    assert first.anchor.tolist() == [0, 5] and first.decision.tolist() == [0, 5]
    prices = np.arange(1.0, len(index) + 1.0)[:, None] * np.array([[1.0, 2.0]])
    prices[4, 1] = NAN  # the second member has no prior-year close
    rets = year_start_returns(prices, prices, ys)
    assert np.isnan(rets[0]).all()
    assert rets[1, 0] == 15.0 / 5.0 - 1.0 and np.isnan(rets[1, 1])
