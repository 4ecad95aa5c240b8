"""sector_rotation on synthetic prices whose ranking, volatility and listing dates are planted,
plus a real-data run checked against the mirror's CSV files read independently."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

from engine.api.report_input import run_strategy
from engine.calendar import nyse_sessions
from engine.config.run_config import load_config
from engine.data.model import MarketData
from engine.errors import DataQualityError
from engine.paths import PROJECT_ROOT
from engine.simulate.pipeline import common_period
from engine.tuning.grid import build_grid
from strategies import discover
from strategies.sector_rotation import (
    STRATEGY,
    Params,
    holdings,
    lookback_sessions,
    optional_tickers,
    regime_spread,
    tickers,
)
from tests.helpers import MIRROR, market_data, mirror_overrides, random_walk


def _growth(index: pd.DatetimeIndex, daily: dict[str, float | list[tuple[str, float]]]):
    """Prices from 100 with a constant daily return, or piecewise: [(from_date, return), ...]."""
    out = {}
    for ticker, spec in daily.items():
        steps = pd.Series(0.0, index=index)
        pieces = [(str(index[0].date()), spec)] if isinstance(spec, float) else spec
        for start, rate in pieces:
            steps[steps.index >= pd.Timestamp(start)] = rate
        steps.iloc[0] = 0.0
        out[ticker] = 100.0 * (1.0 + steps).cumprod()
    return pd.DataFrame(out)


def _rows(weights: pd.DataFrame) -> pd.DataFrame:
    return weights.dropna(how="all")


def _dates(frame: pd.DataFrame | pd.DatetimeIndex) -> list[str]:
    index = frame if isinstance(frame, pd.DatetimeIndex) else frame.index
    return [str(pd.Timestamp(d).date()) for d in index]


def _params(universe: list[str], **changes) -> Params:
    return Params(universe=universe, late_listed=changes.pop("late_listed", []), **changes)


def test_top_k_by_momentum_follows_the_leaders():
    """A leads in January then falls; C is flat in January then leads: with L=10 the top two
    are A and B at the end of January, C and B at the end of February."""
    index = nyse_sessions("2021-01-04", "2021-03-31")
    prices = _growth(
        index,
        {
            "A": [("2021-01-04", 0.005), ("2021-02-01", -0.005)],
            "B": 0.002,
            "C": [("2021-01-04", 0.0), ("2021-02-01", 0.004)],
            "D": 0.001,
        },
    )
    rows = _rows(
        STRATEGY.weights(market_data(prices), _params(list("ABCD"), top_k=2, momentum_days=10))
    )
    assert _dates(rows) == ["2021-01-29", "2021-02-26", "2021-03-31"]
    assert rows.loc["2021-01-29"].tolist() == [0.5, 0.5, 0.0, 0.0]
    assert rows.loc["2021-02-26"].tolist() == [0.0, 0.5, 0.5, 0.0]
    table = holdings(market_data(prices), _params(list("ABCD"), top_k=2, momentum_days=10))
    feb = table.loc[pd.Timestamp("2021-02-26").date()]
    assert (feb["pick_1"], feb["pick_2"]) == ("C", "B")
    assert feb["momentum_1"] == pytest.approx(1.004**10 - 1, rel=1e-12)
    assert feb["momentum_2"] == pytest.approx(1.002**10 - 1, rel=1e-12)
    assert feb["cash"] == 0.0 and feb["eligible"] == 4


def test_inverse_volatility_weights_are_exact():
    """Daily returns g + a, g - a alternate, so any even window of V returns has sd
    a * sqrt(V / (V - 1)): weights are proportional to 1/a. P (a=1%) and Q (a=2%) lead on
    momentum, so P gets 2/3 and Q 1/3."""
    index = nyse_sessions("2020-01-02", "2020-12-31")
    sign = np.where(np.arange(len(index)) % 2 == 0, 1.0, -1.0)
    spec = {"P": (0.003, 0.01), "Q": (0.002, 0.02), "R": (0.001, 0.005), "S": (-0.001, 0.01)}
    prices = pd.DataFrame(
        {t: 100.0 * np.cumprod(1.0 + g + a * sign) for t, (g, a) in spec.items()}, index=index
    )
    params = _params(list(spec), top_k=2, momentum_days=10, weighting="inverse_vol", vol_days=20)
    rows = _rows(STRATEGY.weights(market_data(prices), params))
    assert len(rows) == 12  # January 2020 has the 21 sessions V=20 returns need
    assert np.abs(rows["P"] - 2 / 3).max() < 1e-12
    assert np.abs(rows["Q"] - 1 / 3).max() < 1e-12
    assert (rows[["R", "S"]] == 0.0).all().all()
    # With k = 3 but R and S without prices, only P and Q are eligible: they share 2/3 of the
    # portfolio in the same 2:1 ratio and 1/3 stays in cash.
    prices.loc[:, ["R", "S"]] = np.nan
    rows = _rows(STRATEGY.weights(market_data(prices), params.model_copy(update={"top_k": 3})))
    assert np.abs(rows["P"] - 2 / 3 * 2 / 3).max() < 1e-12
    assert np.abs(rows["Q"] - 2 / 3 * 1 / 3).max() < 1e-12


@pytest.mark.parametrize(("days", "first_held"), [(21, "2020-03-31"), (22, "2020-04-30")])
def test_a_late_listed_member_waits_for_its_full_history(days, first_held):
    """NEW trades from 2020-03-02 and has the best momentum. March 2020 has 22 sessions
    (2nd to 31st): L=21 needs 22 prices, so NEW is eligible on 03-31; L=22 only on 04-30.
    Until then only two of k=3 are eligible: 1/3 each and 1/3 cash."""
    index = nyse_sessions("2019-10-01", "2020-05-29")
    prices = _growth(index, {"A": 0.001, "B": 0.0005, "NEW": 0.01})
    prices.loc[prices.index < "2020-03-02", "NEW"] = np.nan
    params = _params(["A", "B", "NEW"], late_listed=["NEW"], top_k=3, momentum_days=days)
    rows = _rows(STRATEGY.weights(market_data(prices), params))
    held = rows.index[rows["NEW"] > 0]
    assert _dates(held)[0] == first_held
    before = rows[rows.index < first_held]
    assert (before["NEW"] == 0).all()
    assert np.allclose(before[["A", "B"]], 1 / 3, rtol=0, atol=1e-15)
    table = holdings(market_data(prices), params)
    assert table.loc[pd.Timestamp("2020-02-28").date(), "cash"] == pytest.approx(1 / 3)
    assert table.loc[pd.Timestamp(first_held).date(), "pick_1"] == "NEW"
    assert table.loc[pd.Timestamp(first_held).date(), "eligible"] == 3


def test_monthly_and_weekly_rebalance_on_the_calendars_last_session():
    """Thanksgiving Friday, Christmas Eve and New Year's Eve (Thursdays before a holiday) close
    their weeks; the data ends on Wednesday 2021-01-20, which closes neither week nor month."""
    index = nyse_sessions("2020-10-01", "2021-01-20")
    prices = _growth(index, {"A": 0.001, "B": 0.002})
    monthly = _rows(
        STRATEGY.weights(market_data(prices), _params(["A", "B"], momentum_days=5, top_k=1))
    )
    weekly = _rows(
        STRATEGY.weights(
            market_data(prices), _params(["A", "B"], momentum_days=5, top_k=1, rebalance="weekly")
        )
    )
    assert _dates(monthly.loc["2020-11-01":]) == ["2020-11-30", "2020-12-31"]
    assert _dates(weekly.loc["2020-11-01":]) == [
        "2020-11-06",
        "2020-11-13",
        "2020-11-20",
        "2020-11-27",
        "2020-12-04",
        "2020-12-11",
        "2020-12-18",
        "2020-12-24",
        "2020-12-31",
        "2021-01-08",
        "2021-01-15",
    ]


def _regime_prices(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Sectors grow at fixed rates (X, in neither group, fastest); IWM vs SPY is planted: +10%
    over the 5 sessions to 01-29 +30%, to 02-26 -24%, to 03-31 exactly +25% (SPY flat)."""
    prices = _growth(
        index, {"C1": 0.001, "C2": 0.002, "D1": 0.004, "D2": 0.003, "X": 0.005, "SPY": 0.0}
    )
    iwm = pd.Series(100.0, index=index)
    iwm[iwm.index >= "2021-01-25"] = 130.0
    iwm[iwm.index >= "2021-02-22"] = 99.0
    iwm[iwm.index >= "2021-03-24"] = 100.0
    iwm[iwm.index >= "2021-03-25"] = 125.0
    return prices.assign(IWM=iwm)


