"""Fuzzing the command line and the configuration: no input ends in a traceback.

Every outcome of `engine.cli.main.main` must be exit 0, 2 (bad input) or 1 (failure) with a short
message on stderr. Runs are stopped early on purpose: the data layer's provider chain is
replaced by one that refuses at once, so a valid configuration ends with exit 1 "stopped early"
before anything is fetched or written, and an invalid one with exit 2 before that point.
"""

from __future__ import annotations

import contextlib
import io
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli.main import build_parser, main
from engine.config.run_config import SECTIONS, RunConfig, load_config
from engine.data import loader, maintenance
from engine.errors import BadInputError, DataUnavailableError
from engine.simulate.pipeline import data_window, needed_tickers
from strategies import discover

STRATEGIES = discover()
NAMES = sorted(STRATEGIES)
STOPPED = "stopped early: the fuzz test refuses every provider"
QUICK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=QUICK)
FUZZ_MAIN = settings(max_examples=60, deadline=None, suppress_health_check=QUICK)  # ~20 ms each
PARSER = build_parser(STRATEGIES)


@pytest.fixture(autouse=True)
def stop_before_any_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every provider refuses: no download, no cache write, no report can happen."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise DataUnavailableError(STOPPED)

    monkeypatch.setattr(loader, "_obtain", refuse)
    monkeypatch.setattr(maintenance, "_update_one", refuse)
    import yfinance

    monkeypatch.setattr(yfinance, "download", refuse)


@contextlib.contextmanager
def captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


def run(argv: list[str]) -> tuple[int, str, str]:
    with captured() as (out, err):
        code = main(STRATEGIES, argv)
    return code, out.getvalue(), err.getvalue()


def check_outcome(code: int, err: str, debug: bool = False) -> None:
    """Exit 0/1/2; a failure ends with one message line, never a traceback (unless --debug)."""
    assert code in (0, 1, 2), (code, err)
    if debug:
        return
    assert "Traceback" not in err, err
    if code != 0:
        lines = err.splitlines()
        heads = [
            i for i, ln in enumerate(lines) if ln.startswith(("error: ", "unexpected failure"))
        ]
        assert len(heads) == 1, err  # one message...
        before, message = lines[: heads[0]], lines[heads[0] :]
        assert all(ln.startswith(("usage:", " ")) for ln in before), (
            err
        )  # ...after argparse's usage
        assert all(ln.strip() for ln in message), err  # (config problems: one line each)


# --------------------------------------------------------------------------- values and keys


def param_keys() -> list[str]:
    keys = {k for s in STRATEGIES.values() for k in s.params_model.model_fields}
    for section, model in SECTIONS.items():
        keys |= {f"{section}.{k}" for k in model.model_fields}
    return sorted(keys)


