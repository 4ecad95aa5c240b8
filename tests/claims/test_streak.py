"""relative_streak on synthetic pairs where every streak is planted by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.claim_checks.kinds import streak
from engine.claim_checks.runner import evaluate
from tests.claims.builders import rng_walk, streak_def
from tests.helpers import market_data

# Planted streaks (A's daily change beats B's): 4, 5 and 7 sessions.
PLANTED = [
    ("2019-06-03", "2019-06-06", 4),
    ("2019-09-03", "2019-09-09", 5),
    ("2020-03-02", "2020-03-10", 7),
]


def planted_pair() -> pd.DataFrame:
    """A is flat and B gains 0.1% a day, except on planted sessions: A +0.5%, B flat."""
    index = nyse_sessions("2019-01-02", "2020-12-31")
    daily = pd.DataFrame({"A": 0.0, "B": 0.001}, index=index)
    for start, end, _ in PLANTED:
        daily.loc[start:end, "A"] = 0.005
        daily.loc[start:end, "B"] = 0.0
    daily.iloc[0] = 0.0
    return 100.0 * (1.0 + daily).cumprod()


@pytest.fixture(scope="module")
def data():
    return market_data(planted_pair())


def test_planted_streaks_are_found_with_their_dates(data):
    a, b = streak.pair_prices(data, streak_def())
    table = streak.streaks(streak.counting_sessions(a, b))
    found = [(str(r.start), str(r.end), r.length) for r in table.itertuples()]
    assert found == PLANTED


def test_streak_on_a_date_counts_only_sessions_up_to_it(data):
    facts = streak.findings(data, streak_def(as_of="2020-03-06"))
    on_date, since = facts[0], facts[1]
    assert on_date.value == 5  # 2020-03-02 .. 2020-03-06
    assert "from 2020-03-02" in on_date.detail
    assert since.value == 2019  # the last earlier streak of at least 5 ended in 2019-09
    assert "2019-09-03 to 2019-09-09 (5)" in since.detail
    # A weekend as-of date means the session before it.
    assert streak.findings(data, streak_def(as_of="2020-03-08"))[0].value == 5


def test_claimed_lengths_and_since_year_verdicts(data):
    good = evaluate(
        streak_def(as_of="2020-03-09", claimed={"lengths": [5, 6], "since_year": 2019}), data
    )
    assert [f.verdict for f in good.findings[:2]] == ["reproduced", "reproduced"]
    assert "it reached 5 on 2020-03-06, 6 on 2020-03-09" in good.findings[0].detail
    bad = evaluate(
        streak_def(as_of="2020-03-09", claimed={"lengths": [7], "since_year": 2018}), data
    )
    assert [f.verdict for f in bad.findings[:2]] == ["not reproduced", "not reproduced"]


def test_episodes_once_per_streak_from_the_session_it_reached_k(data):
    a, b = streak.pair_prices(data, streak_def())
    mask = streak.counting_sessions(a, b)
    ep = streak.episodes(mask, a, b, [3, 5], [3])
    k5 = ep[ep["k"] == 5]
    assert [str(d) for d in k5["event_date"]] == ["2019-09-09", "2020-03-06"]
    assert k5["streak_length"].tolist() == [5, 7]
    assert [str(d) for d in ep[ep["k"] == 3]["event_date"]] == [
        "2019-06-05",
        "2019-09-05",
        "2020-03-04",
    ]
    # From 2020-03-06: Mar 9 and 10 are streak days (A +0.5%, B 0), Mar 11 is not (A 0, B +0.1%).
    row = k5.iloc[1]
    assert row["A_fwd_3_ret"] == pytest.approx(1.005**2 - 1)
    assert row["B_fwd_3_ret"] == pytest.approx(0.001)
    assert row["diff_fwd_3_ret"] == pytest.approx(1.005**2 - 1 - 0.001)


def test_aftermath_compares_episodes_with_the_other_sessions(data):
    result = evaluate(streak_def(as_of="2020-06-01", headline_k=3, headline_horizon=3), data)
    mean = next(f for f in result.findings if f.key == "after_k3_h3_mean")
    a, b = streak.pair_prices(data, streak_def())
    diff = (a.shift(-3) / a - 1) - (b.shift(-3) / b - 1)
    events = pd.to_datetime(["2019-06-05", "2019-09-05", "2020-03-04"])
    assert mean.n == 3
    assert mean.value == pytest.approx(diff.loc[events].mean())
    others = diff.dropna().drop(events)  # the complement: every other session
    assert mean.base == pytest.approx(others.mean())
    assert mean.base_n == diff.notna().sum() - 3 == len(others)
    assert mean.verdict == "too few cases to tell"  # n = 3 < 10


def test_window_past_the_data_is_excluded_and_counted():
    prices = planted_pair().loc[:"2020-03-11"]  # the data end 3 sessions after the 7-streak's
    result = evaluate(
        streak_def(as_of="2020-03-10", headline_k=5, headline_horizon=5), market_data(prices)
    )
    mean = next(f for f in result.findings if f.key == "after_k5_h5_mean")
    assert mean.n == 1 and mean.excluded == 1  # 2020-03-06 + 5 sessions is past the data
    assert any("left out" in note for note in result.notes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_look_ahead_in_episodes(seed):
    """Changing prices after day t never changes the streaks ended, or episodes reached, by t."""
    index = nyse_sessions("2015-01-02", "2017-12-29")
    base = pd.DataFrame({"A": rng_walk(index, seed), "B": rng_walk(index, seed + 100)}, index=index)
    defn = streak_def()
    rng = np.random.default_rng(seed)
    for t in rng.choice(np.arange(50, len(index) - 50), 5, replace=False):
        cut = index[t]
        changed = base.copy()
        changed.iloc[t + 1 :] *= rng.uniform(0.8, 1.2, size=(len(index) - t - 1, 2))
        out = []
        for frame in (base, changed):
            a, b = streak.pair_prices(market_data(frame), defn)
            mask = streak.counting_sessions(a, b)
            ep = streak.episodes(mask, a, b, [2, 3], [])
            st = streak.streaks(mask)
            out.append(
                (
                    ep[pd.to_datetime(ep["event_date"]) <= cut][["k", "event_date"]].reset_index(
                        drop=True
                    ),
                    st[pd.to_datetime(st["end"]) < cut].reset_index(drop=True),
                )
            )
        pd.testing.assert_frame_equal(out[0][0], out[1][0])
        pd.testing.assert_frame_equal(out[0][1], out[1][1])
