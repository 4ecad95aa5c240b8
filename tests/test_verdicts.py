"""Verdicts of a single run: active return, calendar years beaten, active spells.

Hand-computed cases on tiny series, plus one default-config run on the real mirror.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from engine.calendar import nyse_sessions
from engine.inference.resampling import circular_block_sums
from engine.inference.verdicts import (
    active_return,
    active_spells,
    complete_years,
    rng_for,
    spell_record,
    year_record,
)
from tests.helpers import run_on_mirror


def _series(values, start="2024-01-02") -> pd.Series:
    return pd.Series(values, index=nyse_sessions(start, "2024-12-31")[: len(values)], dtype=float)


# --------------------------------------------------------------------------- active return


def test_circular_block_sums_by_hand():
    # blocks of 2 wrapping around: 1+2, 2+3, 3+4, 4+1
    assert circular_block_sums(np.array([1.0, 2, 3, 4]), 2).tolist() == [3, 5, 7, 5]


def test_active_return_mean_and_cagr_by_hand():
    s = _series([0.003, -0.001, 0.002, 0.0])
    b = _series([0.0, 0.0, 0.0, 0.0])
    a = active_return(s, b, "B", rng_for("B"), block_length=2)
    assert a.mean_active == pytest.approx(0.001 * 252)  # mean daily difference 0.001
    growth = 1.003 * 0.999 * 1.002
    assert a.strategy_cagr == pytest.approx(growth ** (252 / 4) - 1)
    assert a.benchmark_cagr == 0.0
    assert a.cagr_difference == pytest.approx(growth ** (252 / 4) - 1)
    assert a.sessions == 4 and a.block_length == 2
    assert a.mean_low <= a.mean_active <= a.mean_high


def test_one_block_of_the_whole_series_only_rotates_it():
    # A block as long as the series: every replicate is a rotation, with the same mean and
    # the same compounded growth, so the interval collapses onto the estimate.
    rng = np.random.default_rng(3)
    s, b = _series(rng.normal(0.001, 0.01, 50)), _series(rng.normal(0.0, 0.01, 50))
    a = active_return(s, b, "B", rng_for("B"), block_length=50)
    assert a.mean_low == pytest.approx(a.mean_active) == pytest.approx(a.mean_high)
    assert a.cagr_low == pytest.approx(a.cagr_difference, abs=1e-12)
    assert a.cagr_high == pytest.approx(a.cagr_difference, abs=1e-12)


def test_constant_edge_is_significant_and_zero_edge_is_not():
    rng = np.random.default_rng(1)
    b = _series(rng.normal(0.0, 0.01, 200))
    edge = active_return(b + 0.0005, b, "B", rng_for("B"), n_resamples=999)
    # every replicate of a constant difference equals it: none is as far from 0 once centred
    assert edge.mean_active == pytest.approx(0.0005 * 252)
    assert edge.mean_low == pytest.approx(0.126) == pytest.approx(edge.mean_high)
    assert edge.mean_p == pytest.approx(1 / 1000)
    same = active_return(b, b, "B", rng_for("B"), n_resamples=999)
    assert same.mean_active == 0.0 and same.mean_p == 1.0 and same.cagr_p == 1.0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 30))
def test_swapping_strategy_and_benchmark_mirrors_the_interval(seed, block):
    """Same draws, opposite differences: every replicate of the mean changes sign, so the
    interval mirrors and the p-value stays."""
    rng = np.random.default_rng(seed)
    s, b = _series(rng.normal(0.0005, 0.01, 120)), _series(rng.normal(0.0, 0.012, 120))
    ab = active_return(s, b, "B", np.random.default_rng(seed), block, n_resamples=300)
    ba = active_return(b, s, "B", np.random.default_rng(seed), block, n_resamples=300)
    assert ba.mean_active == pytest.approx(-ab.mean_active)
    assert (ba.mean_low, ba.mean_high) == pytest.approx((-ab.mean_high, -ab.mean_low))
    assert ba.mean_p == pytest.approx(ab.mean_p)
    assert ba.cagr_difference == pytest.approx(-ab.cagr_difference)


def test_active_return_refuses_gaps():
    s = _series([0.01, np.nan, 0.0])
    with pytest.raises(ValueError, match="gaps"):
        active_return(s, s * 0, "B", rng_for("B"))


# --------------------------------------------------------------------------- calendar years


def _equity_with_years(index: pd.DatetimeIndex, year_returns: dict[int, float]) -> pd.Series:
    """Flat within each year, jumping by the year's return on its last session."""
    values, level = [], 100.0
    last_of = {y: index[index.year == y][-1] for y in set(index.year)}
    for day in index:
        if day == last_of[day.year]:
            level *= 1.0 + year_returns.get(day.year, 0.0)
        values.append(level)
    return pd.Series(values, index=index)