KEYS = param_keys()
identifier = st.text(string.ascii_letters + string.digits + "_", min_size=1, max_size=12)
scalars = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda f: {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(f), repr(f))
    ),
    st.sampled_from(["true", "false", '""', "''", "latest", "year_end", "SPY", "^IRX", "[]", "{}"]),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["2020-13-45", "2020-02-30", "1900-01-01", "2099-01-01", "1925-11-30"]),
    st.text(max_size=20).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
    st.text(max_size=20),
)
arrays = st.lists(scalars, max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
tables = st.dictionaries(identifier, scalars, max_size=3).map(
    lambda d: "{" + ", ".join(f"{k} = {v}" for k, v in d.items()) + "}"
)
values = st.one_of(scalars, arrays, tables)
keys = st.one_of(
    st.sampled_from(KEYS),
    st.sampled_from(KEYS).map(lambda k: k[:-1] + "z"),  # misspelt
    st.lists(identifier, min_size=1, max_size=3).map(".".join),
    st.text(max_size=15),
)


def overrides(pairs: list[tuple[str, str]]) -> list[str]:
    argv: list[str] = []
    for key, value in pairs:
        argv += ["--set", f"{key}={value}"]
    return argv


def _flat(doc: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and key in SECTIONS:
            out.update(_flat(value, f"{key}."))
        elif key != "benchmarks":
            out[f"{prefix}{key}"] = value
    return out


def _toml(value: object) -> str:
    return tomli_w.dumps({"v": value}).removeprefix("v = ").strip()


DEFAULTS = {name: _flat(load_config(s).as_dict()) for name, s in STRATEGIES.items()}


def own_pairs(name: str) -> st.SearchStrategy[tuple[str, str]]:
    """A key of this strategy's config with its default value, or a number near it: mostly
    valid, so the accepted path is exercised as much as the refusals."""
    flat = DEFAULTS[name]

    def near(key: str) -> st.SearchStrategy[tuple[str, str]]:
        value = flat[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return st.just((key, _toml(value)))
        step = st.integers(-3, 3) if isinstance(value, int) else st.floats(-2, 2)
        return step.map(lambda d: (key, _toml(value + d)))

    return st.sampled_from(sorted(flat)).flatmap(near)


def pairs_for(name: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.lists(st.one_of(own_pairs(name), st.tuples(keys, values)), min_size=1, max_size=3)


@FUZZ
@given(name=st.sampled_from(NAMES), data=st.data())
def test_fuzzed_overrides_are_accepted_or_refused_by_name(name: str, data: st.DataObject) -> None:
    """The CLI parse and the config load, up to the data request: a valid RunConfig, or a
    BadInputError (ConfigError included) whose message names a key; nothing else."""
    strategy = STRATEGIES[name]
    pairs = data.draw(pairs_for(name))
    try:
        args = PARSER.parse_args([name, *overrides(pairs)])
        cfg = load_config(strategy, args.config, args.overrides)
        loader.normalise_tickers(needed_tickers(strategy, cfg))
        first, last = data_window(strategy, cfg)
    except BadInputError as exc:
        message = str(exc)
        assert message and all(line.strip() for line in message.splitlines()), message
        assert (
            " = " in message
            or "unknown key" in message
            or "--set" in message
            or ("refused" in message or "ticker" in message or "table" in message)
        ), message
        return
    assert isinstance(cfg, RunConfig) and first <= last


@FUZZ_MAIN
@given(name=st.sampled_from(NAMES), data=st.data())
def test_fuzzed_overrides_through_main_end_in_a_message(name: str, data: st.DataObject) -> None:
    pairs = data.draw(pairs_for(name))
    code, _, err = run([name, *overrides(pairs)])
    check_outcome(code, err)
    assert code in (1, 2)
    assert "unexpected failure" not in err, err  # config problems are expected, named failures
    if code == 1:
        assert STOPPED in err  # valid: the run went as far as the data, and no further


# --------------------------------------------------------------------------- whole command lines

TOKENS = st.one_of(
    st.sampled_from(
        [
            *NAMES,
            "list",
            "data",
            "status",
            "update",
            "--set",
            "--config",
            "--debug",
            "--no-report",
            "--source",
            "mirror",
            "yfinance",
            "IWM",
            "lead_days=3",
            "backtest.lag=0",
            "data.cache_dir=/nonexistent/x",
            "-x",
            "--",
            "",
        ]
    ),
    st.text(max_size=12),
)


@settings(max_examples=100, deadline=None, suppress_health_check=QUICK)
@given(argv=st.lists(TOKENS, max_size=6))
def test_fuzzed_command_lines_end_in_a_message_never_a_traceback(argv: list[str]) -> None:
    code, _, err = run(argv)
    check_outcome(code, err, debug="--debug" in argv)


# --------------------------------------------------------------------------- config files

toml_values = st.recursive(
    st.one_of(
        st.integers(min_value=-(10**9), max_value=10**9),
        st.floats(allow_nan=False),
        st.booleans(),
        st.text(max_size=10),
        st.dates(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(identifier, children, max_size=3)
    ),
    max_leaves=8,
)
documents = st.dictionaries(
    st.one_of(st.sampled_from([*KEYS, *SECTIONS, "benchmarks"]), identifier),
    toml_values,
    max_size=4,
)


@settings(max_examples=40, deadline=None, suppress_health_check=QUICK)
@given(name=st.sampled_from(NAMES), doc=documents, raw=st.binary(max_size=40))
def test_fuzzed_config_files_end_in_a_message_never_a_traceback(
    tmp_path: Path, name: str, doc: dict, raw: bytes
) -> None:
    good = tmp_path / "fuzz.toml"
    good.write_text(tomli_w.dumps(doc))
    bad = tmp_path / "raw.toml"
    bad.write_bytes(raw)
    for path in (good, bad):
        code, _, err = run([name, "--config", str(path)])
        check_outcome(code, err)
        assert code in (1, 2) and "unexpected failure" not in err, err


def test_a_non_utf8_config_file_is_bad_input(tmp_path: Path) -> None:
    """Found by the fuzzing above: tomllib decodes the bytes itself and raised before."""
    path = tmp_path / "latin1.toml"
    path.write_bytes("lead_days = 3 # d\xe9j\xe0\n".encode("latin-1"))
    code, _, err = run(["first10days", "--config", str(path)])
    assert code == 2
    assert err.startswith(f"error: config file {path} is not UTF-8 text: 'utf-8' codec")


def test_the_stub_stops_a_valid_run_before_any_data() -> None:
    """The fuzzing relies on this: a valid configuration stops at the data, exit 1."""
    code, out, err = run(["first10days", "--set", "lead_days=12"])
    assert code == 1 and out == ""
    assert err.startswith("error: 4 tickers could not be loaded (SPY, QQQ, IWM, DIA)")
    assert STOPPED in err


# --------------------------------------------------------------------------- hostile values


def _nested(depth: int, kind: str) -> str:
    return "[" * depth + "1" + "]" * depth if kind == "array" else "{a=" * depth + "1" + "}" * depth


hostile = st.one_of(
    st.sampled_from(["true", "false"]),  # booleans where numbers or texts are expected
    st.integers(-(10**6), 10**6).map(lambda i: f'"{i}"'),  # numbers quoted as text
    st.sampled_from(["inf", "-inf", "nan", "+inf", "1e400", "-1e400", "1e308", "-1e308"]),
    st.integers(18, 6000).map(lambda digits: "9" * digits),  # huge integers (past 4300 digits)
    st.integers(18, 400).map(lambda digits: "-" + "9" * digits),
    st.integers(100, 200_000).map(lambda n: '"' + "A" * n + '"'),  # huge texts
    st.integers(1, 5000).map(lambda n: "[" + ", ".join(["1"] * n) + "]"),  # long arrays
    st.tuples(st.integers(5, 3000), st.sampled_from(["array", "table"])).map(
        lambda t: _nested(*t)
    ),  # deep nesting
    st.sampled_from(["2020/01/01", "01-02-2020", "2020-1-2", "20200102", "1e3"]),
)
hostile_keys = st.one_of(
    st.sampled_from(KEYS),
    st.integers(13, 2000).map(lambda n: ".".join(["a"] * n)),  # deep keys
    st.integers(200, 100_000).map(lambda n: "k" * n),  # huge keys
)


@settings(max_examples=120, deadline=None, suppress_health_check=QUICK)
@given(
    name=st.sampled_from(NAMES),
    pairs=st.lists(st.tuples(hostile_keys, hostile), min_size=1, max_size=3),
)
def test_hostile_values_are_refused_in_one_short_message(
    name: str, pairs: list[tuple[str, str]]
) -> None:
    """Booleans, quoted numbers, infinities, huge numbers and texts, deep nesting: exit 2 with
    short lines (oversized values shortened), or the stub's exit 1 when the value happens to
    be valid; never an unexpected failure."""
    code, _, err = run([name, *overrides(pairs)])
    check_outcome(code, err)
    assert "unexpected failure" not in err, err[:2000]
    assert code in (1, 2)
    if code == 1:
        assert STOPPED in err
    assert max(len(line) for line in err.splitlines()) < 1500, err[:2000]
    assert len(err) < 6000


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        (
            "backtest.lag=true",
            "backtest.lag = True is refused: expected a whole number, got true/false",
        ),
        (
            'backtest.fees_bps="5"',
            "backtest.fees_bps = '5' is refused: expected a number, got the text '5'",
        ),
        (
            "backtest.initial_cash=inf",
            "backtest.initial_cash = inf is refused: expected a finite number",
        ),
        (
            "backtest.initial_cash=1e400",
            "backtest.initial_cash = inf is refused: expected a finite number",
        ),
        ("backtest.initial_cash=1e13", "Input should be less than or equal to 1000000000000"),
        ("data.download_backoff_s=1e9", "data.download_backoff_s = 1000000000.0 is refused"),
        ("data.download_timeout_s=inf", "data.download_timeout_s = inf is refused"),
        ("data.lock_timeout_s=1e6", "data.lock_timeout_s = 1000000.0 is refused"),
        ("data.max_cache_age_days=1e12", "data.max_cache_age_days = 1000000000000.0 is refused"),
        ("backtest.lag=1.0", "backtest.lag = 1.0 is refused: expected a whole number, got 1.0"),
        ("backtest.start=2020/01/01", "use YYYY-MM-DD"),
        (
            "backtest.start=20200101",
            "backtest.start = 20200101 is refused: expected a date, got 20200101; use YYYY-MM-DD",
        ),
        ("lag=2", "unknown key 'lag'; did you mean 'backtest.lag'?"),
        (
            "backtest.end=9999-12-31",
            "backtest.end = 9999-12-31 is refused: end 9999-12-31 is more than a year ahead",
        ),
        (
            "benchmarks=[{name='x', weights={SPY=true}}]",
            "benchmarks.0.weights = {SPY = True} is refused: SPY: expected a number",
        ),
        (
            "backtest.cash_ticker='" + "X" * 300 + "'",
            "(302 characters) is refused: String should have at most 20 characters",
        ),
    ],
)
def test_no_value_is_coerced_and_every_bound_holds(override: str, expected: str) -> None:
    code, out, err = run(["first10days", "--set", override])
    assert code == 2 and out == "", err
    assert expected in err, err
    assert len(err) < 800


def test_a_number_too_long_for_python_to_read_is_bad_input(tmp_path: Path) -> None:
    """Found by the fuzzing above: int() refuses more than 4300 digits with a ValueError."""
    code, _, err = run(["first10days", "--set", "lead_days=" + "9" * 4301])
    assert code == 2 and "the number is too long to read" in err and len(err) < 300
    path = tmp_path / "long.toml"
    path.write_text("lead_days = " + "9" * 4301 + "\n")
    code, _, err = run(["first10days", "--config", str(path)])
    assert code == 2 and "holds a value that cannot be read" in err and len(err) < 400


@pytest.mark.parametrize("kind", ["array", "table"])
def test_a_config_file_nested_thousands_deep_is_bad_input(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(f"lead_days = {_nested(4000, kind)}\n")
    code, _, err = run(["first10days", "--config", str(path)])
    assert code == 2 and "nests tables or arrays" in err and len(err) < 400, err[:500]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["data", "status", "--set", "data.download_timeout_s=inf"], "expected a finite number"),
        (["data", "update", "IWM", "--set", "data.lock_timeout_s=true"], "got true/false"),
        (
            ["compare", "first10days", "rsi_trim", "--set", "rsi_trim.backtest.lag=true"],
            "got true/false",
        ),
        (["claims", "--date", "2026/01/22"], "use YYYY-MM-DD"),
        (["claims", "--set", "stats.seed=true"], "stats.seed"),
        (["sweep", "rsi_trim", "--grid", "n=7", "--blocks", "1" + "0" * 30], "a 31-digit number"),
        (
            ["sweep", "rsi_trim", "--grid", "n=7", "--set", "backtest.fees_bps='1'"],
            "got the text '1'",
        ),
        (["data", "update", "I" * 10_000], "is not a valid symbol (at most 20 characters)"),
    ],
)
def test_every_command_refuses_hostile_input_with_exit_2(argv: list[str], expected: str) -> None:
    code, _, err = run(argv)
    assert code == 2, err[:500]
    assert expected in err and len(err) < 1500, err[:1500]


grid_specs = st.one_of(
    hostile,
    st.tuples(hostile, hostile).map(":".join),
    st.tuples(hostile, hostile, hostile).map(":".join),
    st.lists(hostile, min_size=1, max_size=4).map(",".join),
)


@settings(max_examples=80, deadline=None, suppress_health_check=QUICK)
@given(
    name=st.sampled_from(["upper", "lower", "n", "cooldown", "destination", "nosuch"]),
    spec=grid_specs,
)
def test_hostile_grid_specs_end_in_a_short_message(name: str, spec: str) -> None:
    code, _, err = run(["sweep", "rsi_trim", "--no-progress", "--grid", f"{name}={spec}"])
    check_outcome(code, err)
    assert "unexpected failure" not in err, err[:2000]
    assert code == 2 or STOPPED in err, err[:2000]
    assert len(err) < 3000


# --------------------------------------------------------------------------- reliability classes
# One fuzz test per class of the reliability review: silently wrong results, the user-code
# contract before compiled code, output escaping, bounded reads, inputs quietly changed.


@settings(max_examples=150, deadline=None, suppress_health_check=QUICK)
@given(
    values=st.lists(
        st.floats(min_value=-50, max_value=5000, allow_nan=False), min_size=1, max_size=30
    ),
    kind=st.sampled_from(["annual_yield_pct", "price"]),
)
def test_fuzz_a_cash_series_is_read_as_its_kind_or_refused(values: list[float], kind: str):
    """Class 1: accepted cash series earn a plausible cash return; the rest are refused."""
    import numpy as np
    import pandas as pd

    from engine.simulate.portfolio import cash_returns_from_series

    index = pd.bdate_range("2020-01-01", periods=len(values))
    series = pd.Series(values, index=index, name="CASH")
    try:
        daily = cash_returns_from_series(series, kind)
    except BadInputError as exc:
        assert str(exc).startswith("backtest.cash_ticker = 'CASH' is read as")
        assert "backtest.cash_ticker_kind" in str(exc)
        return
    finite = daily.to_numpy()[np.isfinite(daily.to_numpy())]
    if kind == "annual_yield_pct":  # at most 30% a year: a session earns well under 1%
        assert (np.abs(finite) < 0.01).all()
    else:  # a cash fund moves less than 25% a session; a return at or below -100% (a zero or
        # negative price on some row) is refused by the engine with its date
        assert ((np.abs(finite) <= 0.25 + 1e-12) | (finite <= -1.0)).all()


@settings(max_examples=60, deadline=None, suppress_health_check=QUICK)
@given(names=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4))
def test_fuzz_benchmark_names_are_unique_printable_and_not_the_strategys(names: list[str]):
    """Classes 1 and 3: names that would collide or hold control characters are refused."""
    from engine.config.run_config import benchmark_name_problems
    from engine.errors import ConfigError
    from engine.names import control_characters

    doc = {"benchmarks": [{"name": n, "weights": {"SPY": 1.0}} for n in names]}
    try:
        cfg = load_config(STRATEGIES["first10days"], values=doc)
    except ConfigError:
        return
    accepted = [b.name for b in cfg.benchmarks]
    assert not any(control_characters(n) for n in accepted)
    assert all(n.strip().casefold() != "first10days" for n in accepted)
    if benchmark_name_problems("first10days", cfg.benchmarks):  # duplicates: refused on use
        assert len({n.strip().casefold() for n in accepted}) < len(accepted)


