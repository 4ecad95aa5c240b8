"""macro_regime on tiny synthetic yield and VIX series where each decision is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from strategies.macro_regime import STRATEGY, Params, explain, signal, tables, tickers
from tests.helpers import MIRROR, market_data, run_on_mirror

DAYS = nyse_sessions("2021-03-01", "2021-03-31")

# Day 4 is a bond-market holiday: no yield published. With m = 3 the averages of the published
# yields are: day 2 4.0, day 3 11.5/3, day 5 11/3, day 6 11.5/3, day 7 12.5/3, day 8 14/3,
# day 9 12.5/3. Rates are falling (yield < average) on days 3, 4 (carried), 5 and 9.
TNX = [4.0, 4.0, 4.0, 3.5, np.nan, 3.5, 4.5, 4.5, 5.0, 3.0]
# VIX is calm (< 20, strictly) except on day 3 (exactly 20) and day 5 (25).
VIX = [15.0, 15.0, 15.0, 20.0, 15.0, 25.0, 15.0, 15.0, 15.0, 15.0]


def _data(tnx: list[float] = TNX, vix: list[float] = VIX):
    index = DAYS[: len(tnx)]
    prices = pd.DataFrame({"IWM": 100.0, "SPY": 100.0, "^TNX": tnx, "^VIX": vix}, index=index)
    return market_data(prices)


def _rows(weights: pd.DataFrame) -> tuple[list[int], list[list[float]]]:
    rows = weights.dropna(how="all")
    return [DAYS.get_loc(d) for d in rows.index], rows[["IWM", "SPY"]].to_numpy().tolist()


def test_decisions_follow_the_yield_average_and_the_vix_threshold():
    sig = signal(_data(), Params(rate_ma_days=3))
    assert sig["yield_ma"].iloc[[2, 3, 4, 5]].tolist() == pytest.approx(
        [4.0, 11.5 / 3, 11.5 / 3, 11.0 / 3]
    )
    assert sig["yield"].iloc[4] == 3.5  # the last published yield, carried for the signal
    assert sig["yield_carried"].tolist() == [False] * 4 + [True] + [False] * 5
    falling = [3, 4, 5, 9]
    assert sig.index[sig["rates_falling"]].tolist() == [DAYS[i] for i in falling]
    # days 0-1: average not yet defined -> no decision; day 3: VIX exactly 20 is not calm.
    assert np.isnan(sig["decision"].iloc[:2]).all()
    assert sig["decision"].iloc[2:].tolist() == [0, 0, 1, 0, 0, 0, 0, 1]
    w = STRATEGY.weights(_data(), Params(rate_ma_days=3))
    assert _rows(w) == ([0, 4, 5, 9], [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])


def test_without_the_carry_a_bond_holiday_makes_no_decision():
    params = Params(rate_ma_days=3, yield_max_stale_sessions=0)
    sig = signal(_data(), params)
    assert np.isnan(sig["decision"].iloc[4])
    assert not sig["small_caps"].iloc[4]  # day 3's state (not small caps) is kept
    assert _rows(STRATEGY.weights(_data(), params)) == ([0, 9], [[0.0, 1.0], [1.0, 0.0]])


def test_a_missing_vix_keeps_the_previous_allocation():
    vix = [15.0] * 9 + [np.nan]
    sig = signal(_data(vix=vix), Params(rate_ma_days=3))
    assert np.isnan(sig["decision"].iloc[9])
    assert not sig["small_caps"].iloc[9]  # day 8 was not small caps: that is kept


def test_the_defensive_mix_and_the_tickers():
    params = Params(rate_ma_days=3, otherwise={"SPY": 0.5, "TLT": 0.5})
    assert tickers(params) == ["^TNX", "^VIX", "IWM", "SPY", "TLT"]
    index = DAYS[:10]
    prices = pd.DataFrame({"IWM": 100.0, "SPY": 100.0, "TLT": 100.0}, index=index)
    prices["^TNX"], prices["^VIX"] = TNX, VIX
    rows = STRATEGY.weights(market_data(prices), params).dropna(how="all")
    assert rows.loc[DAYS[0]].tolist() == [0.0, 0.5, 0.5]  # columns IWM, SPY, TLT
    assert rows.loc[DAYS[4]].tolist() == [1.0, 0.0, 0.0]


def test_per_year_table_counts_the_regime():
    table = tables(_data(), Params(rate_ma_days=3))["per_year"]
    row = table.loc[2021]
    assert row["sessions"] == 8  # from the first decision (day 2) to the last (day 9)
    assert row["small_caps_sessions"] == 2  # days 4 and 9
    assert row["switches"] == 3  # into small caps on day 4, out on day 5, in on day 9
    assert row["yield_carried_sessions"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate_ma_days": 1}, "greater than or equal to 2"),
        ({"vix_threshold": 0}, "greater than 0"),
        ({"small_caps": {"IWM": 1.2}}, r"\[0, 1\]"),
        ({"otherwise": {}}, "at least 1"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    return run_on_mirror(STRATEGY, tmp_path_factory.mktemp("macro_regime"))


def _csv(ticker: str) -> pd.Series:
    return pd.read_csv(MIRROR / f"{ticker}.csv", index_col="date", parse_dates=True)["adj_close"]


@pytest.mark.realdata
def test_on_real_data(real_run):
    inp = real_run
    # ^TNX ends first (2026-07-31); IWM starts last.
    assert inp.period == (pd.Timestamp("2000-05-26").date(), pd.Timestamp("2026-07-31").date())
    tnx, vix = _csv("^TNX"), _csv("^VIX")
    # 2016-11-11 (Veterans Day) has no ^TNX value but the NYSE traded.
    assert pd.Timestamp("2016-11-11") not in tnx.index
    # Recomputed from the CSVs: on 2016-11-10 the yield (2.15) was far above its 50-value mean,
    # so the regime on the 11th (carried yield) is "otherwise" whatever VIX did.
    mean_50 = tnx.loc[:"2016-11-10"].iloc[-50:].mean()
    assert tnx["2016-11-10"] > mean_50 + 0.2
    weights = inp.strategy.weights
    assert weights.loc["2016-11-14", "SPY"] > 0.99
    # A calm, falling-rate day: the next session holds IWM.
    both = (tnx < tnx.rolling(50).mean()) & (vix.reindex(tnx.index) < 20)
    day = both.loc["2019-06-01":"2019-12-31"].index[both.loc["2019-06-01":"2019-12-31"]][0]
    after = weights.index[weights.index > day][0]
    assert weights.loc[after, "IWM"] > 0.99
    assert inp.tables["per_year"].loc[2016, "yield_carried_sessions"] == 1


# ------------------------------------------------------------------ the batch form


def test_a_small_batch_by_hand():
    # m = 3 (header): rates fall on days 3, 4 (carried), 5 and 9. With VIX below 30 day 3
    # (VIX 20) and day 5 (VIX 25) are calm too; without the carry day 4 makes no decision.
    table = pd.DataFrame(
        {"vix_threshold": [20.0, 30.0, 20.0], "yield_max_stale_sessions": [5, 5, 0]}
    )
    batch = STRATEGY.decide(_data(), Params(rate_ma_days=3), table)
    assert list(batch.columns) == ["IWM", "SPY"]
    events = [batch.events(j) for j in range(3)]
    assert [p.tolist() for p, _ in events] == [[0, 4, 5, 9], [0, 3, 6, 9], [0, 9]]
    iwm, spy = [1.0, 0.0], [0.0, 1.0]
    assert batch.palette[events[1][1]].tolist() == [spy, iwm, spy, iwm]


def test_explain_says_what_decided_the_last_session():
    out = explain(_data(), Params(rate_ma_days=3))
    assert out == {
        "inputs": "^TNX 3.00% < its 3-value mean 4.17%, ^VIX 15.0 < 20: risk-on, small caps",
        "next_decision": "every session (at each close)",
    }
    carried = explain(_data(TNX[:5], VIX[:5]), Params(rate_ma_days=3))["inputs"]
    assert carried == (
        "^TNX 3.50% (last published yield, carried) < its 3-value mean 3.83%, ^VIX 15.0 < 20: "
        "risk-on, small caps"
    )
    # Day 9 has no VIX: day 8's decision (yield 5.0 above its mean 14/3) is kept.
    missing = explain(_data(vix=[*VIX[:9], np.nan]), Params(rate_ma_days=3))["inputs"]
    assert missing == (
        "^TNX 5.00% >= its 3-value mean 4.67%, ^VIX 15.0 < 20: risk-off, otherwise; decided on "
        "2021-03-11, kept since: no decision after it (the yield, its average or ^VIX is "
        "missing)"
    )


def test_active_and_base_are_small_caps_and_otherwise():
    params = Params(otherwise={"SPY": 0.5, "TLT": 0.5})
    assert STRATEGY.active_and_base(params) == ({"IWM": 1.0}, {"SPY": 0.5, "TLT": 0.5})
