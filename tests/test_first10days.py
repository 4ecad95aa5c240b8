"""first10days on synthetic prices where the leader of each year is planted by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import last_session_of_year, nyse_sessions
from strategies import rules
from strategies.first10days import ANCHORS, STRATEGY, Params, yearly_leadership
from tests.helpers import market_data, random_walk

TICKERS = ["SPY", "QQQ", "IWM", "DIA"]
OTHERS = {"SPY": 0.01, "QQQ": 0.02, "IWM": 0.0, "DIA": 0.005}


def _planted(leaders: dict[int, str], lead_days: int = 10) -> pd.DataFrame:
    """Flat prices except over days 1..N of each year: the planted leader gains 5%, the others
    their own distinct smaller return (SPY 1%, QQQ 2%, IWM 0%, DIA 0.5%)."""
    index = nyse_sessions("2018-12-01", "2021-12-31")
    prices = pd.DataFrame(100.0, index=index, columns=TICKERS)
    daily = pd.DataFrame(0.0, index=index, columns=TICKERS)
    for year, leader in leaders.items():
        days = index[index.year == year][:lead_days]
        for ticker, total in OTHERS.items():
            daily.loc[days, ticker] = (1 + total) ** (1 / lead_days) - 1
        daily.loc[days, leader] = 1.05 ** (1 / lead_days) - 1
    return prices * (1 + daily).cumprod()


def test_leader_and_returns_per_year_are_found():
    prices = _planted({2019: "IWM", 2020: "QQQ", 2021: "IWM"})
    table = yearly_leadership(market_data(prices), Params())
    assert table.loc[[2019, 2020, 2021], "leader"].tolist() == ["IWM", "QQQ", "IWM"]
    assert table.loc[[2019, 2020, 2021], "signal"].tolist() == ["lead", "base", "lead"]
    assert table.loc[2019, "IWM_ret"] == pytest.approx(0.05)
    assert table.loc[2019, "SPY_ret"] == pytest.approx(0.01)
    assert table.loc[2020, "small_cap_rank"] == 4
    assert table.loc[2020, "DIA_ret"] == pytest.approx(0.005)
    assert table.loc[2019, "decision_date"] == pd.Timestamp("2019-01-15").date()  # 10th session
    assert table.loc[2019, "anchor_date"] == pd.Timestamp("2018-12-31").date()
    assert bool(table.loc[2021, "year_complete"])


def test_weights_switch_after_day_n_and_back_after_year_end():
    prices = _planted({2019: "IWM", 2020: "QQQ", 2021: "IWM"})
    w = STRATEGY.weights(market_data(prices), Params())
    rows = w.dropna(how="all")
    dates = rows.index.strftime("%Y-%m-%d").tolist()
    assert dates == ["2018-12-03", "2019-01-15", "2019-12-31", "2021-01-15", "2021-12-31"]
    assert rows["IWM"].tolist() == [0.0, 1.0, 0.0, 1.0, 0.0]
    assert rows["SPY"].tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


def test_integer_horizon_holds_lead_for_that_many_sessions():
    prices = _planted({2019: "IWM"})
    w = STRATEGY.weights(market_data(prices), Params(horizon=5))
    rows = w.dropna(how="all")
    sessions_2019 = prices.index[prices.index.year == 2019]
    assert rows.index[1] == sessions_2019[9]
    assert rows.index[2] == sessions_2019[14]  # base wanted after 5 sessions of lead
    assert rows.loc[sessions_2019[14], "SPY"] == 1.0


def test_anchor_first_close_ignores_the_first_session():
    """IWM jumps only on day 1: it leads from the prior close, not from day 1's close."""
    index = nyse_sessions("2019-12-01", "2020-03-31")
    prices = pd.DataFrame(100.0, index=index, columns=TICKERS)
    day1 = index[index.year == 2020][0]
    prices.loc[day1:, "IWM"] = 110.0
    prices.loc[index[index.year == 2020][5] :, "QQQ"] = 102.0
    data = market_data(prices)
    assert yearly_leadership(data, Params()).loc[2020, "leader"] == "IWM"
    assert yearly_leadership(data, Params(anchor="first_close")).loc[2020, "leader"] == "QQQ"