@settings(max_examples=150, deadline=None, suppress_health_check=QUICK)
@given(
    n_combos=st.integers(0, 4),
    offsets=st.lists(st.integers(-3, 12), min_size=0, max_size=7),
    positions=st.lists(st.integers(-3, 12), max_size=8),
    rows=st.lists(st.integers(-2, 3), max_size=8),
)
def test_fuzz_decisions_from_user_code_are_checked_before_compiled_code(
    n_combos: int, offsets: list[int], positions: list[int], rows: list[int]
) -> None:
    """Class 2: any arrays a `decide` returns are refused or safe for the kernel to index."""
    import numpy as np
    import pandas as pd

    from engine.decisions.batch import Decisions

    index = pd.bdate_range("2020-01-01", periods=10)
    try:
        decisions = Decisions(
            index, ("SPY",), np.array([[0.5], [1.0]]), np.array(offsets, dtype=np.int64),
            np.array(positions, dtype=np.int64), np.array(rows, dtype=np.int64),
        )  # fmt: skip
    except (ValueError, IndexError):
        return  # inconsistent lengths are refused at construction
    problem = decisions.problem(n_combos, index)
    if problem is not None:
        return
    assert decisions.n_combos == n_combos
    assert ((decisions.positions >= 0) & (decisions.positions < len(index))).all()
    assert ((decisions.rows >= 0) & (decisions.rows < len(decisions.palette))).all()
    for j in range(n_combos):  # every combination's events are in range and increasing
        events = decisions.events(j)[0]
        assert (np.diff(events) > 0).all()