def _regime_params(threshold: float) -> Params:
    return _params(
        ["C1", "C2", "D1", "D2", "X"],
        top_k=1,
        momentum_days=10,
        regime_filter=True,
        cyclicals=["C1", "C2"],
        defensives=["D1", "D2"],
        regime_days=5,
        regime_threshold=threshold,
    )


@pytest.mark.parametrize(("threshold", "march"), [(0.25, "D1"), (0.24, "C2")])
def test_regime_filter_switches_between_the_groups(threshold, march):
    index = nyse_sessions("2020-12-01", "2021-04-09")
    data = market_data(_regime_prices(index))
    rows = _rows(STRATEGY.weights(data, _regime_params(threshold))).loc["2021-01-01":]
    held = {d: rows.columns[rows.loc[d] > 0].tolist() for d in _dates(rows)}
    # Small caps lead -> best cyclical (C2), not X or D1 which have more momentum.
    # They lag -> best defensive. A spread of exactly 0.25 is not "more than" 0.25.
    assert held == {"2021-01-29": ["C2"], "2021-02-26": ["D1"], "2021-03-31": [march]}
    table = holdings(data, _regime_params(threshold))
    assert table.loc[pd.Timestamp("2021-01-29").date(), "regime_spread"] == pytest.approx(0.30)
    assert table.loc[pd.Timestamp("2021-03-31").date(), "regime_spread"] == 0.25


