"""A strategy's own code is checked before the engine (and its compiled kernels) trusts it.

Every answer of user code (decide, target_weights, tickers, lookback_sessions) is checked for
type, shape and range; every error names the strategy and its file; the data a rule receives
is its own (changing it in place changes nothing else); a module that exits on import cannot
end the command with success.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

import engine as rl
from engine.decisions.batch import Decisions
from engine.decisions.strategy import Strategy, single_combination
from engine.errors import BadInputError, RotationLabError
from tests.helpers import market_data, random_walk

DATA = market_data(random_walk(["SPY", "IWM"], "2020-01-01", "2020-06-30"))


class Params(rl.Strict):
    weight: float = Field(default=1.0, ge=0.0, le=1.0)


def _hold(data, params, table) -> Decisions:
    weights = rl.param_values(table, params, "weight").astype(float)
    labels = np.full((len(weights), len(data.index)), -1)
    labels[:, 0] = np.arange(len(weights))
    return Decisions.from_labels(labels, weights[:, None], data.index, ["SPY"])


def _strategy(**fields) -> Strategy:
    base = {
        "name": "probe",
        "description": "test",
        "params_model": Params,
        "tickers": lambda p: ["SPY"],
        "decide": _hold,
    }
    return Strategy(**{**base, **fields})


def _table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"weight": np.linspace(0.1, 1.0, n)})


def test_a_well_behaved_batch_passes_unchanged() -> None:
    decisions = _strategy().batch(DATA, Params(), _table(3))
    assert decisions.n_combos == 3
    assert decisions.palette[decisions.rows, 0].tolist() == pytest.approx([0.1, 0.55, 1.0])


@pytest.mark.parametrize("rows", [1, 5])
def test_decide_returning_more_or_fewer_combinations_is_refused(rows: int) -> None:
    """More rows once crashed the kernel (heap corruption); fewer read uninitialised memory."""

    def wrong(data, params, table):
        return _hold(data, params, _table(rows))

    strategy = _strategy(decide=wrong)
    with pytest.raises(BadInputError) as caught:
        strategy.batch(DATA, Params(), _table(3))
    message = str(caught.value)
    assert f"{rows} combination(s) where the table has 3 row(s)" in message
    assert "'probe'" in message and __file__ in message


def test_a_sweep_chunk_with_a_wrong_row_count_is_refused_before_compiled_code() -> None:
    from engine.tuning.batch import BatchCore, Chunk
    from engine.tuning.windows import Window

    def wrong(data, params, table):
        return _hold(data, params, _table(len(table) + 7))

    strategy = _strategy(decide=wrong)
    cfg = rl_config(strategy)
    core = BatchCore(strategy, cfg, DATA)
    chunk = Chunk(_table(4), np.zeros(4, dtype=np.int64))
    with pytest.raises(BadInputError, match="11 combination"):
        core.run(chunk, Window.of(10, len(DATA.index) - 1))


def rl_config(strategy: Strategy):
    from engine.config.run_config import load_config

    return load_config(strategy)


@pytest.mark.parametrize(
    ("positions", "rows", "expected"),
    [
        ([0, 500], [0, 0], "session position is outside"),
        ([-1], [0], "session position is outside"),
        ([0], [3], "palette row 3"),
        ([5, 2], [0, 0], "positions must increase"),
    ],
)
def test_out_of_range_positions_and_rows_are_refused(positions, rows, expected) -> None:
    def wrong(data, params, table):
        return Decisions(
            data.index,
            ("SPY",),
            np.array([[1.0]]),
            np.array([0, len(positions)]),
            np.array(positions),
            np.array(rows),
        )

    with pytest.raises(BadInputError, match=expected):
        _strategy(decide=wrong).weights(DATA, Params())


def test_float_offsets_a_foreign_index_and_an_unknown_ticker_are_refused() -> None:
    def floats(data, params, table):
        d = _hold(data, params, table)
        return Decisions(
            d.index, d.columns, d.palette, d.offsets.astype(float), d.positions, d.rows
        )

    with pytest.raises(BadInputError, match="offsets must hold integers"):
        _strategy(decide=floats).weights(DATA, Params())

    def shifted(data, params, table):
        return _hold(market_data(data.adj_close.iloc[1:]), params, table)

    with pytest.raises(BadInputError, match=r"not on data\.index"):
        _strategy(decide=shifted).weights(DATA, Params())

    def foreign(data, params, table):
        labels = np.zeros((len(table), len(data.index)), dtype=np.int64)
        return Decisions.from_labels(labels, np.array([[1.0]]), data.index, ["QQQ"])

    with pytest.raises(BadInputError, match="'QQQ'"):
        _strategy(decide=foreign).weights(DATA, Params())

    expected = r"returned dict; return engine\.decisions\.batch\.Decisions"
    with pytest.raises(BadInputError, match=expected):
        _strategy(decide=lambda d, p, t: {}).weights(DATA, Params())


def test_a_strategy_changing_its_data_in_place_changes_nothing_else() -> None:
    data = market_data(random_walk(["SPY", "IWM"], "2020-01-01", "2020-06-30"))
    before = data.adj_close.copy()

    def vandal(data, params, table):
        with pytest.raises(ValueError, match="read-only"):
            data.adj_close.to_numpy()[0, 0] = 5.0
        data.adj_close.iloc[:, 0] = 1.0
        data.adj_close["IWM"] *= 10
        data.fields["adj_close"]["NEW"] = 3.0
        return _hold(data, params, table)

    _strategy(decide=vandal).weights(data, Params())
    pd.testing.assert_frame_equal(data.adj_close, before)


def test_tickers_of_the_wrong_type_name_the_strategy_and_its_file() -> None:
    strategy = _strategy(tickers=lambda p: "SPY")
    with pytest.raises(BadInputError) as caught:
        strategy.tickers(Params())
    assert "'probe'" in str(caught.value) and __file__ in str(caught.value)
    assert "returned 'SPY'; return a list of ticker strings" in str(caught.value)
    with pytest.raises(BadInputError, match="returned 3 among its tickers"):
        _strategy(tickers=lambda p: ["SPY", 3]).tickers(Params())
    with pytest.raises(BadInputError, match="whole number of sessions"):
        _strategy(lookback_sessions=lambda p: 2.5).lookback_sessions(Params())
    with pytest.raises(BadInputError, match="return 0 to 100000"):
        _strategy(lookback_sessions=lambda p: -1).lookback_sessions(Params())


def test_an_exception_in_user_code_names_the_strategy_function_and_file() -> None:
    def broken(data, params, table):
        return data.no_such_attribute

    with pytest.raises(RotationLabError) as caught:
        _strategy(decide=broken).weights(DATA, Params())
    message = str(caught.value)
    assert message.startswith("strategy 'probe' (")
    assert "failed in decide(): AttributeError" in message and __file__ in message
    assert caught.value.exit_code == 1


def test_missing_or_non_callable_methods_are_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="needs decide or target_weights"):
        _strategy(decide=None)
    with pytest.raises(TypeError, match="tickers must be a function, not list"):
        _strategy(tickers=["SPY"])
    with pytest.raises(BadInputError, match="control character"):
        _strategy(name="bad\nname")


def test_checked_calls_survive_replace_and_pickling() -> None:
    import dataclasses
    import pickle

    strategy = _strategy(tickers=_tickers)
    again = dataclasses.replace(strategy, description="other")
    assert again.tickers.function is _tickers  # wrapped once, not twice
    assert pickle.loads(pickle.dumps(strategy.tickers))(Params()) == ["SPY"]
    assert single_combination().shape == (1, 0)


def _tickers(params) -> list[str]:
    return ["SPY"]


# --------------------------------------------------------------------------- strategy files

STRATEGY_FILE = """
import numpy as np
import engine as rl
from engine.decisions.batch import Decisions


