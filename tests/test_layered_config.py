"""Shared defaults in layers: engine/config/defaults.toml <- user file <- --defaults FILE <- the
strategy's TOML (or --config) <- --set; the effective config stays complete."""

from __future__ import annotations

import tomllib

import pytest

from engine.api.comparison import build_contenders
from engine.cli.main import main
from engine.config.run_config import SHARED_DEFAULTS, USER_DEFAULTS_ENV, build_config, load_config
from engine.config.settings import (
    DEFAULT_BENCHMARKS,
    BacktestSettings,
    DataSettings,
    ReportSettings,
)
from engine.errors import ConfigError
from strategies import discover
from tests.helpers import MIRROR, mirror_overrides

STRATEGIES = discover()
SHARED = ("backtest", "data", "report")


@pytest.fixture(autouse=True)
def no_user_file(monkeypatch, tmp_path):
    """No user defaults file leaks in from the machine running the tests."""
    monkeypatch.delenv(USER_DEFAULTS_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def test_the_project_defaults_file_states_exactly_the_model_defaults():
    doc = tomllib.loads(SHARED_DEFAULTS.read_text(encoding="utf-8"))
    assert set(doc) == {*SHARED, "benchmarks"}
    for name, model in (("data", DataSettings), ("report", ReportSettings)):
        assert model.model_validate(doc[name]) == model()
        assert set(doc[name]) == set(model.model_fields)  # every key is stated
    backtest = dict(doc["backtest"], end=None)  # "latest" in the file
    assert BacktestSettings.model_validate(backtest) == BacktestSettings()
    assert set(doc["backtest"]) == set(BacktestSettings.model_fields)
    assert doc["benchmarks"] == [b.model_dump(mode="json") for b in DEFAULT_BENCHMARKS]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_files_hold_their_rule_and_only_what_they_change(name):
    strategy = STRATEGIES[name]
    doc = tomllib.loads(strategy.default_config.read_text(encoding="utf-8"))
    assert not set(doc) & set(SHARED), "shared sections live in engine/config/defaults.toml"
    if "benchmarks" in doc:  # kept only where they differ from the shared ones
        assert doc["benchmarks"] != [b.model_dump(mode="json") for b in DEFAULT_BENCHMARKS]
    cfg = load_config(strategy).as_dict()  # still complete
    for section, model in (("backtest", BacktestSettings), ("data", DataSettings)):
        assert set(cfg[section]) == set(model.model_fields)


def _write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_defaults_file_changes_fees_for_every_strategy(tmp_path):
    mine = _write(tmp_path / "mine.toml", "[backtest]\nfees_bps = 7.0\n")
    for strategy in STRATEGIES.values():
        before = load_config(strategy)
        after = load_config(strategy, defaults_file=mine)
        assert (before.backtest.fees_bps, after.backtest.fees_bps) == (1.0, 7.0)
        assert after.params == before.params and after.data == before.data
        assert after.backtest.slippage_bps == before.backtest.slippage_bps  # merged, not replaced
    contenders = build_contenders(["first10days", "rsi_trim"], STRATEGIES, defaults_file=mine)
    assert [c.cfg.backtest.fees_bps for c in contenders] == [7.0, 7.0]


def test_layers_override_in_order(tmp_path, monkeypatch):
    user = _write(tmp_path / "user.toml", "[backtest]\nfees_bps = 4.0\nslippage_bps = 4.0\n")
    monkeypatch.setenv(USER_DEFAULTS_ENV, str(user))
    given = _write(tmp_path / "given.toml", "[backtest]\nslippage_bps = 9.0\n")
    own = _write(tmp_path / "own.toml", "lead_days = 5\n[backtest]\nlag = 2\n")
    strategy = STRATEGIES["first10days"]
    cfg = load_config(strategy, own, ["backtest.lag=3"], defaults_file=given)
    assert cfg.backtest.fees_bps == 4.0  # the user file
    assert cfg.backtest.slippage_bps == 9.0  # --defaults over the user file
    assert cfg.params.lead_days == 5  # --config replaces the strategy's TOML
    assert cfg.backtest.lag == 3  # --set over everything
    assert load_config(strategy, values={"backtest": {"lag": 4}}).backtest.lag == 4


def test_benchmarks_are_replaced_whole_and_a_rules_own_benchmarks_stay(tmp_path):
    mine = _write(tmp_path / "mine.toml", '[[benchmarks]]\nname = "QQQ"\nweights = { QQQ = 1.0 }\n')
    assert [
        b.name for b in load_config(STRATEGIES["first10days"], defaults_file=mine).benchmarks
    ] == ["QQQ"]
    own = load_config(STRATEGIES["first_five_days"], defaults_file=mine).benchmarks
    assert [b.name for b in own][-1] == "BIL buy & hold"
    assert (
        load_config(STRATEGIES["first_five_days"]).benchmarks
        == build_config(STRATEGIES["first_five_days"], {}).benchmarks
    )


def test_a_defaults_file_holds_only_shared_sections(tmp_path):
    bad = _write(tmp_path / "bad.toml", "lead_days = 5\n[backtest]\nfees_bps = 2.0\n")
    with pytest.raises(ConfigError, match=r"bad.toml: 'lead_days' cannot be set there"):
        load_config(STRATEGIES["first10days"], defaults_file=bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(STRATEGIES["first10days"], defaults_file=tmp_path / "absent.toml")
    wrong = _write(tmp_path / "wrong.toml", "[backtest]\nfees_bps = -2.0\n")
    with pytest.raises(ConfigError, match=r"backtest.fees_bps = -2.0 is refused"):
        load_config(STRATEGIES["rsi_trim"], defaults_file=wrong)


@pytest.mark.realdata
def test_the_cli_defaults_option_reaches_the_run(tmp_path, capsys):
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    mine = _write(tmp_path / "mine.toml", "[backtest]\nfees_bps = 7.0\n")
    argv = ["fixed_mix", "--defaults", str(mine), "--no-report", "--verbose"]  # notes: all
    argv += [x for o in mirror_overrides(tmp_path) for x in ("--set", o)]
    assert main(STRATEGIES, argv) == 0
    assert "fees 7 bps and slippage 1 bps" in " ".join(capsys.readouterr().out.split())
    bad = _write(tmp_path / "bad.toml", "lead_days = 5\n")
    assert main(STRATEGIES, ["first10days", "--defaults", str(bad), "--no-report"]) == 2
    assert "cannot be set there" in capsys.readouterr().err


def test_python_values_are_the_top_layer_and_are_checked_like_the_cli():
    from engine.api.inputs import config_for, section_values

    strategy = STRATEGIES["first10days"]
    values = section_values(
        {"lead_days": 12},
        backtest={"start": "2010-01-04"},
        benchmarks=[{"name": "QQQ", "weights": {"QQQ": 1.0}}],
    )
    cfg = config_for(strategy, overrides=["lead_days=15", "backtest.fees_bps=2"], values=values)
    assert cfg.params.lead_days == 12  # keywords over --set strings
    assert cfg.backtest.fees_bps == 2.0 and str(cfg.backtest.start) == "2010-01-04"
    assert [b.name for b in cfg.benchmarks] == ["QQQ"]
    with pytest.raises(ValueError, match=r"backtest= must be a dict"):
        section_values(backtest=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"--set 'lead_days': expected KEY=VALUE"):
        config_for(strategy, overrides="lead_days")