def test_regime_spread_is_the_k_session_return_difference():
    index = nyse_sessions("2021-03-01", "2021-03-10")
    small = pd.Series([100.0, 101, 102, 103, 104, 110, 99, 98], index=index)
    large = pd.Series([50.0, 50, 51, 52, 53, 55, 50, 50], index=index)
    spread = regime_spread(small, large, 5)
    assert spread.iloc[:5].isna().all()
    assert spread.iloc[5] == pytest.approx((110 / 100 - 1) - (55 / 50 - 1))
    assert spread.iloc[7] == pytest.approx((98 / 102 - 1) - (50 / 51 - 1))


def test_an_undefined_regime_signal_keeps_the_holdings():
    index = nyse_sessions("2020-12-01", "2021-04-09")
    prices = _regime_prices(index)
    prices.loc["2021-02-26", "IWM"] = np.nan
    data = market_data(prices)
    rows = _rows(STRATEGY.weights(data, _regime_params(0.01))).loc["2021-01-01":]
    assert _dates(rows) == ["2021-01-29", "2021-03-31"]
    table = holdings(data, _regime_params(0.01))
    feb = table.loc[pd.Timestamp("2021-02-26").date()]
    assert feb["group"] == "undefined" and "no change" in feb["note"]


def test_a_member_whose_data_ends_bounds_the_period_and_is_not_avoided():
    """C leads but its prices stop on 2021-03-31 while A and B run on. The rule never looks at
    how far a series reaches: it picks C while C has the history (01-29, 02-26, 03-31) and B
    once it has not. The pipeline ends the period on C's last date (optional tickers bound the
    end), so the engine never holds C without a price."""
    index = nyse_sessions("2020-12-01", "2021-05-14")
    prices = _growth(index, {"A": 0.001, "B": 0.002, "C": 0.004})
    prices.loc[prices.index > "2021-03-31", "C"] = np.nan
    data = market_data(prices)
    params = _params(["A", "B", "C"], late_listed=["C"], top_k=1, momentum_days=10)
    rows = _rows(STRATEGY.weights(data, params)).loc["2021-01-01":]
    held = {d: rows.columns[rows.loc[d] > 0].tolist() for d in _dates(rows)}
    assert held == {
        "2021-01-29": ["C"],
        "2021-02-26": ["C"],
        "2021-03-31": ["C"],
        "2021-04-30": ["B"],
    }
    cfg = load_config(STRATEGY, overrides=["backtest.start=2020-12-01"])
    period = common_period(data, ["A", "B"], cfg, end_tickers=["C"])
    assert period.end == pd.Timestamp("2021-03-31")
    assert "C" in period.end_reason
    assert common_period(data, ["A", "B"], cfg).end == pd.Timestamp("2021-05-14")


