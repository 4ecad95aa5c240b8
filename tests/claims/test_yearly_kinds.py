"""early_window and relative_start on years whose window and outcome returns are planted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from engine.calendar import nyse_sessions
from engine.claim_checks import years as Y
from engine.claim_checks.kinds import early_window, relative_start
from engine.claim_checks.runner import evaluate
from tests.claims.builders import early_def, relative_def
from tests.helpers import market_data

# year: (return over the first 5 sessions, return over the rest of the year)
EARLY = {
    2015: (0.02, 0.10),
    2016: (-0.02, 0.01),
    2017: (0.02, -0.05),
    2018: (0.02, 0.05),
    2019: (-0.02, 0.10),
    2020: (-0.02, -0.10),
    2021: (0.02, 0.0),  # the data end on 2021-03-31: incomplete
}


def spread_evenly(daily: pd.Series, days: pd.DatetimeIndex, total: float) -> None:
    daily[days] = (1 + total) ** (1 / len(days)) - 1


def early_prices() -> pd.DataFrame:
    index = nyse_sessions("2014-12-01", "2021-03-31")
    daily = pd.Series(0.0, index=index)
    for year, (window, rest) in EARLY.items():
        sessions = nyse_sessions(f"{year}-01-01", f"{year}-12-31")
        spread_evenly(daily, sessions[:5], window)
        spread_evenly(daily, sessions[5:].intersection(index), rest)
    return pd.DataFrame({"BIG": 100.0 * (1 + daily).cumprod()})


def full(year: int) -> float:
    w, r = EARLY[year]
    return (1 + w) * (1 + r) - 1


def test_early_window_table_and_findings():
    data = market_data(early_prices())
    table = early_window.yearly_table(data, early_def())
    assert table.loc[2015, "window_ret"] == pytest.approx(0.02)
    assert str(table.loc[2015, "window_end"]) == "2015-01-08"  # the 5th session
    assert table.loc[:2020, "full_year_ret"].to_numpy() == pytest.approx(
        [full(y) for y in range(2015, 2021)]
    )
    assert table.loc[2016, "rest_of_year_ret"] == pytest.approx(0.01)
    assert table["complete"].tolist() == [True] * 6 + [False]
    result = evaluate(early_def(), data)
    up, down, means = result.findings
    # Full year up: 2015, 2018, 2019 (2016: 0.98 * 1.01 < 1). Window up: 2015, 2017, 2018.
    # Compared with the down-window years (2016, 2019, 2020: 1 of 3 up); all 6 years: 3 of 6.
    assert (up.hits, up.n, up.base_hits, up.base_n) == (2, 3, 1, 3)
    assert (up.hits + up.base_hits) / (up.n + up.base_n) == 0.5
    assert up.p_value == pytest.approx(
        sps.fisher_exact([[2, 1], [1, 2]], alternative="greater").pvalue
    )
    assert (down.hits, down.n) == (1, 3)
    up_years, down_years = [2015, 2017, 2018], [2016, 2019, 2020]
    assert means.value == pytest.approx(np.mean([full(y) for y in up_years]))
    assert means.base == pytest.approx(np.mean([full(y) for y in down_years]))
    assert up.verdict == "too few cases to tell"
    assert any("Incomplete" in n and "2021" in n for n in result.notes)


def test_early_window_rest_of_year_and_january():
    data = market_data(early_prices())
    rest = early_window.findings(data, early_def(outcome="rest_of_year"))
    assert (rest[0].hits, rest[0].n) == (2, 3)  # rest up after up windows: 2015, 2018
    # all 6 years: 4 of 6 rest-of-year up; the 3 down-window years give the rest
    assert (rest[0].hits + rest[0].base_hits) / (rest[0].n + rest[0].base_n) == pytest.approx(4 / 6)
    jan = early_window.yearly_table(data, early_def(window="january"))
    assert str(jan.loc[2015, "window_end"]) == "2015-01-30"
    prices = early_prices()["BIG"]
    assert jan.loc[2015, "window_ret"] == pytest.approx(
        prices["2015-01-30"] / prices["2014-12-31"] - 1
    )


# year: (SMALL January, BIG January, SMALL rest of year, BIG rest of year)
RELATIVE = {
    2015: (0.03, 0.01, 0.10, 0.05),
    2016: (-0.02, 0.01, 0.0, 0.05),
    2017: (0.02, 0.0, -0.05, 0.05),
    2018: (0.0, 0.02, 0.10, 0.0),
    2019: (0.04, 0.01, 0.20, 0.10),
    2020: (-0.01, -0.01, 0.0, 0.0),  # no lead: the spread must be above 0
    2021: (0.05, 0.0, 0.0, 0.0),  # the data end on 2021-03-31: incomplete
}


def relative_prices() -> pd.DataFrame:
    index = nyse_sessions("2014-12-01", "2021-03-31")
    small, big = pd.Series(0.0, index=index), pd.Series(0.0, index=index)
    for year, (sj, bj, sr, br) in RELATIVE.items():
        sessions = nyse_sessions(f"{year}-01-01", f"{year}-12-31")
        jan = sessions[sessions.month == 1]
        rest = sessions[sessions.month > 1].intersection(index)
        spread_evenly(small, jan, sj)
        spread_evenly(big, jan, bj)
        spread_evenly(small, rest, sr)
        spread_evenly(big, rest, br)
    daily = pd.DataFrame({"SMALL": small, "BIG": big})
    return 100.0 * (1 + daily).cumprod()


def full_spread(year: int) -> float:
    sj, bj, sr, br = RELATIVE[year]
    return ((1 + sj) * (1 + sr)) - ((1 + bj) * (1 + br))


def test_relative_start_signal_years_and_spreads():
    data = market_data(relative_prices())
    table = relative_start.yearly_table(data, relative_def())
    assert table["signal"].tolist() == [True, False, True, False, True, False, True]
    assert table.loc[2019, "spread_window_ret"] == pytest.approx(0.03)
    assert table.loc[2017, "spread_rest_of_year_ret"] == pytest.approx(-0.10)
    assert table.loc[2018, "spread_full_year_ret"] == pytest.approx(full_spread(2018))
    assert pd.isna(table.loc[2021, "spread_full_year_ret"])
    result = evaluate(
        relative_def(
            as_of="2021-02-01",
            claimed={"window_spread": 0.04, "tolerance": 0.01, "leader_mean": 0.18},
        ),
        data,
    )
    fact, means, share = result.findings
    assert fact.value == pytest.approx(0.05) and fact.verdict == "reproduced"
    assert fact.base == 0.0 and fact.base_n == 6  # no other year had a spread of 5 points
    signal, other = [2015, 2017, 2019], [2016, 2018, 2020]
    assert means.value == pytest.approx(np.mean([full_spread(y) for y in signal]))
    assert means.base == pytest.approx(np.mean([full_spread(y) for y in other]))
    assert (share.hits, share.n) == (2, 3)  # SMALL beat BIG over the full year in 2015, 2019
    assert (share.base_hits, share.base_n) == (1, 3)  # ... and, of the other years, in 2018
    assert (share.hits + share.base_hits) / (share.n + share.base_n) == pytest.approx(3 / 6)


def test_relative_start_fact_outside_tolerance_and_session_window():
    data = market_data(relative_prices())
    far = relative_start.findings(
        data, relative_def(as_of="2019-06-01", claimed={"window_spread": 0.06, "tolerance": 0.01})
    )
    assert far[0].value == pytest.approx(0.03)
    result = evaluate(
        relative_def(as_of="2019-06-01", claimed={"window_spread": 0.06, "tolerance": 0.01}), data
    )
    assert result.findings[0].verdict == "not reproduced"
    ten = relative_start.yearly_table(data, relative_def(window=10))
    small, big = relative_prices()["SMALL"], relative_prices()["BIG"]
    day10 = nyse_sessions("2016-01-01", "2016-12-31")[9]
    expected = (small[day10] / small["2015-12-31"] - 1) - (big[day10] / big["2015-12-31"] - 1)
    assert ten.loc[2016, "spread_window_ret"] == pytest.approx(expected)


def test_year_completeness_rules():
    index = nyse_sessions("2019-12-02", "2021-12-31")
    prices = pd.Series(100.0, index=index)
    slices = {ys.year: ys for ys in Y.year_slices(index)}
    full = Y.Prices(prices)
    assert full.complete(slices[2020]) and full.complete(slices[2021])  # 2021-12-31 is the last
    cut = Y.Prices(prices.where(prices.index <= "2021-12-30"))
    assert cut.complete(slices[2020]) and not cut.complete(slices[2021])
    assert Y.window_end(slices[2020], "january") == index.get_loc(pd.Timestamp("2020-01-31"))
    assert Y.window_end(slices[2020], 5) == index.get_loc(pd.Timestamp("2020-01-08"))