@settings(max_examples=40, deadline=None, suppress_health_check=QUICK)
@given(
    kind=st.sampled_from(["fifo", "folder", "device", "sparse", "bytes", "bom", "loop"]),
    junk=st.binary(max_size=200),
    option=st.sampled_from(["--config", "--defaults"]),
)
def test_fuzz_any_file_given_as_a_config_ends_quickly_in_one_line(
    tmp_path_factory, kind: str, junk: bytes, option: str
) -> None:
    """Class 4: pipes, devices, folders, huge or junk files, loops: exit 2 or a run, fast."""
    import os

    folder = tmp_path_factory.mktemp("files")
    path = folder / "given.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "sparse":
        with path.open("wb") as handle:
            handle.truncate(64 * 2**20)
    elif kind == "loop":
        path.symlink_to(path)
    else:
        path.write_bytes((b"\xef\xbb\xbf" if kind == "bom" else b"") + junk)
    code, _, err = run(["first10days", option, str(path), "--no-report"])
    check_outcome(code, err)
    assert "unexpected failure" not in err, err[:2000]
    if kind in ("fifo", "folder", "device", "sparse", "loop"):
        assert code == 2 and str(path) in err, err[:2000]


@settings(max_examples=60, deadline=None, suppress_health_check=QUICK)
@given(
    axes=st.lists(
        st.tuples(st.sampled_from(["upper", "lower", "n"]), st.sampled_from(["60,70", "75", "80"])),
        min_size=1,
        max_size=4,
    ),
    train=st.integers(1, 40),
    test=st.integers(1, 40),
)
def test_fuzz_grids_and_walk_forward_spans_are_never_quietly_changed(
    axes: list[tuple[str, str]], train: int, test: int
) -> None:
    """Class 5: a repeated --grid key is refused, not replaced; a walk-forward window never
    runs past the data (it fits, or the run is refused)."""
    from engine.calendar import nyse_sessions
    from engine.errors import ConfigError
    from engine.tuning.grid import build_grid
    from engine.tuning.walk_forward import WalkForwardSpec, splits

    model = STRATEGIES["rsi_trim"].params_model
    texts = [f"{name}={values}" for name, values in axes]
    names = [name for name, _ in axes]
    try:
        grid = build_grid(model, model(), texts)
    except ConfigError as exc:
        if len(set(names)) < len(names):
            assert "is given twice" in str(exc)
        return
    assert len(set(names)) == len(names)
    assert sorted(a.name for a in grid.axes) == sorted(names)
    index = nyse_sessions("2000-01-03", "2019-12-31")
    spec = WalkForwardSpec.parse(f"train={train}y,test={test}y")
    try:
        windows = splits(index, index, spec)
    except BadInputError as exc:
        assert "shorten train or test" in str(exc)
        return
    import pandas as pd

    start = index[windows[0].test_start]  # the first test window ends within the data
    assert start + pd.DateOffset(years=test) <= index[-1] + pd.Timedelta(days=8)


@pytest.mark.parametrize("key", ["data.mirror_dir", "data.cache_dir", "report.output_dir"])
def test_a_folder_no_file_system_can_hold_is_refused_as_bad_input(key: str) -> None:
    """A 256-byte folder name once escaped as an OS error ('File name too long') from the first
    look at the folder; it is refused with the config, naming the key and the limit."""
    code, _, err = run(["first10days", "--no-report", "--set", f'{key}="{"A" * 256}"'])
    check_outcome(code, err)
    assert code == 2 and key in err and "255 bytes a name" in err, err
