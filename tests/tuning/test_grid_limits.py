"""A grid's size is computed from its axes before anything is built, and a grid above the limit
is refused with its count, a time and a disk estimate; hostile grid values are refused."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.errors import ConfigError
from engine.tuning import grid as grid_module
from engine.tuning.grid import BYTES_PER_COMBINATION, FAST_RATE, build_grid, check_size
from tests.tuning.conftest import RSI_TRIM, STRATEGIES

MODEL = RSI_TRIM.params_model
BASE = MODEL()


def test_ten_million_combinations_are_refused_with_count_time_and_disk():
    axes = ["upper=50.01:99.99:0.05", "lower=1:99.9:0.1", "n=2:12"]  # 1,000 x 990 x 11
    with pytest.raises(ConfigError) as err:
        build_grid(MODEL, BASE, axes)
    count = 1000 * 990 * 11  # upper: (99.99 - 50.01) / 0.05 + 1 = 1000.6 -> 1000; lower: 990
    seconds = count * 6_600 / FAST_RATE
    disk = count * (BYTES_PER_COMBINATION + 8 * 3)
    message = str(err.value)
    assert message.startswith(
        f"the grid has {count:,} combinations (1,000 upper x 990 lower x 11 n), above the limit "
        "of 2,000,000"
    )
    assert f"about {seconds / 60:,.0f} min on the fused kernel" in message  # 10,890,000 -> 10 min
    assert f"up to about {disk / 1e9:,.3g} GB of disk" in message
    assert "raise the limit with --max-combinations" in message


def test_the_size_is_refused_before_any_value_is_validated(monkeypatch: pytest.MonkeyPatch):
    """2.4e11 combinations: refused from the axes' lengths, no value checked, nothing built."""
    checked = []
    monkeypatch.setattr(grid_module, "_checked_value", lambda *a: checked.append(a))
    axes = ["upper=1:99.99:0.001", "lower=1:99.99:0.001", "n=2:250", "cooldown=0:99"]
    with pytest.raises(ConfigError, match=r"the grid has [\d,]+ combinations"):
        build_grid(MODEL, BASE, axes)
    assert checked == []


def test_a_raised_limit_lets_a_large_grid_through():
    axes = ["upper=71:80", "lower=30:39", "n=2:21"]  # 2,000 combinations
    with pytest.raises(ConfigError, match="2,000 combinations"):
        build_grid(MODEL, BASE, axes, max_combinations=1_999)
    assert build_grid(MODEL, BASE, axes, max_combinations=2_000).size == 2_000


def test_check_size_counts_exactly():
    from engine.tuning.grid import Axis

    axes = [Axis("a", tuple(range(7)), ""), Axis("b", tuple(range(13)), "")]
    assert check_size(axes, 91) == 91
    with pytest.raises(ConfigError, match="91 combinations"):
        check_size(axes, 90)


@pytest.mark.parametrize(
    ("axis", "expected"),
    [
        ("upper=60:inf:5", "upper = '60:inf:5' is refused: expected a number, got the text"),
        ("upper=60:1e400:5", "must be finite numbers of at most 1e15"),
        ("upper=1e16:2e16:1e15", "must be finite numbers of at most 1e15"),
        ("n=true,false", "grid value n = True is refused: expected a whole number, got true/false"),
        ('n="14"', "grid value n = '14' is refused: expected a whole number, got the text '14'"),
        ("upper=inf", "grid value upper = inf is refused: expected a finite number, got inf"),
        ("n=" + "9" * 500, "(500 characters) is refused: expected a number between -1e15 and 1e15"),
        ("n=" + "9" * 5000, "(5,002 characters) is refused: expected a whole number, got the text"),
        ("n=7:" + "9" * 5000, "must be finite numbers of at most 1e15"),
        ("n=[" * 3000, "is refused: expected a whole number, got the text"),
    ],
)
def test_hostile_grid_values_are_refused_by_name(axis: str, expected: str):
    with pytest.raises(ConfigError) as err:
        build_grid(MODEL, BASE, [axis])
    message = str(err.value)
    assert len(message) < 400, message
    assert expected in message, message


def test_the_cli_refuses_a_huge_grid_with_exit_2_before_loading_data(tmp_path, capsys):
    argv = ["sweep", "rsi_trim", "--grid", "upper=50.01:99.99:0.05", "--grid", "lower=1:99.9:0.1"]
    argv += ["--grid", "n=2:12", "--set", f"data.cache_dir='{tmp_path / 'never'}'", "--no-report"]
    code = main(STRATEGIES, argv)
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    assert captured.err.startswith("error: the grid has 10,890,000 combinations")
    assert not (tmp_path / "never").exists()
    code = main(STRATEGIES, ["sweep", "rsi_trim", "--grid", "n=7", "--max-combinations", "0"])
    assert code == 2 and "--max-combinations must be between 1" in capsys.readouterr().err


def test_a_heatmap_of_an_unswept_parameter_is_refused_before_any_work(tmp_path, capsys):
    argv = ["sweep", "rsi_trim", "--grid", "upper=70,75", "--grid", "lower=40,50"]
    argv += ["--heatmap", "upper,nosuch", "--set", f"data.cache_dir='{tmp_path / 'never'}'"]
    code = main(STRATEGIES, argv)
    err = capsys.readouterr().err
    assert code == 2 and "'nosuch' is not a swept parameter with two or more values" in err
    assert not (tmp_path / "never").exists()
