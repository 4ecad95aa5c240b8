"""The single run's terminal summary, the warm-up statement, backtest.start_when and the count
of allocation changes, on small hand-checked cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.cli.commands.run_strategy import MAX_LINES, terminal_lines
from engine.errors import DataQualityError
from engine.simulate.pipeline import Period, start_at_first_decision, warm_up
from engine.simulate.result import target_changes

DAYS = pd.bdate_range("2024-01-01", periods=10)


def test_target_changes_count_changes_not_rows() -> None:
    # 70/30 decided on day 0 and restated on days 1-3, "no change" on day 4, 50/50 on days 5-6,
    # then 50/NaN (NaN in a set row is 0: a change) and 50/0 (the same again).
    target = pd.DataFrame(np.nan, index=DAYS, columns=["A", "B"])
    target.iloc[0:4] = [0.7, 0.3]
    target.iloc[5] = [0.5, 0.5]
    target.iloc[6] = [0.5, 0.5]
    target.iloc[7] = [0.5, np.nan]
    target.iloc[8] = [0.5, 0.0]
    changes = target_changes(target)
    assert list(changes.index) == [DAYS[0], DAYS[5], DAYS[7]]
    assert changes.loc[DAYS[7]].tolist() == [0.5, 0.0]
    assert target_changes(target.iloc[[4]]).empty  # only a "no change" row


def test_warm_up_is_the_sessions_before_the_first_decision() -> None:
    weights = pd.DataFrame(np.nan, index=DAYS, columns=["A"])
    weights.iloc[3:] = 1.0
    found = warm_up(weights, DAYS)
    assert found is not None and found.sessions == 3 and found.first_decision == DAYS[3]
    assert "held cash for its first 3 sessions" in found.sentence("rule")
    assert 'backtest.start_when = "first_decision"' in found.sentence("rule")
    assert warm_up(weights, DAYS[5:]) is None  # decided before the start: carried in
    never = warm_up(pd.DataFrame(np.nan, index=DAYS, columns=["A"]), DAYS)
    assert never is not None and never.first_decision is None and never.sessions == len(DAYS)
    assert "whole period" in never.sentence("rule")


def test_start_when_first_decision_moves_the_start() -> None:
    weights = pd.DataFrame(np.nan, index=DAYS, columns=["A"])
    weights.iloc[4:] = 1.0
    period = Period(DAYS[0], DAYS[-1], "note", "the requested start", "the last date of A")
    moved = start_at_first_decision(period, weights, "rule")
    assert moved.start == DAYS[4] and moved.end == DAYS[-1]
    assert "first_decision" in moved.start_reason and "the last date of A" in moved.note
    early = Period(DAYS[6], DAYS[-1], "note", "the requested start", "end")
    assert start_at_first_decision(early, weights, "rule") is early
    with pytest.raises(DataQualityError, match="no decision"):
        start_at_first_decision(period, pd.DataFrame(np.nan, index=DAYS, columns=["A"]), "rule")


def test_terminal_lines_fit_the_budget_and_say_what_is_left_out() -> None:
    head = [f"table {i}" for i in range(14)]
    blocks = [[f"verdict {i} a", f"verdict {i} b", f"verdict {i} c"] for i in range(6)]
    shown = terminal_lines(head, blocks[:1], blocks[1:], tail=2, verbose=False)
    assert len(shown) + 2 <= MAX_LINES
    assert shown[:14] == head and shown[14:17] == blocks[0]
    printed = len(shown) - 14 - 1
    assert printed == 6 and shown[-1].startswith(f"({18 - printed} more line(s)")
    everything = terminal_lines(head, blocks[:1], blocks[1:], tail=2, verbose=True)
    assert len(everything) == 14 + 18
    short = terminal_lines(head[:3], blocks[:1], [], tail=2, verbose=False)
    assert short == head[:3] + blocks[0]  # everything fits: nothing announced as left out


def _slow_rule(length: int):
    """IWM above its `length`-session average, else SPY, restating its row every session; it
    declares no lookback, so a long window cannot be met at the period start."""
    import engine as rl

    class Params(rl.Strict):
        window: int = length

    def target_weights(data, params):
        price = data.adj_close["IWM"]
        average = price.rolling(params.window).mean()
        weights = pd.DataFrame(np.nan, index=data.index, columns=["IWM", "SPY"])
        ready = average.notna()
        weights.loc[ready, "IWM"] = (price > average)[ready].astype(float)
        weights.loc[ready, "SPY"] = 1.0 - weights.loc[ready, "IWM"]
        return weights

    return rl.Strategy(
        name="slow_rule",
        description="a rule with an undeclared long lookback",
        params_model=Params,
        tickers=lambda p: ["IWM", "SPY"],
        target_weights=target_weights,
        lookback_sessions=lambda p: 5,
    )


def test_a_warm_up_in_cash_is_stated_and_start_when_skips_it(tmp_path) -> None:
    import engine as rl
    from tests.test_faults import isolated, synthetic_mirror

    mirror = synthetic_mirror(tmp_path / "mirror")
    overrides = [a for a in isolated(tmp_path, mirror) if a != "--set"]
    rule = _slow_rule(60)
    r = rl.run(rule, overrides=overrides)
    first = r.first_decision
    index = r.equity.index
    assert r.warmup_sessions == index.get_loc(pd.Timestamp(first)) > 0
    assert r.notes[0].startswith(f"slow_rule held cash for its first {r.warmup_sessions} ")
    assert (r.weights.loc[: pd.Timestamp(first)].fillna(0.0) == 0.0).all().all()
    assert "held cash" in str(r)  # print(r) says it too
    moved = rl.run(rule, overrides=[*overrides, "backtest.start_when=first_decision"])
    assert moved.period[0] == first and moved.warmup_sessions == 0
    assert moved.equity.index[0] == pd.Timestamp(first)  # the benchmarks start there too
    assert not any("held cash" in n for n in moved.notes)
