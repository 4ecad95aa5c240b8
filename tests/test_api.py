"""The Python API (`import engine as rl`) on the real mirror: each function, its results, its
refusals (the CLI's messages), strategies defined outside the package, and CLI == API."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from pydantic import Field

import engine as rl
from engine.api.report_input import run_strategy
from engine.cli.main import main
from engine.config.run_config import load_config
from engine.decisions.batch import Decisions
from engine.paths import project_root
from strategies import discover
from tests.helpers import MIRROR, mirror_overrides

pytestmark = pytest.mark.realdata

STRATEGIES = discover()


@pytest.fixture(scope="session")
def iso(tmp_path_factory) -> Path:
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    return tmp_path_factory.mktemp("api")


@pytest.fixture(scope="session")
def sections(iso) -> dict:
    """The isolating settings (mirror only, cache and reports in tmp) as API sections."""
    return {
        "data": {
            "cache_dir": str(iso / "cache"),
            "mirror_dir": str(MIRROR),
            "providers": ["cache", "mirror"],
        },
        "report": {"output_dir": str(iso / "reports")},
    }


@pytest.fixture(scope="session")
def first10_15(sections) -> rl.RunResult:
    return rl.run("first10days", lead_days=15, anchor="first_close", **sections)


# --------------------------------------------------------------------------- catalog


def test_rl_lists_every_name_the_api_exports_and_resolves_each_to_it():
    """`engine.__all__` is the one list of the API's names: each resolves (lazily) to the
    object `engine.api` exports, and `engine.api` exports nothing it leaves out."""
    import inspect

    import engine.api

    exported = {
        name
        for name, value in vars(engine.api).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert exported == set(rl.__all__) - {"Decisions", "Strategy", "Strict", "param_values"}
    for name in exported:
        assert getattr(rl, name) is getattr(engine.api, name), name


def test_strategies_lists_the_library_with_parameters_defaults_and_meanings():
    catalog = rl.strategies()
    assert list(catalog) == sorted(STRATEGIES)
    info = catalog["first10days"]
    assert info.description == STRATEGIES["first10days"].description
    assert info.parameters.loc["lead_days", "default"] == 10
    assert info.parameters.loc["lead_days", "meaning"] == "N: the decision session"
    # a meaning the TOML documents in a comment, not the model
    assert "anchor" in info.parameters.loc["universe", "meaning"]
    assert set(info.parameters.index) == set(STRATEGIES["first10days"].params_model.model_fields)
    assert "first10days" in catalog._repr_html_()


# --------------------------------------------------------------------------- run


def test_run_equals_the_pipeline_and_exposes_numeric_results(first10_15, iso):
    r = first10_15
    cfg = load_config(
        STRATEGIES["first10days"],
        overrides=["lead_days=15", "anchor=first_close", *mirror_overrides(iso)],
    )
    reference = run_strategy(STRATEGIES["first10days"], cfg, project_root(), "test")
    expected = reference.stats.drop(index=["start", "end"]).astype(float)
    pd.testing.assert_frame_equal(r.stats, expected, check_names=False, rtol=0, atol=0)
    assert all(dtype == np.float64 for dtype in r.stats.dtypes)
    assert "start" not in r.stats.index and "cagr" in r.stats.index
    assert r.period == (dt.date(2000, 5, 26), reference.period[1])
    assert list(r.equity.columns) == ["first10days", *reference.benchmarks]
    assert r.equity["first10days"].iloc[-1] == pytest.approx(
        r.stats.loc["final_equity", "first10days"]
    )
    np.testing.assert_allclose(r.returns["first10days"], reference.strategy.returns)
    assert r.config.params.lead_days == 15 and r.config.params.anchor == "first_close"
    assert set(r.weights.columns) <= {"SPY", "IWM"}
    assert len(r.orders) > 0 and {"ticker", "side"} <= set(r.orders.columns)
    assert r.yearly.index.min() == 2000
    assert "per_year" in r.tables and len(r.tables["per_year"]) >= 26
    assert "first10days" in r._repr_html_() and "Sharpe" in r._repr_html_()


def test_plot_is_a_figure_and_report_writes_the_folder_once(first10_15, iso):
    fig = first10_15.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    folder = first10_15.report()
    assert folder.parent == iso / "reports" / "first10days"
    assert (folder / "report.html").is_file() and (folder / "stats.csv").is_file()
    assert first10_15.report() == folder  # asking again does not write a second copy


def test_sections_keywords_and_set_strings_are_one_path(sections):
    by_section = rl.run("first10days", backtest={"fees_bps": 5}, **sections)
    by_string = rl.run("first10days", overrides=["backtest.fees_bps=5"], **sections)
    default = rl.run("first10days", **sections)
    assert by_section.config.backtest.fees_bps == 5 == by_string.config.backtest.fees_bps
    final = "final_equity", "first10days"
    assert by_section.stats.loc[final] == by_string.stats.loc[final]
    assert by_section.stats.loc[final] < default.stats.loc[final]  # fees cost money


def test_bad_input_raises_the_documented_error_with_the_cli_message(capsys):
    with pytest.raises(rl.BadInputError) as info:
        rl.run("first10days", lead_days=500)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "lead_days = 500 is refused" in message and "less than or equal to 60" in message
    assert main(STRATEGIES, ["first10days", "--set", "lead_days=500", "--no-report"]) == 2
    assert f"error: {message}" in capsys.readouterr().err  # the CLI prints the same words
    with pytest.raises(ValueError, match=r"unknown strategy 'first10day'; did you mean"):
        rl.run("first10day")
    with pytest.raises(rl.BadInputError, match=r"unknown key 'backtest.fee_bps'"):
        rl.run("first10days", backtest={"fee_bps": 5})


def test_cli_and_api_give_the_same_numbers(first10_15, iso, capsys):
    argv = ["first10days", "--set", "lead_days=15", "--set", "anchor=first_close"]
    argv += [x for o in mirror_overrides(iso) for x in ("--set", o)]
    assert main(STRATEGIES, argv) == 0
    out = capsys.readouterr().out
    folder = Path(next(line for line in out.splitlines() if line.startswith("report: "))[8:])
    cli = pd.read_csv(folder.parent / "stats.csv", index_col=0)
    cli = cli.drop(index=["start", "end"]).astype(float)
    np.testing.assert_allclose(cli.to_numpy(), first10_15.stats.to_numpy(), rtol=1e-12)
    assert list(cli.columns) == list(first10_15.stats.columns)


# --------------------------------------------------------------------------- compare


def test_compare_runs_the_labels_on_one_period(sections):
    c = rl.compare(["first10days", "rsi_trim"], params={"rsi_trim": {"upper": 75}}, **sections)
    assert c.labels == ["first10days", "rsi_trim"]
    assert list(c.stats.columns[:2]) == ["first10days", "rsi_trim"]
    assert all(dtype == np.float64 for dtype in c.stats.dtypes)
    assert c.equity.index[0].date() == c.period[0]
    assert set(c.weights) == {"first10days", "rsi_trim"}
    assert isinstance(c.plot(), Figure)
    folder = c.report()
    assert (folder / "report.html").is_file() and folder.parent.name == "compare"
    with pytest.raises(rl.BadInputError, match="compare needs at least two strategies"):
        rl.compare(["first10days"])
    with pytest.raises(rl.BadInputError, match="not among the compared strategies"):
        rl.compare(["first10days", "rsi_trim"], params={"fixed_mix": {}})


# --------------------------------------------------------------------------- sweep


def test_sweep_table_best_and_statistics_and_the_default_row_equals_a_run(sections):
    grid = {"lookback_days": [10, 20, 30]}  # alone: without the config's [sweep] table
    s = rl.sweep("small_cap_lead", grid, config_grid=False, workers=1, **sections)
    assert list(s.table["lookback_days"]) == [10, 20, 30]
    assert sorted(s.table["rank"]) == [1, 2, 3]
    assert s.best["rank"] == 1 and s.best["sharpe"] == s.table["sharpe"].max()
    assert s.best_params == {"lookback_days": int(s.best["lookback_days"])}
    assert 0.0 <= s.deflated_sharpe <= 1.0
    assert s.pbo is not None and 0.0 <= s.pbo <= 1.0
    alone = rl.run("small_cap_lead", **sections)  # lookback_days = 20 is the default
    row = s.table.set_index("lookback_days").loc[20]
    assert row["final_equity"] == pytest.approx(
        alone.stats.loc["final_equity", "small_cap_lead"], rel=1e-9
    )
    assert "small_cap_lead" in s._repr_html_()
    text = str(s)  # print(s): the answer first, naming the best combination and the default
    best = int(s.best["lookback_days"])
    assert text.startswith(f"The best of 3 combinations (lookback_days = {best}) has a Sharpe of")
    assert f"rank {int(s.table.set_index('lookback_days').loc[20, 'rank'])} of 3" in text
    assert "top by sharpe (of 3)" in text and "print() it" in repr(s)
    with pytest.raises(rl.BadInputError, match="unknown metric"):
        rl.sweep("small_cap_lead", grid={"lookback_days": [10]}, metric="luck")
    with pytest.raises(rl.BadInputError, match="no parameter grid"):
        rl.sweep("small_cap_lead", config_grid=False)
    with pytest.raises(rl.BadInputError, match="not a parameter of this strategy"):
        rl.sweep("small_cap_lead", grid={"lookback": [10]})


# --------------------------------------------------------------------------- claims


def test_claim_gives_verdict_events_and_findings(sections):
    k = rl.claim(
        "first_five_days", overrides=[f"data.{k}={v!r}" for k, v in sections["data"].items()]
    )
    assert k.verdict in {"supported", "not supported", "too few cases to tell"}
    assert isinstance(k.events, pd.DataFrame) and len(k.events) >= 70  # 1950 on
    assert list(k.findings.columns[:2]) == ["finding", "label"]
    assert k.findings["verdict"].iloc[0] == k.verdict
    with pytest.raises(rl.BadInputError, match=r"no claim is named 'first_five_day'; did you"):
        rl.claim("first_five_day")


# --------------------------------------------------------------------------- own strategies


class HoldParams(rl.Strict):
    ticker: str = "SPY"
    weight: float = Field(default=1.0, ge=0.0, le=1.0)


def _hold(data, params, table) -> Decisions:
    """Buy `weight` of `ticker` on the first session and hold it (a batch per weight)."""
    weights = rl.param_values(table, params, "weight").astype(float)
    labels = np.full((len(weights), len(data.index)), -1)
    labels[:, 0] = np.arange(len(weights))
    return Decisions.from_labels(labels, weights[:, None], data.index, [params.ticker])


HOLD = rl.Strategy(
    name="hold",
    description="Hold one fund (defined in a notebook).",
    params_model=HoldParams,
    tickers=lambda p: [p.ticker],
    decide=_hold,
    lookback_sessions=lambda p: 0,
)


def test_a_notebook_strategy_runs_compares_and_sweeps(sections):
    r = rl.run(HOLD, **sections)
    # holding SPY from the first session is the SPY buy & hold benchmark, order for order
    assert r.stats["hold"].to_numpy() == pytest.approx(r.stats["SPY buy & hold"].to_numpy())
    c = rl.compare([HOLD, "first10days"], **sections)
    assert c.labels == ["hold", "first10days"]
    s = rl.sweep(HOLD, grid={"weight": [0.5, 1.0]}, workers=1, **sections)
    assert len(s.table) == 2  # no config file, no [sweep] table
    full = s.table.set_index("weight").loc[1.0, "final_equity"]
    assert full == pytest.approx(r.stats.loc["final_equity", "hold"], rel=1e-12)
    half = s.table.set_index("weight").loc[0.5, "total_return"]
    # half invested, half in cash earning nothing: half the total return, less one fee
    assert half == pytest.approx(r.stats.loc["total_return", "hold"] / 2, rel=1e-3)


def test_strategies_dir_on_the_cli_and_in_python(tmp_path, iso, capsys, monkeypatch):
    from engine.api import catalog

    monkeypatch.setattr(catalog, "_loaded", {})  # what this test loads is gone after it
    folder = Path(__file__).resolve().parents[1] / "examples"
    assert main(STRATEGIES, ["--strategies-dir", str(folder), "list"]) == 0
    assert "relative_momentum: Small caps" in capsys.readouterr().out
    argv = ["--strategies-dir", str(folder), "relative_momentum", "--set", "lookback=21"]
    argv += [x for o in mirror_overrides(iso) for x in ("--set", o)] + ["--no-report"]
    assert main(STRATEGIES, argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("relative_momentum: 2000-05-26 to ")
    loaded = rl.load_strategies(folder)
    assert list(loaded) == ["relative_momentum"]
    assert "relative_momentum" in rl.strategies()
    r = rl.run("relative_momentum", lookback=21, data=_data(iso))
    printed = float(next(line for line in out.splitlines() if line.startswith("Sharpe")).split()[1])
    assert r.stats.loc["sharpe", "relative_momentum"] == pytest.approx(printed, abs=0.005)
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "again.py").write_text(
        "from strategies.first10days import STRATEGY\n", encoding="utf-8"
    )
    assert main(STRATEGIES, ["--strategies-dir", str(clash), "list"]) == 2
    assert "already a strategy's name" in capsys.readouterr().err
    assert main(STRATEGIES, ["--strategies-dir", str(tmp_path / "none"), "list"]) == 2
    assert "no such folder" in capsys.readouterr().err


def _data(iso: Path) -> dict:
    return {
        "cache_dir": str(iso / "cache"),
        "mirror_dir": str(MIRROR),
        "providers": ["cache", "mirror"],
    }