def test_complete_years_name_the_partial_ones():
    assert complete_years(nyse_sessions("2019-06-03", "2023-06-30")) == (
        [2020, 2021, 2022],
        [2019, 2023],
    )
    # starting on the prior year's last session makes the next year complete
    assert complete_years(nyse_sessions("2019-12-31", "2021-12-31")) == ([2020, 2021], [2019])


def test_years_beaten_by_hand_with_a_tie():
    index = nyse_sessions("2019-06-03", "2023-06-30")
    strategy = _equity_with_years(index, {2019: 0.5, 2020: 0.10, 2021: -0.05, 2022: 0.03})
    bench = _equity_with_years(index, {2019: 0.0, 2020: 0.05, 2021: 0.00, 2022: 0.0305})
    y = year_record(strategy, bench, "B")
    assert (y.wins, y.losses, y.ties, y.years) == (1, 1, 1, 3)  # 2022: 0.05 point apart
    assert y.partial == (2019, 2023)  # 2019's +50% is never counted
    assert y.p_value == 1.0
    assert y.table.loc[2020, "difference"] == pytest.approx(0.05)


def test_nine_of_ten_years_binomial():
    index = nyse_sessions("2009-12-31", "2019-12-31")
    years = range(2010, 2020)
    strategy = _equity_with_years(index, {y: 0.10 for y in years})
    bench = _equity_with_years(index, {y: (0.20 if y == 2015 else 0.05) for y in years})
    y = year_record(strategy, bench, "B")
    assert (y.wins, y.losses, y.ties) == (9, 1, 0)
    assert y.p_value == pytest.approx(22 / 1024)  # 2 x P(X >= 9 | n=10, 1/2) = 2 x 11/1024


# --------------------------------------------------------------------------- active spells


def test_active_spells_of_a_two_state_rule_by_hand():
    index = nyse_sessions("2024-01-02", "2024-01-31")[:12]
    weights = pd.DataFrame(np.nan, index=index, columns=["IWM", "SPY"])
    base, active = {"SPY": 1.0}, {"IWM": 1.0}
    weights.iloc[0] = [0.0, 1.0]
    weights.iloc[2] = [1.0, 0.0]  # decided after close 2, filled at close 3
    weights.iloc[5] = [0.0, 1.0]  # leave: filled at close 6
    weights.iloc[8] = [1.0, 0.0]  # filled at close 9, still held at the end
    iwm = 100 * np.array([1, 1, 1, 1.0, 1.1, 1.2, 1.05, 1, 1, 1.0, 0.9, 0.95])
    spy = 100 * np.array([1, 1, 1, 1.0, 1.0, 1.0, 1.02, 1, 1, 1.0, 1.0, 1.01])
    prices = pd.DataFrame({"IWM": iwm, "SPY": spy}, index=index)
    spells = active_spells(weights, prices, active, base, lag=1)
    assert len(spells) == 2
    first, second = spells.iloc[0], spells.iloc[1]
    assert (first["decided"], first["start"], first["end"]) == (
        index[2].date(),
        index[3].date(),
        index[6].date(),
    )
    assert first["sessions"] == 3 and not first["running"]
    assert first["active_return"] == pytest.approx(0.05)
    assert first["base_return"] == pytest.approx(0.02)
    assert bool(first["beat"])
    assert second["start"] == index[9].date() and second["end"] == index[11].date()
    assert bool(second["running"]) and second["difference"] == pytest.approx(-0.05 - 0.01)
    record = spell_record(spells)
    assert (record.hits, record.n) == (1, 1)  # the running spell is not counted
    ci = sps.binomtest(1, 1).proportion_ci(method="exact")
    assert (record.low, record.high) == pytest.approx((ci.low, ci.high))
    # with a lag of 2 the first spell is bought at close 4 and sold at close 7
    lagged = active_spells(weights, prices, active, base, lag=2).iloc[0]
    assert (lagged["start"], lagged["end"]) == (index[4].date(), index[7].date())
    assert lagged["active_return"] == pytest.approx(1.0 / 1.1 - 1)


