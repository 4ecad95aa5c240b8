"""Grid specs: ranges, lists, [sweep] tables, checks that name the parameter and the rule."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.tuning.grid import build_grid, find_row, parse_axis, parse_range, parse_values
from tests.tuning.conftest import RSI_TRIM, STRATEGIES

MODEL = RSI_TRIM.params_model
BASE = MODEL()


def test_ranges_include_both_ends_and_keep_integers_integers():
    assert parse_range("60:85:5") == [60, 65, 70, 75, 80, 85]
    assert parse_range("7:21:7") == [7, 14, 21]
    assert parse_range("1:4") == [1, 2, 3, 4]
    assert parse_range("0.1:0.5:0.1") == [0.1, 0.2, 0.3, 0.4, 0.5]  # no 0.30000000000000004
    assert parse_range("60:84:5") == [60, 65, 70, 75, 80]  # 84 is not on the step
    assert all(isinstance(v, int) for v in parse_range("60:85:5"))
    assert parse_range("SPY") is None


def test_lists_and_single_values_are_read_like_set():
    assert parse_values("30,40,50") == [30, 40, 50]
    assert parse_values("SPY, cash") == ["SPY", "cash"]
    assert parse_values("72.5") == [72.5]
    axis = parse_axis("lower=30,40,50")
    assert (axis.name, axis.values, axis.spec) == ("lower", (30, 40, 50), "30,40,50")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("upper=85:60:5", "below the start"),
        ("upper=60:85:0", "step must be positive"),
        ("upper", "expected NAME=VALUES"),
        ("lower=30,,50", "an item is empty"),
    ],
)
def test_bad_specs_are_refused(text, message):
    with pytest.raises(ConfigError, match=message):
        build_grid(MODEL, BASE, [text])


def test_values_are_checked_against_the_parameter_naming_it():
    with pytest.raises(ConfigError, match=r"grid value n = 1 is refused: .*greater than or equal"):
        build_grid(MODEL, BASE, ["n=1:3"])
    with pytest.raises(ConfigError, match=r"grid value n = 7.5 is refused"):
        build_grid(MODEL, BASE, ["n=7.5"])
    with pytest.raises(ConfigError, match=r"'uper'.*did you mean 'upper'"):
        build_grid(MODEL, BASE, ["uper=60:80:5"])
    with pytest.raises(ConfigError, match="repeats a value"):
        build_grid(MODEL, BASE, ["n=7,7"])
    with pytest.raises(ConfigError, match="no parameter grid"):
        build_grid(MODEL, BASE, [])


def test_the_grid_is_the_cartesian_product_in_order():
    grid = build_grid(MODEL, BASE, ["upper=60:85:5", "lower=30,40,50", "n=7:21:7"])
    assert grid.size == 6 * 3 * 3 == 54
    table = grid.table()
    assert len(table) == 54
    assert table.iloc[0].to_dict() == {"upper": 60.0, "lower": 30.0, "n": 7}
    assert table.iloc[1].to_dict() == {"upper": 60.0, "lower": 30.0, "n": 14}
    assert table.iloc[-1].to_dict() == {"upper": 85.0, "lower": 50.0, "n": 21}
    assert str(table["n"].dtype) == "int64" and str(table["upper"].dtype) == "float64"
    assert find_row(table, {"upper": 70.0, "lower": 50, "n": 14}) == 2 * 9 + 2 * 3 + 1
    assert find_row(table, {"upper": 71.0, "lower": 50, "n": 14}) is None


def test_the_config_table_is_used_and_the_command_line_replaces_its_axes():
    toml_sweep = {"upper": "60:70:5", "lower": [30, 40], "destination": ["SPY", "Cash"]}
    grid = build_grid(MODEL, BASE, ["lower=45"], toml_sweep)
    axes = {a.name: a.values for a in grid.axes}
    assert axes == {
        "upper": (60.0, 65.0, 70.0),
        "lower": (45.0,),
        "destination": ("SPY", "cash"),  # normalised by the model's own validator
    }
    with pytest.raises(ConfigError, match=r"\[sweep\] names 'sped'"):
        build_grid(MODEL, BASE, [], {"sped": [1]})


def test_any_strategy_parameter_can_be_swept():
    first10 = STRATEGIES["first10days"]
    grid = build_grid(
        first10.params_model,
        first10.params_model(),
        ["lead_days=5:15:5", "anchor=prior_close,first_close", "horizon=year_end,60"],
    )
    assert grid.size == 12
    assert {a.name: a.values for a in grid.axes}["horizon"] == ("year_end", 60)


def test_an_axis_of_weight_maps_builds_and_refuses_repeats():
    """Dicts are swept too (fixed_mix's weights); two equal maps are a repeated value."""
    fixed_mix = STRATEGIES["fixed_mix"]
    base = fixed_mix.params_model()
    maps = [{"SPY": 0.6, "IWM": 0.4}, {"SPY": 0.7, "IWM": 0.3}]
    grid = build_grid(fixed_mix.params_model, base, (), {"weights": maps, "band": [0.0, 0.05]})
    assert grid.size == 4 and list(grid.table()["weights"]) == [maps[0], maps[0], maps[1], maps[1]]
    with pytest.raises(ConfigError, match="grid axis weights repeats a value"):
        build_grid(fixed_mix.params_model, base, (), {"weights": [maps[0], dict(maps[0])]})
