"""`signals`: the allocation each rule wants now, when it last changed, and its words."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from engine.api.signal_view import _fill_date, compute_signal, latest_change, render_signal
from engine.calendar import nyse_sessions
from engine.cli.main import main
from engine.config.run_config import load_config
from engine.paths import PROJECT_ROOT
from strategies import discover
from tests.helpers import MIRROR, mirror_overrides

STRATEGIES = discover()


def test_latest_change_skips_rebalances_of_the_same_allocation():
    index = nyse_sessions("2024-01-02", "2024-01-12")
    w = pd.DataFrame(np.nan, index=index, columns=["IWM", "SPY"])
    w.iloc[0] = [1.0, 0.0]
    w.iloc[2] = [0.5, 0.5]
    w.iloc[4] = [1.0, 0.0]  # the current allocation starts here
    w.iloc[6] = [1.0, 0.0]  # a rebalance: not a change
    wanted, decided = latest_change(w)
    assert wanted == {"IWM": 1.0} and decided == index[4]
    assert latest_change(w.iloc[:0]) == ({}, None)


def test_fill_date_past_the_data_uses_the_nyse_calendar():
    index = nyse_sessions("2026-08-17", "2026-08-21")
    assert _fill_date(index[-1], index, 1) == pd.Timestamp("2026-08-24")  # Friday -> Monday
    assert _fill_date(index[1], index, 2) == index[3]
    assert _fill_date(pd.Timestamp("2026-12-24"), pd.DatetimeIndex(["2026-12-24"]), 1) == (
        pd.Timestamp("2026-12-28")  # Christmas skipped
    )


def _cfg(strategy, tmp_path):
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    return load_config(strategy, overrides=mirror_overrides(tmp_path))


def test_rsi_trim_signal_on_the_mirror_matches_its_last_switch(tmp_path):
    strategy = STRATEGIES["rsi_trim"]
    cfg = _cfg(strategy, tmp_path)
    signal = compute_signal(strategy, cfg, PROJECT_ROOT)
    assert signal.data_end == dt.date(2026, 8, 21)  # the mirror's last IWM/SPY close
    # independently: the strategy's own switch table, on the same data
    from engine.simulate.pipeline import load_data_for

    data = load_data_for(strategy, cfg, PROJECT_ROOT).select(end="2026-08-21")
    last = strategy.tables(data, cfg.params)["switches"].iloc[-1]
    trimmed = last["action"] == "trim"
    assert signal.decided == last.name.date()
    assert signal.wanted == ({"IWM": 0.5, "SPY": 0.5} if trimmed else {"IWM": 1.0})
    assert signal.filled == nyse_sessions(last.name + pd.Timedelta(days=1), "2026-12-31")[0].date()
    from strategies.rsi_trim import rsi

    latest = rsi(data, cfg.params).iloc[-1]  # the strategy's own words name the latest RSI
    assert signal.explained and f"RSI(14) of IWM {latest:.1f}" in signal.inputs
    text = render_signal(signal)
    assert "data through 2026-08-21" in text and f"since the close of {signal.decided}" in text


def test_explain_words_are_used_and_see_no_session_after_the_data_end(tmp_path):
    seen = {}

    def explain(data, params):
        seen["last"] = data.index[-1]
        return {"inputs": "RSI(14) of IWM 61.0 <= 70", "next_decision": "every session"}

    strategy = dataclasses.replace(STRATEGIES["rsi_trim"], explain=explain)
    signal = compute_signal(strategy, _cfg(strategy, tmp_path), PROJECT_ROOT)
    assert seen["last"] == pd.Timestamp("2026-08-21")
    assert signal.explained and signal.inputs == "RSI(14) of IWM 61.0 <= 70"
    assert signal.next_decision == "every session"


def test_unknown_strategy_exits_2_with_a_did_you_mean(capsys):
    assert main(STRATEGIES, ["signals", "first10day"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'first10days'?" in err and "rsi_trim" in err
    assert main(STRATEGIES, ["signals", "rsi_trim", "fixed_mix", "--set", "n=10"]) == 2


def test_signals_command_on_the_mirror_states_first10days_decision(tmp_path, capsys):
    """2026 is an IWM year on the mirror; the next decision is the 10th session of 2027."""
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    sets = [a for o in mirror_overrides(tmp_path) for a in ("--set", o)]
    assert main(STRATEGIES, ["signals", "first10days", *sets]) == 0
    out = capsys.readouterr().out
    assert out.startswith("first10days: data through 2026-08-21")
    assert "wants: IWM 100%" in out and "over the first 10 sessions of 2026: lead" in out
    assert "next decision: 2027-01-15" in out


def test_signals_api_gives_one_signal_per_strategy(tmp_path):
    from engine.api.signal_view import signals

    chosen = {n: STRATEGIES[n] for n in ("rsi_trim", "fixed_mix")}
    configs = {n: _cfg(s, tmp_path) for n, s in chosen.items()}
    got = signals(chosen, PROJECT_ROOT, configs)
    assert [s.strategy for s in got] == ["rsi_trim", "fixed_mix"]
    mix = got[1]
    assert mix.wanted == pytest.approx({"SPY": 0.3, "QQQ": 0.2, "IWM": 0.35, "XLI": 0.075,
                                        "XLF": 0.075})  # fmt: skip


def test_rl_signals_is_the_command_s_path(tmp_path, capsys):
    """`rl.signals` returns what `run_backtest.py signals` prints, with the same refusals."""
    import engine as rl

    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    sets = mirror_overrides(tmp_path)
    (got,) = rl.signals("rsi_trim", overrides=sets)
    assert main(STRATEGIES, ["signals", "rsi_trim", *[a for o in sets for a in ("--set", o)]]) == 0
    assert capsys.readouterr().out.strip() == render_signal(got)
    with pytest.raises(rl.BadInputError, match="did you mean 'rsi_trim'"):
        rl.signals("rsi_trm")
    with pytest.raises(ValueError, match="need exactly one STRATEGY"):
        rl.signals(["rsi_trim", "fixed_mix"], overrides=["n=10"])
