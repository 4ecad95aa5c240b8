"""Config: defaults, the TOML files, overrides and refusals that name the key and the rule."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from engine.config.run_config import (
    apply_overrides,
    build_config,
    load_config,
    parse_override,
    read_toml,
)
from engine.errors import ConfigError
from strategies import discover

STRATEGIES = discover()
FIRST10 = STRATEGIES["first10days"]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_each_default_toml_states_exactly_the_built_in_defaults(name):
    """The model defaults are the reference; the shipped TOML must not drift from them."""
    strategy = STRATEGIES[name]
    from_file = load_config(strategy)
    from_models = build_config(strategy, {})
    assert from_file.as_dict() == from_models.as_dict()


def test_overrides_change_values_with_toml_types():
    cfg = load_config(
        FIRST10,
        overrides=[
            "lead_days=15",
            "anchor=first_close",
            "backtest.start=2005-01-03",
            "backtest.fees_bps=2.5",
            "lead.IWM=0.5",
            'universe=["SPY", "IWM"]',
        ],
    )
    assert cfg.params.lead_days == 15
    assert cfg.params.anchor == "first_close"
    assert cfg.backtest.start == dt.date(2005, 1, 3)
    assert cfg.backtest.fees_bps == 2.5
    assert cfg.params.lead == {"IWM": 0.5}
    assert cfg.params.universe == ["SPY", "IWM"]


def test_effective_config_round_trips_through_toml():
    cfg = load_config(FIRST10, overrides=["horizon=60", "backtest.end=2020-12-31"])
    doc = tomllib.loads(cfg.to_toml())
    assert doc["horizon"] == 60
    assert doc["backtest"]["end"] == "2020-12-31"
    again = build_config(FIRST10, doc)
    assert again.as_dict() == cfg.as_dict()


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("lead_day=15", r"unknown key 'lead_day'; did you mean 'lead_days'\?"),
        ("backtest.fee_bps=3", r"unknown key 'backtest.fee_bps'; did you mean 'fees_bps'\?"),
        ("lead_days=0", r"lead_days = 0 is refused: .*greater than or equal to 1"),
        ("lead_days=ten", r"lead_days = 'ten' is refused"),
        ("backtest.fees_bps=-1", r"backtest.fees_bps = -1 is refused"),
        ("anchor=open", r"anchor = 'open' is refused: .*prior_close"),
        ("backtest.end=1999-01-01", r"end \(1999-01-01\) must be after start"),
        ("data.providers=[]", r"data.providers"),
        ('data.providers=["cache", "cache"]', r"each provider may appear once"),
        ("backtest.lag=0", r"backtest.lag = 0 is refused"),
    ],
)
def test_bad_values_are_refused_naming_key_value_and_rule(override, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(FIRST10, overrides=[override])


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as info:
        load_config(FIRST10, overrides=["lead_days=0", "backtest.lag=99"])
    assert "lead_days" in str(info.value) and "backtest.lag" in str(info.value)


@pytest.mark.parametrize("text", ["lead_days", "=5", "a..b=1"])
def test_malformed_overrides_are_refused(text):
    with pytest.raises(ConfigError, match="--set"):
        parse_override(text)


def test_override_into_a_value_is_refused():
    with pytest.raises(ConfigError, match="'lead_days' is a value, not a section"):
        apply_overrides({"lead_days": 10}, ["lead_days.x=1"])


def test_config_file_replaces_the_default(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("lead_days = 5\n[backtest]\nstart = 2010-01-04\n")
    cfg = load_config(FIRST10, config_file=path)
    assert cfg.params.lead_days == 5
    assert cfg.params.anchor == "prior_close"  # untouched keys keep the built-in defaults
    assert cfg.backtest.start == dt.date(2010, 1, 4)


def test_broken_or_missing_config_files_are_named(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("lead_days = = 3\n")
    with pytest.raises(ConfigError, match=r"bad.toml is not valid TOML"):
        read_toml(bad)
    with pytest.raises(ConfigError, match=r"does not exist"):
        read_toml(tmp_path / "absent.toml")


def test_benchmarks_are_validated():
    with pytest.raises(ConfigError, match=r"benchmarks.0.weights"):
        build_config(FIRST10, {"benchmarks": [{"name": "x", "weights": {"SPY": 2.0}}]})
    with pytest.raises(ConfigError, match=r"benchmarks.0.rebalance"):
        build_config(
            FIRST10, {"benchmarks": [{"name": "x", "weights": {"SPY": 1.0}, "rebalance": "daily"}]}
        )
