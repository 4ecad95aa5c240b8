"""Faults provoked through the real command line (`engine.cli.main.main`, in process): bad data, bad
input and failures end with the right exit code, a one-line message naming the cause and the
fix, and a known state on disk (cache files readable or set aside, no partial report).

Every run reads a small synthetic mirror written into a temporary folder (SPY, QQQ, IWM, DIA
and the ^IRX yield, 2018-2021), with the cache and reports in temporary folders too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.calendar import nyse_sessions
from engine.cli.main import main
from engine.data import cache, yahoo
from engine.decisions.strategy import Strategy
from engine.report.toolkit.escape import markdown_cell
from strategies import discover
from tests.data.conftest import FakeDownload, offline

STRATEGIES = discover()
TICKERS = ("SPY", "QQQ", "IWM", "DIA")
SPAN = ("2018-01-02", "2021-12-31")
BOND_HOLIDAYS = ("2019-10-14", "2019-11-11", "2020-10-12", "2020-11-11", "2021-10-11")


# --------------------------------------------------------------------------- synthetic mirror


def ohlcv_frame(index: pd.DatetimeIndex, seed: int, start: float = 100.0) -> pd.DataFrame:
    """A realistic daily bar series: random-walk closes, open near the previous close, high and
    low around both, adjusted close a constant dividend factor below the close, volume."""
    rng = np.random.default_rng(seed)
    close = start * np.exp(np.cumsum(rng.normal(0.0003, 0.012, len(index))))
    prev = np.concatenate([[start], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.003, len(index)))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.006, len(index)))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.006, len(index)))
    return pd.DataFrame(
        {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "adj_close": close * 0.97,
            "volume": rng.integers(1_000_000, 5_000_000, len(index)).astype(float),
        },
        index=pd.DatetimeIndex(index, name="date"),
    )


def write_mirror_csv(folder: Path, ticker: str, frame: pd.DataFrame) -> Path:
    """`frame` as a mirror CSV (6 decimals, integer volume, empty fields for NaN)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["date,open,high,low,close,adj_close,volume"]
    for day, row in frame.iterrows():
        cells = [pd.Timestamp(day).date().isoformat()]
        for name in ("open", "high", "low", "close", "adj_close"):
            value = row[name]
            cells.append("" if pd.isna(value) else f"{value:.6f}")
        cells.append("" if pd.isna(row["volume"]) else str(int(row["volume"])))
        lines.append(",".join(cells))
    path = folder / f"{ticker}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def synthetic_mirror(folder: Path, tickers: Iterable[str] = TICKERS) -> Path:
    """The four first10days tickers plus ^IRX (close-only, skipping bond-market holidays)."""
    index = nyse_sessions(*SPAN)
    for seed, ticker in enumerate(tickers):
        write_mirror_csv(folder, ticker, ohlcv_frame(index, seed, 100.0 + 20 * seed))
    irx_days = index.drop(pd.DatetimeIndex(BOND_HOLIDAYS))
    irx = pd.DataFrame(np.nan, index=irx_days, columns=list(cache.FIELDS))
    irx["close"] = irx["adj_close"] = np.linspace(2.4, 0.05, len(irx_days))
    write_mirror_csv(folder, "^IRX", irx)
    return folder


def isolated(tmp: Path, mirror: Path, providers: str = "['cache', 'mirror']") -> list[str]:
    return [
        "--set",
        f"data.cache_dir='{tmp / 'cache'}'",
        "--set",
        f"report.output_dir='{tmp / 'reports'}'",
        "--set",
        f"data.mirror_dir='{mirror}'",
        "--set",
        f"data.providers={providers}",
        "--set",
        "backtest.start=2019-01-01",
    ]