def test_anchor_first_open_uses_the_adjusted_open():
    index = nyse_sessions("2019-12-01", "2020-03-31")
    closes = pd.DataFrame(100.0, index=index, columns=TICKERS)
    opens = closes.copy()
    day1 = index[index.year == 2020][0]
    opens.loc[day1, "SPY"] = 90.0  # SPY opened low on day 1, so from the open it gained 11%
    closes.loc[index[index.year == 2020][3] :, "IWM"] = 105.0
    table = yearly_leadership(market_data(closes, opens), Params(anchor="first_open"))
    assert table.loc[2020, "leader"] == "SPY"
    assert table.loc[2020, "SPY_ret"] == pytest.approx(100 / 90 - 1)


def test_small_cap_without_data_makes_no_decision():
    prices = _planted({2019: "IWM", 2020: "IWM", 2021: "IWM"})
    prices.loc[:"2019-12-31", "IWM"] = np.nan  # IWM starts trading in 2020
    table = yearly_leadership(market_data(prices), Params())
    assert table.index.tolist() == [2020, 2021]  # years before IWM's first price are left out
    assert pd.isna(table.loc[2020, "leader"])  # no prior-year close for IWM
    assert "IWM" in table.loc[2020, "note"]
    assert table.loc[2020, "signal"] == "base"
    assert table.loc[2021, "signal"] == "lead"
    assert table.loc[2021, "members_compared"] == 4


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"small_cap": "IJR"}, "not in universe"),
        ({"universe": ["SPY", "SPY", "IWM"]}, "duplicates"),
        ({"lead": {"IWM": 1.5}}, r"\[0, 1\]"),
        ({"base": {"SPY": 0.7, "QQQ": 0.7}}, "at most 1"),
        ({"horizon": 0}, "greater than or equal to 1"),
        ({"anchor": "first_day"}, "prior_close"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


# --------------------------------------------------------------------------- batch form


def _dates(frame: pd.DataFrame) -> list[str]:
    return frame.dropna(how="all").index.strftime("%Y-%m-%d").tolist()


def test_batch_decisions_of_four_combinations_by_hand():
    """IWM leads 2019 and 2021; each combination's rows are worked out on the calendar."""
    data = market_data(_planted({2019: "IWM", 2020: "QQQ", 2021: "IWM"}))
    table = pd.DataFrame(
        {
            "horizon": ["year_end", 5, "year_end", "year_end"],
            "lead": [{"IWM": 1.0}, {"IWM": 1.0}, {"IWM": 0.5, "SPY": 0.5}, {"SPY": 1.0}],
        }
    )
    batch = STRATEGY.decide(data, Params(), table)
    assert batch.n_combos == 4
    assert batch.columns == ("SPY", "IWM")
    year_end = ["2018-12-03", "2019-01-15", "2019-12-31", "2021-01-15", "2021-12-31"]
    assert _dates(batch.frame(0)) == year_end
    # 5 sessions of lead: the 15th session of 2019 is Jan 23 (MLK day Jan 21), of 2021 Jan 25.
    assert _dates(batch.frame(1)) == [
        "2018-12-03",
        "2019-01-15",
        "2019-01-23",
        "2021-01-15",
        "2021-01-25",
    ]
    half = batch.frame(2).dropna(how="all")
    assert _dates(half) == year_end
    assert half["IWM"].tolist() == [0.0, 0.5, 0.0, 0.5, 0.0]
    assert half["SPY"].tolist() == [1.0, 0.5, 1.0, 0.5, 1.0]
    # Lead equal to base: one row, never a switch.
    assert _dates(batch.frame(3)) == ["2018-12-03"]
    assert batch.frame(3).loc["2018-12-03"].tolist() == [1.0, 0.0]


def _reference_weights(data, params: Params) -> pd.DataFrame:
    """An independent plain loop over years: returns from the anchor to day N, strict leader,
    lead from day N to the session before the year's last (or for `horizon` sessions)."""
    index = data.index
    field = data.field(params.price_field)
    opens = data.field("adj_open" if params.price_field == "adj_close" else "open")
    wants = pd.Series(False, index=index)
    for year in sorted(set(index.year)):
        sessions = index[index.year == year]
        before = index[index < sessions[0]]
        if len(sessions) < params.lead_days:
            continue
        day_n = sessions[params.lead_days - 1]
        if params.anchor == "prior_close":
            if not len(before):
                continue
            start = field.loc[before[-1], params.universe]
        elif params.anchor == "first_close":
            start = field.loc[sessions[0], params.universe]
        else:
            start = opens.loc[sessions[0], params.universe]
        rets = (field.loc[day_n, params.universe] / start - 1.0).dropna()
        small = params.small_cap
        if small not in rets or len(rets) < 2:
            continue
        if not (rets.drop(small) < rets[small]).all():
            continue
        complete = sessions[-1] == last_session_of_year(int(year))
        cap = len(sessions) - 2 if complete else len(sessions) - 1
        n = params.lead_days - 1
        last = cap if params.horizon == "year_end" else min(n + params.horizon - 1, cap)
        wants[sessions[n : last + 1]] = True
    columns = rules.weight_columns(params.base, params.lead)
    return rules.flag_rows(wants, on=params.lead, off=params.base, columns=columns)


RANDOM_DATA = market_data(random_walk(TICKERS, "2007-11-01", "2019-12-31", seed=5))
MAPS = [{"IWM": 1.0}, {"SPY": 1.0}, {"IWM": 0.5, "SPY": 0.5}, {"QQQ": 0.6}, {"DIA": 1.0}]
combination = st.fixed_dictionaries(
    {
        "lead_days": st.integers(1, 40),
        "anchor": st.sampled_from(ANCHORS),
        "horizon": st.one_of(st.just("year_end"), st.integers(1, 80)),
        "price_field": st.sampled_from(["adj_close", "close"]),
        "universe": st.sampled_from([TICKERS, ["IWM", "SPY"], ["QQQ", "IWM", "DIA"]]),
        "lead": st.sampled_from(MAPS),
        "base": st.sampled_from(MAPS),
    }
)


@settings(max_examples=20, deadline=None)
@given(st.lists(combination, min_size=1, max_size=6))
def test_batch_equals_single_runs_and_a_plain_loop(combos):
    table = pd.DataFrame(combos)
    batch = STRATEGY.decide(RANDOM_DATA, Params(), table)
    for j, combo in enumerate(combos):
        params = Params(**combo)
        single = STRATEGY.weights(RANDOM_DATA, params)
        frame = batch.frame(j)
        pd.testing.assert_frame_equal(frame[single.columns], single)
        others = frame.drop(columns=list(single.columns))
        set_rows = single.notna().any(axis=1)
        assert (others[set_rows] == 0).all().all() and others[~set_rows].isna().all().all()
        pd.testing.assert_frame_equal(single, _reference_weights(RANDOM_DATA, params))


def test_explain_names_the_inputs_and_the_next_decision():
    data = market_data(_planted({2019: "IWM", 2020: "QQQ", 2021: "IWM"}))
    said = STRATEGY.explain(data, Params())
    assert said == {
        "inputs": "IWM +5.0% led QQQ +2.0%, SPY +1.0%, DIA +0.5% over the first 10 sessions "
        "of 2021: lead (IWM) until 2021-12-31, then base (SPY)",
        "next_decision": "2022-01-14",
    }
    early = market_data(_planted({2019: "IWM"}).loc[:"2020-01-08"])
    assert STRATEGY.explain(early, Params()) == {
        "inputs": "session 10 of 2020 not reached yet (data end 2020-01-08): base (SPY) until then",
        "next_decision": "2020-01-15",
    }
    through_june = market_data(_planted({2019: "IWM", 2020: "QQQ"}).loc[:"2020-06-30"])
    assert STRATEGY.explain(through_june, Params(horizon=21))["inputs"] == (
        "QQQ +5.0% led SPY +1.0%, DIA +0.5%, IWM +0.0% over the first 10 sessions of 2020: "
        "base (SPY) until the next decision"
    )
    assert STRATEGY.active_and_base(Params()) == ({"IWM": 1.0}, {"SPY": 1.0})


def test_explain_a_tie_for_the_lead():
    prices = _planted({2019: "IWM", 2020: "IWM"}).loc[:"2020-06-30"]
    prices.loc["2019-12-31":, "QQQ"] = prices.loc["2019-12-31":, "IWM"]  # QQQ ties IWM in 2020
    said = STRATEGY.explain(market_data(prices), Params())
    assert said["inputs"] == (
        "QQQ +5.0% and IWM +5.0% tied for the lead, ahead of SPY +1.0%, DIA +0.5% over the first "
        "10 sessions of 2020: base (SPY) until the next decision"
    )
    assert said["next_decision"] == "2021-01-15"
    assert STRATEGY.weights(market_data(prices), Params()).loc["2020"].dropna(how="all").empty
