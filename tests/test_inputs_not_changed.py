"""Inputs are never quietly changed, and a refusal blames the right thing."""

from __future__ import annotations

import pytest

import engine as rl
from engine.calendar import nyse_sessions
from engine.errors import BadInputError, ConfigError
from engine.tuning.grid import build_grid
from engine.tuning.walk_forward import WalkForwardSpec, splits
from strategies import discover

RSI_TRIM = discover()["rsi_trim"]


def test_a_repeated_grid_key_is_refused_not_replaced() -> None:
    base = RSI_TRIM.params_model()
    with pytest.raises(ConfigError) as caught:
        build_grid(RSI_TRIM.params_model, base, ["upper=70,75", "upper=80"])
    assert str(caught.value) == (
        "--grid upper is given twice (70,75 and 80); give all its values in one "
        "--grid upper=V1,V2,..."
    )
    grid = build_grid(RSI_TRIM.params_model, base, ["upper=80,85"], {"upper": [70, 75]})
    assert grid.table()["upper"].tolist() == [80, 85]  # the command line replaces [sweep]


def test_a_test_span_longer_than_the_data_is_refused_not_shortened() -> None:
    index = nyse_sessions("2009-01-02", "2016-12-30")
    with pytest.raises(BadInputError) as caught:
        splits(index, index, WalkForwardSpec.parse("train=2y,test=10y"))
    message = str(caught.value)
    assert "the first test window would run 2011-01-02..2021-01-01" in message
    assert "past the end of the data (2016-12-30); shorten train or test" in message
    whole = splits(index, index, WalkForwardSpec.parse("train=4y,test=4y"))
    assert len(whole) == 1  # exactly fits: 2013-01-02..2016-12-30
    assert index[whole[0].test_end] == index[-1]


def test_a_repeated_grid_key_exits_2_from_the_cli(capsys) -> None:
    from engine.cli.main import main

    code = main(discover(), ["sweep", "rsi_trim", "--grid", "upper=70", "--grid", "upper=80"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --grid upper is given twice")
    with pytest.raises(BadInputError, match="given twice"):
        rl.sweep("rsi_trim", grid=["upper=70", "upper=80"])


@pytest.fixture
def mirror_data(tmp_path) -> list[str]:
    from tests.helpers import MIRROR

    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    return [
        f"data.cache_dir='{tmp_path / 'cache'}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
    ]


@pytest.mark.parametrize("date", ["2099-06-01", "1920-01-02"])
def test_a_claim_date_outside_the_data_is_refused(mirror_data, date) -> None:
    """Once answered with the last session's (or the first's) value as if it were that day's."""
    with pytest.raises(BadInputError) as caught:
        rl.claim("rsi_overbought", date=date, overrides=mirror_data)
    message = str(caught.value)
    assert message.startswith(f"claim rsi_overbought: date = {date} is outside the data")
    assert "give a date in that range" in message


@pytest.mark.parametrize("address", ["not a url", "http://", "tcp://host", "host:port"])
def test_a_scheduler_that_is_not_an_address_is_refused_by_name(address, capsys) -> None:
    from engine.api.sweep_grid import check_scheduler
    from engine.cli.main import main

    with pytest.raises(BadInputError, match="is not a Dask scheduler address; give tcp://"):
        check_scheduler(address)
    code = main(discover(), ["sweep", "rsi_trim", "--executor", "dask", "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2 and "is not a Dask scheduler address" in err
    assert "unexpected failure" not in err
    for good in ("tcp://127.0.0.1:8786", "tls://scheduler.example:8786", "localhost:8786"):
        check_scheduler(good)


def test_more_workers_than_cores_are_capped_with_a_word(monkeypatch, capsys) -> None:
    import importlib

    sweep = importlib.import_module("engine.api.sweep_grid")  # the module, not rl.sweep
    monkeypatch.setattr(sweep.os, "cpu_count", lambda: 2)
    assert sweep.usable_workers(64, "local", None) == 2
    assert "--workers 64 is more than this machine's 2 core(s); using 2" in capsys.readouterr().err
    assert sweep.usable_workers(2, "local", None) == 2
    assert sweep.usable_workers(None, "local", None) is None
    assert sweep.usable_workers(64, "dask", "tcp://h:8786") == 64  # a cluster has its own cores
    assert capsys.readouterr().err == ""