def data_args(tmp: Path, mirror: Path) -> list[str]:
    """The isolation options the `data` commands accept (data.* only)."""
    return [
        a
        for pair in zip(*[iter(isolated(tmp, mirror))] * 2, strict=True)
        if pair[1].startswith("data.")
        for a in pair
    ]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(STRATEGIES, argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def error_line(err: str) -> str:
    """The one message line main() printed (argparse may print a usage line first)."""
    lines = [ln for ln in err.splitlines() if not ln.startswith("usage:") and ln.strip()]
    assert "Traceback" not in err
    return "\n".join(lines)


def report_dir(tmp: Path, strategy: str = "first10days") -> Path:
    [folder] = [p for p in (tmp / "reports" / strategy).iterdir() if p.is_dir()]
    return folder


def no_partial_report(tmp: Path) -> bool:
    root = tmp / "reports"
    return not root.exists() or not [p for p in root.rglob("*") if p.name.startswith(".tmp-")]


def cache_files_readable(cache_dir: Path) -> list[str]:
    """Tickers of every cache entry, each read in full (checksum verified)."""
    names = []
    for path in sorted(cache_dir.glob("*.parquet")):
        entry = cache.read_entry(cache_dir, path.stem)
        assert entry is not None
        names.append(path.stem)
    assert not [p for p in cache_dir.iterdir() if p.name.endswith(".tmp")]
    return names


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_mirror(tmp_path_factory.mktemp("mirror"))


# --------------------------------------------------------------------------- corrupt cache


def test_corrupt_cache_is_reported_set_aside_and_refetched_then_refused_alone(
    tmp_path: Path, mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    iso = isolated(tmp_path, mirror)
    cache_dir = tmp_path / "cache"
    data = data_args(tmp_path, mirror)
    code, out, _ = run_cli(["data", "update", *TICKERS, "--source", "mirror", *data], capsys)
    assert code == 0 and out.count(" rows ") == 4
    iwm, spy = cache_dir / "IWM.parquet", cache_dir / "SPY.parquet"
    iwm.write_bytes(iwm.read_bytes()[: iwm.stat().st_size // 2])  # half a parquet file
    spy.write_bytes(os.urandom(4096))  # garbage

    code, out, err = run_cli(["data", "status", *data], capsys)
    status = {ln.split()[0]: ln.split()[1] for ln in out.splitlines()[2:]}
    assert code == 0 and status["IWM"] == status["SPY"] == "unreadable"

    code, out, err = run_cli(["first10days", *iso], capsys)
    assert code == 0, err
    run = json.loads((report_dir(tmp_path) / "run.json").read_text())
    corrupt = {i["ticker"]: i for i in run["data"]["issues"] if i["kind"] == "corrupt_cache"}
    assert sorted(corrupt) == ["IWM", "SPY"]
    assert f"cache file {iwm} is unusable: not a readable parquet file" in corrupt["IWM"]["message"]
    assert "moved aside to IWM.parquet.corrupt-" in corrupt["IWM"]["message"]
    assert "re-fetched from the next provider" in corrupt["SPY"]["message"]
    assert run["data"]["tickers"]["IWM"]["provider"] == "mirror"
    assert not run["data"]["tickers"]["IWM"]["served_from_cache"]
    assert len(list(cache_dir.glob("IWM.parquet.corrupt-*"))) == 1  # kept for inspection
    assert cache_files_readable(cache_dir) == ["DIA", "IWM", "QQQ", "SPY"]

    # With no other provider, a corrupt entry is never used: a one-line failure naming it.
    iwm.write_bytes(b"PAR1" + os.urandom(100))
    code, out, err = run_cli(["first10days", *iso, "--set", "data.providers=['cache']"], capsys)
    message = error_line(err)
    assert code == 1 and len(message.splitlines()) == 1
    assert message.startswith("error: IWM: no provider could supply it (cache: corrupt file ")
    assert f"{iwm} (not a readable parquet file" in message
    assert "), moved aside to IWM.parquet.corrupt-" in message
    assert not iwm.exists() and len(list(cache_dir.glob("IWM.parquet.corrupt-*"))) == 2
    assert len(list((tmp_path / "reports" / "first10days").iterdir())) == 2  # 1 run + latest
    assert no_partial_report(tmp_path)


# --------------------------------------------------------------------------- download failures


@pytest.fixture
def fake_yahoo(monkeypatch: pytest.MonkeyPatch) -> FakeDownload:
    import yfinance

    fake = FakeDownload([offline("IWM")])
    monkeypatch.setattr(yfinance, "download", fake)
    monkeypatch.setattr(yahoo, "sleep", lambda seconds: None)
    return fake


def test_offline_without_a_cache_names_every_ticker_and_writes_nothing(
    tmp_path: Path, mirror: Path, fake_yahoo: FakeDownload, capsys: pytest.CaptureFixture[str]
) -> None:
    iso = isolated(tmp_path, mirror, providers="['cache', 'yfinance']")
    code, _, err = run_cli(["first10days", *iso, "--set", "data.download_retries=2"], capsys)
    message = error_line(err)
    assert code == 1 and len(message.splitlines()) == 1
    assert message.startswith("error: 4 tickers could not be loaded (SPY, QQQ, IWM, DIA).")
    for ticker in TICKERS:
        assert f"{ticker}: no provider could supply it" in message
    assert "Could not resolve host" in message and "failed after 2 attempt(s)" in message
    assert len(fake_yahoo.calls) == 8  # every ticker tried, with its retry
    assert not list((tmp_path / "cache").glob("*.parquet"))
    assert not (tmp_path / "reports").exists()


def test_offline_with_a_stale_cache_runs_on_it_reports_it_and_keeps_it(
    tmp_path: Path, mirror: Path, fake_yahoo: FakeDownload, capsys: pytest.CaptureFixture[str]
) -> None:
    cache_dir = tmp_path / "cache"
    for ticker in TICKERS:
        history = yahoo_history_from_mirror(mirror, ticker, days_old=4)
        cache.write_entry(cache_dir, history)
    before = {p.name: p.read_bytes() for p in cache_dir.glob("*.parquet")}
    iso = isolated(tmp_path, mirror, providers="['cache', 'yfinance']")
    code, _, err = run_cli(["first10days", *iso, "--set", "data.download_retries=1"], capsys)
    assert code == 0, err
    run = json.loads((report_dir(tmp_path) / "run.json").read_text())
    stale = [i for i in run["data"]["issues"] if i["kind"] == "stale_cache"]
    assert sorted(i["ticker"] for i in stale) == sorted(TICKERS)
    assert all("Could not resolve host" in i["message"] for i in stale)
    assert all(run["data"]["tickers"][t]["served_from_cache"] for t in TICKERS)
    assert {p.name: p.read_bytes() for p in cache_dir.glob("*.parquet")} == before
    md = (report_dir(tmp_path) / "report.md").read_text()
    assert md.count("stale_cache") == 4


def yahoo_history_from_mirror(mirror: Path, ticker: str, days_old: float) -> cache.History:
    """The mirror file as if Yahoo had served it `days_old` days ago (a stale download)."""
    import datetime as dt

    from engine.data import mirror as mirror_module

    history = mirror_module.read_mirror(mirror, ticker)
    assert history is not None
    fetched = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_old)).isoformat(timespec="seconds")
    return cache.History(ticker, history.frame, "yfinance", "Yahoo Finance (test)", fetched)


# --------------------------------------------------------------------------- malformed mirror CSV


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (
            lambda lines: [lines[0].removesuffix(",volume"), *lines[1:]],
            "line 1: bad header: missing column(s) volume",
        ),
        (
            lambda lines: [*lines[:4], "2019-02-30" + lines[4][10:], *lines[5:]],
            "line 5: unparsable date '2019-02-30' (expected YYYY-MM-DD)",
        ),
        (lambda lines: [*lines[:4], lines[3], *lines[4:]], "(2018-01-04 on lines 4, 5)"),
    ],
    ids=["missing-column", "bad-date", "duplicate-date"],
)
def test_malformed_mirror_csv_names_file_and_line(
    tmp_path: Path, damage, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = synthetic_mirror(tmp_path / "mirror")
    path = folder / "IWM.csv"
    path.write_text("\n".join(damage(path.read_text().splitlines())) + "\n")
    code, _, err = run_cli(["first10days", *isolated(tmp_path, folder)], capsys)
    message = error_line(err)
    assert code == 1 and len(message.splitlines()) == 1
    assert str(path) in message and expected in message
    assert not (tmp_path / "cache" / "IWM.parquet").exists()  # never cached
    assert not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- flags in the report


def test_every_data_flag_reaches_the_report_and_no_price_is_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Planted in the mirror: a +40% one-day move, a close above the high, a missing adjusted
    close, a zero low, a weekend row, one-session gaps (DIA, and ^IRX's bond-market holidays:
    forward-filled, as allowed here for 1 session) and a two-session gap (left NaN), a late
    start."""
    folder = synthetic_mirror(tmp_path / "mirror")
    index = nyse_sessions(*SPAN)
    dia = ohlcv_frame(index, 3, 160.0)
    dia = dia.loc["2018-03-01":]  # starts after the requested data window
    dia.loc["2020-06-15":, ["open", "high", "low", "close", "adj_close"]] *= 1.4
    dia = dia.drop(pd.Timestamp("2020-07-15"))  # one-session gap
    write_mirror_csv(folder, "DIA", dia)
    qqq = ohlcv_frame(index, 1, 120.0)
    qqq.loc["2020-05-05", "close"] = qqq.loc["2020-05-05", "high"] * 1.01
    qqq.loc["2020-05-06", "adj_close"] = np.nan
    qqq.loc["2020-05-07", "low"] = 0.0
    qqq = qqq.drop(pd.DatetimeIndex(["2020-08-04", "2020-08-05"]))  # two-session gap
    saturday = qqq.loc[["2020-09-11"]].set_axis(pd.DatetimeIndex(["2020-09-12"], name="date"))
    qqq = pd.concat([qqq, saturday]).sort_index()
    write_mirror_csv(folder, "QQQ", qqq)

    argv = [
        "first10days",
        *isolated(tmp_path, folder),
        "--set",
        "data.max_ffill_sessions=1",
        "--set",
        "backtest.cash_ticker=^IRX",
        "--set",
        "data.max_daily_move=0.3",
    ]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    folder_out = report_dir(tmp_path)
    run = json.loads((folder_out / "run.json").read_text())
    issues = run["data"]["issues"]
    found = {(i["ticker"], i["kind"], i["severity"]): i for i in issues}
    expected = {
        ("DIA", "large_move", "warning"): ("2020-06-15",),
        ("DIA", "forward_filled", "warning"): ("2020-07-15",),
        ("DIA", "starts_late", "info"): ("2018-03-01",),
        ("QQQ", "close_outside_range", "info"): ("2020-05-05",),
        ("QQQ", "non_positive_price", "warning"): ("2020-05-06", "2020-05-07"),
        ("QQQ", "missing_sessions", "warning"): ("2020-08-04", "2020-08-05"),
        ("QQQ", "non_session_dates", "info"): ("2020-09-12",),
        ("^IRX", "forward_filled", "warning"): BOND_HOLIDAYS,  # 1-session gaps: filled here
    }
    for key, dates in expected.items():
        assert key in found, key
        assert tuple(found[key]["dates"]) == dates, key
    large = found[("DIA", "large_move", "warning")]["message"]
    assert "more than 30% (data.max_daily_move = 0.3)" in large
    irx = found[("^IRX", "forward_filled", "warning")]["message"]
    assert irx.startswith("^IRX: 5 missing session(s) forward-filled from the previous close")

    md = (folder_out / "report.md").read_text()
    html_text = (folder_out / "report.html").read_text()
    for issue in issues:  # the report lists every flag, each with its full message
        assert markdown_cell(issue["message"]) in md, issue["kind"]  # escaped for Markdown
        assert issue["kind"] in html_text
    assert "DIA: 1 missing session(s) forward-filled" in md


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["lead_dayz=3"], "unknown key 'lead_dayz'; did you mean 'lead_days'?"),
        (["backtst.start=2019-01-01"], "unknown key 'backtst'; did you mean 'backtest'?"),
        (
            ["backtest.fees_bps=abc"],
            "backtest.fees_bps = 'abc' is refused: expected a number, got the text 'abc'",
        ),
        (
            ["backtest.fees_bps=-1"],
            "backtest.fees_bps = -1 is refused: Input should be greater than or equal to 0",
        ),
        (
            ["backtest.lag=0"],
            "backtest.lag = 0 is refused: Input should be greater than or equal to 1",
        ),
        (
            ["base={SPY=0.7, IWM=0.7}"],
            "base = {SPY = 0.7, IWM = 0.7} is refused: weights sum to "
            "1.4; the total must be at most 1.0",
        ),
        (["lead={IWM=1.5}"], "weight of IWM is 1.5; each weight must be in [0, 1]"),
        (["universe=[]"], "universe = [] is refused: List should have at least 2 items"),
        (
            ["backtest.start=2099-01-01"],
            "backtest.start = 2099-01-01 is refused: start 2099-01-01 is in the future",
        ),
        (
            ["backtest.start=1900-01-01"],
            "backtest.start = 1900-01-01 is refused: the NYSE calendar starts on 1925-12-01",
        ),
        (
            ["backtest.start=2024-01-06", "backtest.end=2024-01-07"],
            "[backtest] refused: start 2024-01-06 to end 2024-01-07 holds no NYSE session",
        ),
        (
            ["data.max_daily_move=0"],
            "data.max_daily_move = 0 is refused: Input should be greater than 0",
        ),
        (
            ['data.providers=["cache", "ftp"]'],
            "data.providers.1 = 'ftp' is refused: Input should be 'cache', 'mirror' or 'yfinance'",
        ),
        (
            ["horizon=0"],
            "horizon = 0 is refused: Input should be 'year_end'; or Input should be "
            "greater than or equal to 1",
        ),
        (["report=3"], "[report] must be a table of keys, got 3"),
    ],
)
def test_bad_config_is_refused_before_any_work(
    tmp_path: Path, mirror: Path, overrides: list[str], expected: str, capsys
) -> None:
    argv = ["first10days", *isolated(tmp_path, mirror)]
    for text in overrides:
        argv += ["--set", text]
    code, out, err = run_cli(argv, capsys)
    message = error_line(err)
    assert code == 2
    assert message.startswith("error: the first10days config is invalid:")
    assert expected in message
    assert out == ""
    assert not (tmp_path / "cache").exists() and not (tmp_path / "reports").exists()


def test_benchmark_weights_over_one_are_refused(tmp_path: Path, capsys) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        '[[benchmarks]]\nname = "too much"\nweights = { SPY = 0.6, IWM = 0.6 }\n'
        '[[benchmarks]]\nname = "ok"\nweights = { SPY = 1.0 }\n'
    )
    code, _, err = run_cli(["first10days", "--config", str(config)], capsys)
    assert code == 2
    assert (
        "benchmarks.0.weights = {SPY = 0.6, IWM = 0.6} is refused: weights sum to 1.2; the "
        "total must be at most 1.0" in error_line(err)
    )


@pytest.mark.parametrize(
    ("overrides", "code", "expected"),
    [
        (
            ['universe=["ZZZ", "YYY", "IWM"]'],
            2,
            "error: 2 tickers could not be loaded (ZZZ, YYY); no provider has ZZZ, YYY.",
        ),
        (
            ["backtest.start=2012-01-03", "backtest.end=2015-12-31"],
            2,
            "error: no price for any of SPY, QQQ, IWM, DIA between 2010-12-21 and 2015-12-31",
        ),
        (
            ["backtest.start=2022-03-01"],
            2,
            "error: backtest.start = 2022-03-01 is refused: the needed tickers share no period "
            "from it on, the data of SPY ends on 2021-12-31; choose an earlier start",
        ),
    ],
    ids=["unknown-tickers", "no-data-in-range", "start-after-the-data"],
)
def test_requests_the_data_cannot_serve_are_bad_input(
    tmp_path: Path, mirror: Path, overrides: list[str], code: int, expected: str, capsys
) -> None:
    argv = ["first10days", *isolated(tmp_path, mirror)]
    for text in overrides:
        argv += ["--set", text]
    got, _, err = run_cli(argv, capsys)
    message = error_line(err)
    assert got == code and message.startswith(expected)
    assert len(message.splitlines()) == 1
    assert not (tmp_path / "reports").exists()


def _bounded_fields(strategy: Strategy) -> list[tuple[str, str, float]]:
    """(key, 'below'|'above', value just outside) for each numeric bound of its parameters."""
    out = []
    for key, spec in strategy.params_model.model_json_schema().get("properties", {}).items():
        options = spec.get("anyOf", [spec])
        for option in options:
            if option.get("type") not in ("integer", "number"):
                continue
            step = 1 if option["type"] == "integer" else 1e-6
            if "minimum" in option:
                out.append((key, "below", option["minimum"] - step))
            if "exclusiveMinimum" in option:
                out.append((key, "below", option["exclusiveMinimum"]))
            if "maximum" in option:
                out.append((key, "above", option["maximum"] + step))
            if "exclusiveMaximum" in option:
                out.append((key, "above", option["exclusiveMaximum"]))
    return out


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_bounded_strategy_parameter_is_refused_outside_its_range(
    name: str, tmp_path: Path, capsys
) -> None:
    """Generic over every discovered strategy: each numeric bound its parameter model declares
    (e.g. an RSI threshold in (0, 100)) is enforced with exit 2 naming the key and the value."""
    offline = isolated(tmp_path, tmp_path / "no-mirror")  # should a value pass: nothing fetched
    cases = _bounded_fields(STRATEGIES[name])
    for key, side, value in cases:
        shown = repr(value) if isinstance(value, float) else str(value)
        code, out, err = run_cli([name, "--set", f"{key}={shown}", *offline], capsys)
        message = error_line(err)
        assert code == 2 and out == "", (key, side, value)
        assert message.startswith(f"error: the {name} config is invalid:")
        assert f"\n{key} = {shown} is refused: " in message, message
    assert not (tmp_path / "cache").exists() and not (tmp_path / "reports").exists()


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["nosuch"], "unknown command 'nosuch' (choose from "),
        (["firs10days"], "unknown command 'firs10days'; did you mean 'first10days'? (choose"),
        (["sweep", "rsi_trm"], "unknown strategy 'rsi_trm'; did you mean 'rsi_trim'? (known:"),
        (["compare", "first10days", "fixd_mix"], "did you mean 'fixed_mix'?"),
        ([], "the following arguments are required: COMMAND (choose from "),
        (["data"], "the following arguments are required: ACTION (choose from 'status', 'update')"),
        (
            ["data", "purge"],
            "unknown action 'purge' (choose from 'status', 'update')",
        ),
        (["first10days", "--sett", "x=1"], "unrecognized arguments: --sett x=1"),
        (["first10days", "--set", "lead_days"], "--set 'lead_days': expected KEY=VALUE"),
        (["first10days", "--config", "/no/such.toml"], "config file /no/such.toml does not exist"),
    ],
)
def test_bad_command_lines_exit_2_listing_what_is_valid(argv: list[str], expected: str, capsys):
    code, out, err = run_cli(argv, capsys)
    message = error_line(err)
    assert code == 2 and out == ""
    assert expected in message
    if "COMMAND" in expected:
        for name in [*STRATEGIES, "list", "data"]:
            assert f"'{name}'" in message


def test_data_update_of_unknown_tickers_names_them_all(tmp_path: Path, mirror: Path, capsys):
    argv = ["data", "update", "ZZZ", "IWM", "YYY", "--source", "mirror"]
    code, _, err = run_cli([*argv, *data_args(tmp_path, mirror)], capsys)
    message = error_line(err)
    assert code == 2
    assert message.startswith("error: update failed for ZZZ: no provider has this ticker")
    assert "YYY: no provider has this ticker" in message and "(updated: IWM)" in message
    assert cache_files_readable(tmp_path / "cache") == ["IWM"]


def test_help_and_list_exit_0(capsys) -> None:
    code, out, _ = run_cli(["--help"], capsys)
    assert code == 0 and "first10days" in out
    code, out, _ = run_cli(["list"], capsys)
    assert code == 0 and "first10days:" in out


def test_an_unexpected_failure_is_one_line_with_exit_1_and_a_traceback_on_debug(capsys) -> None:
    def broken_model() -> None:
        raise ZeroDivisionError("a bug in a strategy")

    strategy = Strategy(
        name="broken",
        description="raises",
        params_model=broken_model,  # type: ignore[arg-type]
        default_config=Path("/nonexistent.toml"),
        tickers=lambda p: [],
        target_weights=lambda d, p: pd.DataFrame(),
    )
    assert main({"broken": strategy}, ["list"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "unexpected failure: ZeroDivisionError: a bug in a strategy (rerun with --debug for "
        "details)\n"
    )
    assert main({"broken": strategy}, ["--debug", "list"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err