def test_no_spell_when_the_active_allocation_is_never_wanted():
    index = nyse_sessions("2024-01-02", "2024-01-31")[:5]
    weights = pd.DataFrame({"SPY": [1.0, np.nan, np.nan, np.nan, np.nan]}, index=index)
    prices = pd.DataFrame({"SPY": 100.0, "IWM": 50.0}, index=index)
    spells = active_spells(weights, prices, {"IWM": 1.0}, {"SPY": 1.0}, lag=1)
    assert spells.empty
    record = spell_record(spells)
    assert record.n == 0 and math.isnan(record.low)


# --------------------------------------------------------------------------- real data


def test_first10days_verdicts_on_the_mirror(tmp_path):
    from strategies.first10days import STRATEGY

    two_state = dataclasses.replace(STRATEGY, active_and_base=lambda p: (p.lead, p.base))
    inp = run_on_mirror(two_state, tmp_path)
    tables = inp.verdict_tables
    active = tables["Active return against each benchmark"]
    assert "SPY buy & hold" in active.index
    spy = active.loc["SPY buy & hold"]
    stats = inp.stats
    assert spy["strategy CAGR"] == pytest.approx(stats.loc["cagr", "first10days"], rel=1e-9)
    assert spy["benchmark CAGR"] == pytest.approx(stats.loc["cagr", "SPY buy & hold"], rel=1e-9)
    assert spy["active return low"] < spy["active return a year"] < spy["active return high"]
    years = tables["Calendar years beaten"].loc["SPY buy & hold"]
    assert years["complete years"] == 25  # 2001..2025; 2000 and 2026 partial
    spells = tables["Active spells: active vs base allocation, bought and held"]
    # one spell per lead year, from the 10th session's fill to the year's last session
    per_year = inp.tables["per_year"]
    lead_years = per_year.index[(per_year["signal"] == "lead") & (per_year.index >= 2001)]
    assert len(spells) == len(lead_years)
    assert any("finished spells" in line for line in inp.verdict_lines)
    assert "How each statistic is defined" in tables


def test_years_with_a_bet_leave_out_the_session_after_a_year_end_switch():
    """Held active in 2011 from Jan 18 to year end, sold on 2012's first session (one session
    of 2012: no bet); held active for two weeks of 2013. Years with a bet: 2011 and 2013."""
    from engine.inference.verdicts import MIN_BET_SESSIONS, bet_years

    index = nyse_sessions("2010-12-31", "2014-12-31")
    spells = pd.DataFrame(
        {
            "start": [pd.Timestamp("2011-01-18").date(), pd.Timestamp("2013-03-01").date()],
            "end": [pd.Timestamp("2012-01-03").date(), pd.Timestamp("2013-03-15").date()],
        }
    )
    assert MIN_BET_SESSIONS == 5
    assert bet_years(spells, index) == {2011, 2013}
    years = range(2011, 2015)
    strategy = _equity_with_years(index, {2011: 0.10, 2012: 0.02, 2013: 0.05, 2014: 0.01})
    bench = _equity_with_years(index, {2011: 0.05, 2012: 0.01, 2013: 0.08, 2014: 0.005})
    y = year_record(strategy, bench, "B", with_bet=bet_years(spells, index))
    assert (y.wins, y.losses, y.ties) == (3, 1, 0)  # all years: 2011, 2012, 2014 beat
    assert (y.bet.wins, y.bet.losses, y.bet.ties) == (1, 1, 0)  # 2011 beat, 2013 lagged
    assert y.bet.p_value == 1.0
    assert y.table["bet"].tolist() == [y in (2011, 2013) for y in years]