class P(rl.Strict):
    pass


def decide(data, params, table):
    labels = np.zeros((len(table), len(data.index)), dtype=np.int64)
    return Decisions.from_labels(labels, np.array([[1.0]]), data.index, ["SPY"])


STRATEGY = rl.Strategy(
    name={name!r}, description="d", params_model=P, tickers=lambda p: ["SPY"], decide=decide
)
"""


def _cli(argv: list[str], capsys) -> tuple[int, str]:
    from engine.cli.main import main
    from strategies import discover

    code = main(discover(), argv)
    return code, capsys.readouterr().err


def test_a_module_calling_sys_exit_on_import_does_not_end_the_command_with_success(
    tmp_path, capsys
) -> None:
    (tmp_path / "quitter.py").write_text("import sys\nsys.exit(0)\n", encoding="utf-8")
    code, err = _cli(["--strategies-dir", str(tmp_path), "list"], capsys)
    assert code == 2
    assert err.startswith(f"error: strategy file {tmp_path / 'quitter.py'} called sys.exit(0)")
    with pytest.raises(BadInputError, match=r"called sys\.exit"):
        rl.load_strategies(tmp_path)


def test_a_strategy_named_like_a_command_names_its_file(tmp_path, capsys) -> None:
    path = tmp_path / "mine.py"
    path.write_text(STRATEGY_FILE.format(name="list"), encoding="utf-8")
    code, err = _cli(["--strategies-dir", str(tmp_path), "list"], capsys)
    assert code == 2
    assert f"the strategy in {path} is named 'list', like a command; rename it" in err
    assert "unexpected failure" not in err


def test_a_symlink_loop_among_strategy_files_is_named(tmp_path, capsys) -> None:
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    code, err = _cli(["--strategies-dir", str(tmp_path), "list"], capsys)
    assert code == 2 and "cannot be opened" in err and "a.py" in err
    assert len(err.strip().splitlines()) == 1
