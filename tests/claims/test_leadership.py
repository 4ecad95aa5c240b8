"""year_start_leadership on synthetic years whose leader and outcome are planted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.claim_checks.kinds import leadership
from engine.claim_checks.runner import evaluate
from tests.claims.builders import leadership_def
from tests.helpers import market_data

TICKERS = ["BIG", "TECH", "SMALL", "DOW"]
FIRST_TEN = {"BIG": 0.01, "TECH": 0.02, "SMALL": 0.0, "DOW": 0.005}
# year: (leader over days 1-10, BIG's rest-of-year return, SMALL's rest-of-year return)
PLAN = {
    2015: ("SMALL", 0.10, 0.0),  # BIG up; SMALL 5% < BIG 11.1% at year end
    2016: ("TECH", -0.20, 0.0),
    2017: ("SMALL", -0.20, 0.0),  # BIG down; SMALL (5%) still best
    2018: ("SMALL", 0.10, 0.20),  # BIG up; SMALL 26% best
    2019: ("BIG", 0.10, 0.0),
    2020: ("SMALL", 0.10, 0.0),  # BIG up; SMALL not best
    2021: ("SMALL", 0.10, 0.0),  # the data end on 2021-06-30: incomplete
}


def planted() -> pd.DataFrame:
    index = nyse_sessions("2014-12-01", "2021-06-30")
    daily = pd.DataFrame(0.0, index=index, columns=TICKERS)
    for year, (leader, big_rest, small_rest) in PLAN.items():
        sessions = index[index.year == year]
        first, rest = sessions[:10], sessions[10:]
        for ticker, total in FIRST_TEN.items():
            daily.loc[first, ticker] = (1 + total) ** (1 / 10) - 1
        daily.loc[first, leader] = 1.05 ** (1 / 10) - 1
        full_year = len(nyse_sessions(f"{year}-01-01", f"{year}-12-31")) - 10
        daily.loc[rest, "BIG"] = (1 + big_rest) ** (1 / full_year) - 1
        daily.loc[rest, "SMALL"] = (1 + small_rest) ** (1 / full_year) - 1
    return 100.0 * (1.0 + daily).cumprod()


@pytest.fixture(scope="module")
def table():
    return leadership.yearly_table(market_data(planted()), leadership_def())


def test_leaders_outcomes_and_completeness(table):
    assert table.index.tolist() == list(range(2015, 2022))
    assert table["leader"].tolist() == [p[0] for p in PLAN.values()]
    assert table["signal"].tolist() == [True, False, True, True, False, True, True]
    assert table.loc[2015, "SMALL_ret"] == pytest.approx(0.05)
    assert table.loc[2015, "BIG_ret"] == pytest.approx(0.01)
    assert str(table.loc[2015, "decision_date"]) == "2015-01-15"  # the 10th session
    assert str(table.loc[2015, "anchor_date"]) == "2014-12-31"
    assert table["complete"].tolist() == [True] * 6 + [False]
    assert table.loc[:2020, "year_up"].tolist() == [True, False, False, True, True, True]
    assert table.loc[2017, "BIG_year_ret"] == pytest.approx(1.01 * 0.8 - 1)
    assert table.loc[:2020, "keeps_no1"].tolist() == [False, False, True, True, False, False]
    assert pd.isna(table.loc[2021, "year_up"]) and pd.isna(table.loc[2021, "keeps_no1"])


def test_findings_count_complete_signal_years_against_all_years():
    defn = leadership_def(claimed={"recent_hits": 2, "recent_n": 3, "keeps_no1": 0.5})
    result = evaluate(defn, market_data(planted()))
    recent, full, keeps = result.findings
    # Last 3 complete signal years: 2017 (down), 2018, 2020 (up).
    assert (recent.hits, recent.n) == (2, 3)
    # Compared with the years SMALL did not lead: over the recent span (2017-2020) only 2019
    # (up); over the whole history 2016 (down) and 2019 (up). All years together: 4 of 6 up.
    assert (recent.base_hits, recent.base_n) == (1, 1) and recent.base == pytest.approx(1.0)
    assert (full.hits, full.n) == (3, 4)
    assert (full.base_hits, full.base_n) == (1, 2)
    assert (full.hits + full.base_hits) / (full.n + full.base_n) == pytest.approx(4 / 6)
    assert "yes in 2015, 2018, 2020; no in 2017" in full.detail
    assert (keeps.hits, keeps.n) == (2, 4)
    assert keeps.base == pytest.approx(2 / 6)
    assert recent.verdict == "too few cases to tell"  # n = 3 < 10
    assert any("2021" in note and "Incomplete" in note for note in result.notes)


def test_recent_window_in_calendar_years_and_rest_of_year_outcome():
    data = market_data(planted())
    found = leadership.findings(data, leadership_def(recent_mode="calendar_years"))
    assert (found[0].hits, found[0].n) == (2, 2)  # 2018-2020: signal years 2018 and 2020
    rest = leadership.findings(data, leadership_def(outcome="rest_up"))
    # BIG's rest of year is negative only in 2016 and 2017.
    assert (rest[1].hits, rest[1].n) == (3, 4)
    assert (rest[1].base_hits, rest[1].base_n) == (1, 2)  # 2016 down, 2019 up
    assert (rest[1].hits + rest[1].base_hits) / (rest[1].n + rest[1].base_n) == pytest.approx(4 / 6)


def test_first_open_anchor_flags_an_open_equal_to_the_prior_close():
    prices = planted()
    opens = prices.copy()
    first_2015 = prices.index[prices.index.year == 2015][0]
    opens.loc[first_2015, "SMALL"] = prices.loc["2014-12-31", "SMALL"]
    table = leadership.yearly_table(
        market_data(prices, opens=opens), leadership_def(anchor="first_open")
    )
    assert bool(table.loc[2015, "open_is_prior_close"])
    assert not bool(table.loc[2017, "open_is_prior_close"])  # every member moved on day 1
    # With the open anchor, SMALL's 2015 return starts at the prior close: still 5%.
    assert table.loc[2015, "SMALL_ret"] == pytest.approx(0.05)
    day1_close = prices.loc[first_2015, "BIG"]
    assert table.loc[2015, "BIG_ret"] == pytest.approx(
        prices.loc["2015-01-15", "BIG"] / day1_close - 1
    )


def test_a_member_without_prices_is_left_out_of_the_comparison():
    prices = planted()
    prices.loc[:"2016-12-31", "DOW"] = float("nan")
    table = leadership.yearly_table(market_data(prices), leadership_def())
    assert table.loc[2015, "members_compared"] == 3
    assert table.loc[2017, "members_compared"] == 3  # no DOW price at the 2016 year-end anchor
    assert table.loc[2018, "members_compared"] == 4
    assert table.loc[2015, "leader"] == "SMALL"


@pytest.mark.parametrize("cut", ["2016-03-15", "2018-01-16", "2019-06-28"])
def test_no_look_ahead_in_the_leadership_decision(cut):
    """Prices after a date never change the decisions (leader, signal) made by that date."""
    prices = planted()
    after = prices.index > pd.Timestamp(cut)
    noise = np.random.default_rng(0).uniform(0.9, 1.1, size=(int(after.sum()), len(TICKERS)))
    changed = prices.copy()
    changed.loc[after] = prices.loc[after].to_numpy() * noise
    cols = ["decision_date", "leader", "signal", "SMALL_ret", "BIG_ret"]
    a = leadership.yearly_table(market_data(prices), leadership_def())
    b = leadership.yearly_table(market_data(changed), leadership_def())
    decided = pd.to_datetime(a["decision_date"]) <= pd.Timestamp(cut)
    pd.testing.assert_frame_equal(a.loc[decided, cols], b.loc[decided, cols])
    # The perturbation is real: later decisions see different returns.
    assert not np.allclose(a.loc[~decided, "SMALL_ret"], b.loc[~decided, "SMALL_ret"])


def test_a_tie_is_no_leadership_for_the_claim_and_the_strategy():
    """TECH's prices equal SMALL's through 2018: their returns to day 10 tie exactly, and both
    the claim and the first10days strategy (one rule, engine.decisions.leadership) name no
    leader."""
    from strategies.first10days import Params, yearly_leadership

    prices = planted()
    prices.loc["2017-12-29":"2018-12-31", "TECH"] = prices.loc["2017-12-29":"2018-12-31", "SMALL"]
    data = market_data(prices)
    claim = leadership.yearly_table(data, leadership_def())
    assert pd.isna(claim.loc[2018, "leader"]) and not claim.loc[2018, "signal"]
    assert claim.loc[2018, "note"] == "tie for the highest return (TECH, SMALL): no leader"
    rule = Params(
        universe=TICKERS, small_cap="SMALL", market="BIG", lead={"SMALL": 1.0}, base={"BIG": 1.0}
    )
    strategy = yearly_leadership(data, rule)
    assert pd.isna(strategy.loc[2018, "leader"]) and strategy.loc[2018, "signal"] == "base"
    assert strategy.loc[2018, "note"] == claim.loc[2018, "note"]
    assert strategy.loc[2018, "small_cap_rank"] == 1  # tied members share the first rank
    # Every other year, the two agree on whether SMALL led.
    both = claim.index.intersection(strategy.index)
    assert (
        claim.loc[both, "signal"].astype(bool) == (strategy.loc[both, "signal"] == "lead")
    ).all()