def test_required_optional_tickers_and_lookback():
    default = Params()
    assert tickers(default) == ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY"]
    assert optional_tickers(default) == ["XLRE", "XLC", "KRE"]
    assert tickers(Params(regime_filter=True))[-2:] == ["IWM", "SPY"]
    assert lookback_sessions(default) == 126 + 1 + 23
    assert lookback_sessions(Params(weighting="inverse_vol", vol_days=200, rebalance="weekly")) == (
        200 + 1 + 5
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"universe": ["XLK", "XLK", "XLF"], "late_listed": []}, "duplicates"),
        ({"late_listed": ["QQQ"]}, "not in universe"),
        ({"top_k": 13}, "exceeds the universe"),
        ({"universe": ["XLC", "KRE"], "late_listed": ["XLC", "KRE"], "top_k": 1}, "nothing bounds"),
        ({"regime_filter": True, "defensives": ["XLU", "XLI"]}, "both cyclical and defensive"),
        ({"regime_filter": True, "cyclicals": ["SMH"]}, "members of universe"),
        ({"regime_filter": True, "regime_large": "IWM"}, "both 'IWM'"),
        ({"weighting": "risk_parity"}, "inverse_vol"),
        ({"momentum_days": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_params_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        Params(**change)


# --------------------------------------------------------------------------- real data

needs_mirror = pytest.mark.skipif(not MIRROR.is_dir(), reason=f"no market-data mirror at {MIRROR}")


def _csv(ticker: str) -> pd.Series:
    return pd.read_csv(MIRROR / f"{ticker}.csv", index_col="date", parse_dates=True)["adj_close"]


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sector_rotation")
    strategy = discover()["sector_rotation"]
    overrides = mirror_overrides(tmp)
    cfg = load_config(strategy, overrides=overrides)
    return cfg.params, run_strategy(strategy, cfg, PROJECT_ROOT, "test")


@pytest.mark.realdata
@needs_mirror
def test_sector_rotation_on_real_data(real_run):
    params, inp = real_run
    # KRE's data ends first (2026-07-31): optional tickers bound the end of the period.
    assert inp.period == (pd.Timestamp("2000-05-26").date(), pd.Timestamp("2026-07-31").date())
    wanted = inp.strategy.target_weights
    held = inp.strategy.weights
    # A late fund is wanted only once it has L+1 prices (its own CSV rows), and is then held.
    for ticker, listed in {"XLRE": "2015-10-08", "XLC": "2018-06-19", "KRE": "2006-06-22"}.items():
        own = _csv(ticker).dropna()
        assert own.index[0] == pd.Timestamp(listed)
        ready = own.index[params.momentum_days]
        assert (wanted.loc[wanted.index < ready, ticker].fillna(0) == 0).all(), ticker
        assert (held.loc[held.index <= ready, ticker] == 0).all(), ticker
        assert (held[ticker] > 0.3).any(), ticker
    # Each decision is fully invested in k funds (at least nine are always eligible).
    rows = wanted.dropna(how="all")
    assert ((rows > 0).sum(axis=1) == params.top_k).all()
    assert np.allclose(rows.sum(axis=1), 1.0)
    # The picks of one decision, recomputed from the CSV files by row position.
    day = pd.Timestamp("2020-03-31")
    momentum = {}
    for ticker in params.universe:
        own = _csv(ticker).dropna()
        at = own.index.get_loc(day)
        if at >= params.momentum_days:
            momentum[ticker] = own.iloc[at] / own.iloc[at - params.momentum_days] - 1
    top = sorted(momentum, key=momentum.get, reverse=True)[: params.top_k]
    row = inp.tables["holdings"].loc[day.date()]
    assert [row["pick_1"], row["pick_2"], row["pick_3"]] == top
    assert row["momentum_1"] == pytest.approx(momentum[top[0]], rel=1e-12)
    assert row["eligible"] == len(momentum) == 12
    assert inp.strategy.equity.notna().all()


# --------------------------------------------------------------------------- batch form


def test_a_batch_of_two_lookbacks_by_hand():
    """Weekly, top 1 of four funds over 29 sessions (2021-03-01 to 04-09; weeks close on
    sessions 5, 10, 15, 20, 24 (Thursday before Good Friday) and 29). A gains 0.5% a day; B
    jumps 2% on each week's last session and is flat otherwise; C loses 0.1% a day; D is flat.
    L=1 decides from session 5 (2 prices) and always picks B (+2% > +0.5%). L=10 decides from
    session 15 (11 prices): its window holds two of B's jumps on sessions 15 and 20 (1.02^2 - 1 =
    4.04% < 1.005^10 - 1 = 5.11%: A) and three on sessions 24 and 29 (6.12%: B). With k = 2
    and L=10, A and B are held at 1/2 from session 15 on."""
    index = nyse_sessions("2021-03-01", "2021-04-09")
    assert len(index) == 29
    week_ends = [4, 9, 14, 19, 23, 28]
    b_steps = np.zeros(len(index))
    b_steps[week_ends] = 0.02
    steps = pd.DataFrame(
        {"A": 0.005, "B": b_steps, "C": -0.001, "D": 0.0}, index=index, dtype=float
    )
    steps.iloc[0] = 0.0
    prices = 100.0 * (1.0 + steps).cumprod()
    data = market_data(prices)
    base = _params(list("ABCD"), top_k=1, rebalance="weekly")
    table = pd.DataFrame({"momentum_days": [1, 10, 10], "top_k": [1, 1, 2]})
    batch = STRATEGY.decide(data, base, table)
    assert batch.n_combos == 3
    assert batch.columns == ("A", "B", "C", "D")
    as_rows = {j: batch.palette[batch.events(j)[1]].tolist() for j in range(3)}
    assert batch.events(0)[0].tolist() == week_ends
    assert as_rows[0] == [[0.0, 1.0, 0.0, 0.0]] * 6
    assert batch.events(1)[0].tolist() == [14, 19, 23, 28]
    assert as_rows[1] == [[1.0, 0.0, 0.0, 0.0]] * 2 + [[0.0, 1.0, 0.0, 0.0]] * 2
    assert batch.events(2)[0].tolist() == [14, 19, 23, 28]
    assert as_rows[2] == [[0.5, 0.5, 0.0, 0.0]] * 4
    # Each distinct weight row is stored once.
    assert len(batch.palette) == 3
    for j in range(3):
        single = base.model_copy(update=table.iloc[j].to_dict())
        pd.testing.assert_frame_equal(batch.frame(j), STRATEGY.weights(data, single))


def _batch_data() -> MarketData:
    """Six members, one listed late (NEW), plus the regime pair, over three years."""
    names = ["C1", "C2", "C3", "D1", "D2", "NEW", "IWM", "SPY"]
    prices = random_walk(names, "2015-01-01", "2017-12-31", seed=11)
    prices.loc[prices.index < "2016-02-10", "NEW"] = np.nan
    return market_data(prices)


BATCH_DATA = _batch_data()
BATCH_BASE = _params(
    ["C1", "C2", "C3", "D1", "D2", "NEW"],
    late_listed=["NEW"],
    cyclicals=["C1", "C2", "NEW"],
    defensives=["D1", "D2"],
)


def test_a_swept_universe_batches_each_universe_apart():
    """Universes in the table: each combination's own columns equal its single run; members
    of the other universe are 0 on its decision rows."""
    table = pd.DataFrame(
        {
            "universe": pd.array(
                [["C1", "C2", "C3"], ["D1", "D2", "NEW"], ["C1", "C2", "C3"]], dtype="object"
            ),
            "late_listed": pd.array([[], ["NEW"], []], dtype="object"),
            "momentum_days": [20, 30, 40],
        }
    )
    base = _params(["C1", "C2", "C3"], top_k=2)
    batch = STRATEGY.decide(BATCH_DATA, base, table)
    for j in range(3):
        single = STRATEGY.weights(
            BATCH_DATA, base.model_copy(update={k: table[k].iloc[j] for k in table.columns})
        )
        frame = batch.frame(j)
        pd.testing.assert_frame_equal(frame[single.columns], single, check_exact=True)
        others = frame.drop(columns=single.columns)
        decided = single.notna().any(axis=1)
        assert (others[decided] == 0).all().all() and others[~decided].isna().all().all()


def test_the_default_sweep_grid_builds():
    strategy = discover()["sector_rotation"]
    doc = tomllib.loads(strategy.default_config.read_text())
    grid = build_grid(Params, BATCH_BASE, toml_sweep=doc["sweep"])
    assert grid.size == 240  # each row equals its single run: tests/test_batch_forms.py


def test_explain_names_the_ranking_and_the_next_rebalance():
    index = nyse_sessions("2021-01-04", "2021-03-31")
    prices = _growth(index, {"A": 0.003, "B": 0.002, "C": 0.001, "D": -0.001})
    out = STRATEGY.explain(market_data(prices), _params(list("ABCD"), top_k=2, momentum_days=10))
    a, b = (1.003**10 - 1) * 100, (1.002**10 - 1) * 100
    assert out["inputs"] == f"top 2 by 10-session return on 2021-03-31: A +{a:.1f}%, B +{b:.1f}%"
    assert out["next_decision"] == "2021-04-30"
    assert STRATEGY.active_and_base is None


def test_a_flat_member_makes_inverse_volatility_undefined():
    """F never moves, so its sd over V returns is 0: a batch holding it with inverse volatility
    is refused, naming the member and the session; equal weights hold it at 1/k."""
    index = nyse_sessions("2021-01-04", "2021-03-31")
    prices = random_walk(["A", "C"], "2021-01-04", "2021-03-31", seed=2, drift=0.003)
    prices["A"] *= np.linspace(1.0, 1.5, len(index))  # A leads, F (flat) comes second
    prices["F"] = 100.0
    prices["C"] *= np.linspace(1.0, 0.5, len(index))
    prices = prices[["A", "F", "C"]]
    data = market_data(prices)
    params = _params(["A", "F", "C"], top_k=2, momentum_days=10, vol_days=10)
    table = pd.DataFrame({"weighting": pd.array(["equal", "inverse_vol"], dtype="object")})
    with pytest.raises(
        DataQualityError, match=r"F has no price movement over the 10 sessions to 2021-01-29"
    ):
        STRATEGY.decide(data, params, table)
    rows = STRATEGY.weights(data, params).dropna(how="all")
    assert (rows["F"] == 0.5).all() and (rows["A"] == 0.5).all()
