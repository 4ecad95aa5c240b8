"""first_five_days on synthetic prices where each year's barometer reading is planted."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.tuning.grid import build_grid
from strategies.first_five_days import (
    STRATEGY,
    Params,
    tickers,
    yearly_barometer,
)
from tests.helpers import MIRROR, market_data, run_on_mirror

INDEX = nyse_sessions("2018-12-01", "2021-12-31")
D = pd.Timestamp


def _prices() -> pd.DataFrame:
    """^GSPC: 100 to 2018's end; +2% over 2019's first five sessions, back to 99 from Jan 15
    (January -1%); 97 over 2020's first five (-2/99); flat through 2021 (0%: not a rise).
    SPY: +10% from 2019-06-03. BIL: +1% from 2020-06-01."""
    prices = pd.DataFrame({"^GSPC": 100.0, "SPY": 100.0, "BIL": 50.0}, index=INDEX)
    first_2019 = INDEX[INDEX.year == 2019][:5]
    prices.loc[first_2019, "^GSPC"] = [100.4, 100.8, 101.2, 101.6, 102.0]
    prices.loc[D("2019-01-09") : D("2019-01-14"), "^GSPC"] = 102.0
    prices.loc[D("2019-01-15") :, "^GSPC"] = 99.0
    first_2020 = INDEX[INDEX.year == 2020][:5]
    prices.loc[first_2020, "^GSPC"] = [98.6, 98.2, 97.8, 97.4, 97.0]
    prices.loc[D("2020-01-09") :, "^GSPC"] = 97.0
    prices.loc[D("2019-06-03") :, "SPY"] = 110.0
    prices.loc[D("2020-06-01") :, "BIL"] = 50.5
    return prices


def _rows(weights: pd.DataFrame) -> list[tuple[str, list[float]]]:
    rows = weights.dropna(how="all")
    return [(d.strftime("%Y-%m-%d"), r.tolist()) for d, r in rows.iterrows()]


def test_per_year_table_by_hand():
    table = yearly_barometer(market_data(_prices()), Params())
    assert table.index.tolist() == [2018, 2019, 2020, 2021]
    assert "no prior year-end" in table.loc[2018, "note"]
    assert table.loc[2019, "decision_date"] == D("2019-01-08").date()  # Jan 2, 3, 4, 7, 8
    assert table.loc[2020, "decision_date"] == D("2020-01-08").date()  # Jan 2, 3, 6, 7, 8
    assert table.loc[2021, "anchor_date"] == D("2020-12-31").date()
    assert table.loc[[2019, 2020, 2021], "window_ret"].tolist() == pytest.approx(
        [0.02, 97 / 99 - 1, 0.0]
    )
    assert table.loc[[2019, 2020, 2021], "signal"].tolist() == ["equities", "cash", "cash"]
    assert table.loc[2019, "index_rest_ret"] == pytest.approx(99 / 102 - 1)
    assert table.loc[2019, "equities_rest_ret"] == pytest.approx(0.10)
    assert table.loc[2020, "cash_rest_ret"] == pytest.approx(0.01)
    assert table.loc[2020, "equities_rest_ret"] == 0.0
    assert bool(table.loc[2021, "year_complete"])


def test_weights_hold_the_decision_for_the_rest_of_the_year_then_before():
    w = STRATEGY.weights(market_data(_prices()), Params())
    assert w.columns.tolist() == ["SPY", "BIL"]
    assert _rows(w) == [
        ("2018-12-03", [1.0, 0.0]),  # "before" = equities; 2019 says equities: no change
        ("2020-01-08", [0.0, 1.0]),  # 2020 fell: cash after the 5th close
        ("2020-12-31", [1.0, 0.0]),  # before 2021's decision: equities again
        ("2021-01-08", [0.0, 1.0]),  # flat is not a rise
        ("2021-12-31", [1.0, 0.0]),
    ]


def test_january_window_decides_at_january_end():
    params = Params(window="january")
    table = yearly_barometer(market_data(_prices()), params)
    assert table.loc[2019, "decision_date"] == D("2019-01-31").date()
    assert table.loc[2019, "window_ret"] == pytest.approx(-0.01)
    assert table.loc[2019, "signal"] == "cash"
    rows = _rows(STRATEGY.weights(market_data(_prices()), params))
    assert rows[:3] == [
        ("2018-12-03", [1.0, 0.0]),
        ("2019-01-31", [0.0, 1.0]),
        ("2019-12-31", [1.0, 0.0]),
    ]


def test_before_cash_and_an_empty_cash_map():
    rows = _rows(STRATEGY.weights(market_data(_prices()), Params(before="cash")))
    assert rows == [
        ("2018-12-03", [0.0, 1.0]),
        ("2019-01-08", [1.0, 0.0]),
        ("2019-12-31", [0.0, 1.0]),  # 2020 and 2021 both say cash: nothing more to do
    ]
    params = Params(cash={})
    assert tickers(params) == ["^GSPC", "SPY"]
    w = STRATEGY.weights(market_data(_prices()), params)
    assert w.columns.tolist() == ["SPY"]
    assert _rows(w)[1] == ("2020-01-08", [0.0])  # 0% invested: the engine's cash yield applies
    assert yearly_barometer(market_data(_prices()), params).loc[2020, "cash_rest_ret"] == 0.0


def test_threshold_and_window_length_are_configurable():
    table = yearly_barometer(market_data(_prices()), Params(min_return=0.025))
    assert table.loc[2019, "signal"] == "cash"  # +2% is not above 2.5%
    table = yearly_barometer(market_data(_prices()), Params(first_sessions=3))
    assert table.loc[2019, "decision_date"] == D("2019-01-04").date()
    assert table.loc[2019, "window_ret"] == pytest.approx(0.012)


def test_a_missing_index_price_makes_no_decision():
    prices = _prices()
    prices.loc[D("2020-01-08"), "^GSPC"] = np.nan
    table = yearly_barometer(market_data(prices), Params())
    assert table.loc[2020, "signal"] == "none" and "^GSPC" in table.loc[2020, "note"]
    assert [d for d, _ in _rows(STRATEGY.weights(market_data(prices), Params()))] == [
        "2018-12-03",
        "2021-01-08",
        "2021-12-31",
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"window": "february"}, "first_five"),
        ({"equities": {}}, "at least 1"),
        ({"before": {"SPY": 1.5}}, r"\[0, 1\]"),
        ({"before": "bonds"}, "equities"),
        ({"first_sessions": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    return run_on_mirror(STRATEGY, tmp_path_factory.mktemp("first_five_days"))


@pytest.mark.realdata
def test_on_real_data(real_run):
    inp = real_run
    # BIL bounds both ends: 2007-05-30 to 2026-07-31.
    assert inp.period == (D("2007-05-30").date(), D("2026-07-31").date())
    gspc = pd.read_csv(MIRROR / "^GSPC.csv", index_col="date", parse_dates=True)["close"]
    per_year = inp.tables["per_year"]
    # 2026: 2025-12-31 close 6845.50 to the 5th session's (Jan 2, 5, 6, 7, 8) close.
    assert per_year.loc[2026, "decision_date"] == D("2026-01-08").date()
    assert per_year.loc[2026, "window_ret"] == pytest.approx(gspc["2026-01-08"] / 6845.5 - 1)
    assert per_year.loc[2026, "signal"] == "equities"
    # 2008 began badly (recomputed from the CSV): cash from the session after the decision.
    assert gspc["2008-01-08"] / gspc["2007-12-31"] - 1 < -0.05
    assert per_year.loc[2008, "signal"] == "cash"
    weights = inp.strategy.weights
    assert weights.loc["2008-01-09", "BIL"] > 0.99 and weights.loc["2008-01-07", "SPY"] > 0.99
    # 2007 began lower too (-0.44%), so the run opens in BIL, the decision carried into the period.
    assert gspc["2007-01-09"] / gspc["2006-12-29"] - 1 < 0
    assert weights.loc["2007-05-31", "BIL"] > 0.99


# --------------------------------------------------------------------------- batch form


def test_a_batch_of_windows_and_thresholds_by_hand():
    """Combination 0 is the default (rows as above). Combination 1 reads 3 sessions and needs
    +1.5%: 2019 gives +1.2% (cash from Jan 4), 2020 -1.2% (cash from Jan 6), 2021 0% (cash
    from Jan 6), "before" (equities) from each year end. Combination 2 is the January window:
    2019 -1% (cash from Jan 31), 2020 -2/99 (cash from Jan 31), 2021 flat (cash from Jan 29)."""
    data = market_data(_prices())
    table = pd.DataFrame(
        {
            "window": pd.array(["first_five", "first_five", "january"], dtype="object"),
            "first_sessions": [5, 3, 5],
            "min_return": [0.0, 0.015, 0.0],
        }
    )
    batch = STRATEGY.decide(data, Params(), table)
    assert batch.columns == ("SPY", "BIL")
    equities, cash = [1.0, 0.0], [0.0, 1.0]

    def rows(j):
        positions, labels = batch.events(j)
        return [
            (str(data.index[p].date()), batch.palette[r].tolist())
            for p, r in zip(positions, labels, strict=True)
        ]

    assert rows(0) == _rows(STRATEGY.weights(data, Params()))
    assert rows(1) == [
        ("2018-12-03", equities),
        ("2019-01-04", cash),
        ("2019-12-31", equities),
        ("2020-01-06", cash),
        ("2020-12-31", equities),
        ("2021-01-06", cash),
        ("2021-12-31", equities),
    ]
    assert rows(2) == [
        ("2018-12-03", equities),
        ("2019-01-31", cash),
        ("2019-12-31", equities),
        ("2020-01-31", cash),
        ("2020-12-31", equities),
        ("2021-01-29", cash),
        ("2021-12-31", equities),
    ]


def test_the_default_sweep_grid_builds():
    """(Each row equals its single run: tests/test_batch_forms.py, for every strategy.)"""
    doc = tomllib.loads(STRATEGY.default_config.read_text())
    grid = build_grid(Params, Params(), toml_sweep=doc["sweep"])
    assert grid.size == 200


def test_explain_and_the_two_states():
    data = market_data(_prices().loc[:"2021-06-30"])
    out = STRATEGY.explain(data, Params())
    assert out == {
        "inputs": (
            "^GSPC +0.0% over the first 5 sessions of 2021 (<= 0%): BIL for the rest of the year"
        ),
        "next_decision": "2022-01-07",  # Jan 3, 4, 5, 6, 7
    }
    early = STRATEGY.explain(market_data(_prices().loc[:"2020-01-06"]), Params())
    assert (
        early["inputs"]
        == "before the 2020 reading over the first 5 sessions: 'before' allocation (SPY)"
    )
    assert early["next_decision"] == "2020-01-08"
    assert STRATEGY.active_and_base(Params()) == ({"SPY": 1.0}, {"BIL": 1.0})
