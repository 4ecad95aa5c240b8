"""Ctrl-C (a real SIGINT) or an exception in the middle of `run_backtest.py first10days` leaves no
partial report, no temporary folder and no unreadable cache file, and exits 1 saying so.

A subprocess runs the real script twice (one interpreter: the heavy imports are paid once) on
a small synthetic mirror, each run with its own cache and report folders, and each run gets a
real SIGINT from this process. A few lines run before the script (`python -c`) mark a precise
point and wait there, so the signal arrives where it matters:

- cache-write: while a cache entry is being replaced (new file written, not yet renamed);
- report-write: while the report's files are being written into its temporary folder.

Three more cases raise the KeyboardInterrupt in process (`engine.cli.main.main`), where Python would
deliver Ctrl-C: half-way through writing a cache file, in the middle of the simulations, and
after some report files.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.cli.main import main
from engine.config.settings import DataSettings
from engine.data import cache, update_tickers
from engine.simulate import pipeline
from strategies import discover
from tests.test_faults import TICKERS, synthetic_mirror

STRATEGIES = discover()

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MESSAGE = "interrupted: stopped before the end; no partial report or cache file is left"

# argv: then, for each run: mode, marker file, result folder, and the script's arguments
# (11 of them, see run_argv). Each run's exit code, stdout and stderr go to its result folder.
CHILD = textwrap.dedent(
    """
    import contextlib, pathlib, runpy, signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args = sys.argv[1:]
    runs = [args[i : i + 14] for i in range(0, len(args), 14)]
    state = {"mode": None, "marker": None, "count": 0}

    def arrive():
        pathlib.Path(state["marker"]).write_text("here")
        time.sleep(120)  # the SIGINT lands here

    import pyarrow.parquet as pq
    real_write = pq.write_table
    def write_table(*a, **k):
        real_write(*a, **k)
        if state["mode"] == "cache-write":
            state["count"] += 1
            if state["count"] == 2:  # the second entry: its temp file complete, not renamed
                arrive()
    pq.write_table = write_table

    real_write_bytes = pathlib.Path.write_bytes
    def write_bytes(self, data):
        if state["mode"] == "report-write" and self.parent.name.startswith(".tmp-"):
            state["count"] += 1
            if state["count"] == 4:  # three report files are in the temporary folder
                arrive()
        return real_write_bytes(self, data)
    pathlib.Path.write_bytes = write_bytes

    for mode, marker, results, *argv in runs:
        state.update(mode=mode, marker=marker, count=0)
        folder = pathlib.Path(results)
        sys.argv = ["run_backtest.py", *argv]
        with open(folder / "stdout", "w") as out, open(folder / "stderr", "w") as err:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    runpy.run_path("run_backtest.py", run_name="__main__")
                    code = 0
                except SystemExit as exc:
                    code = exc.code
        (folder / "code").write_text(str(code))
    """
)
MODES = ("cache-write", "report-write")


@dataclass
class Outcome:
    code: int
    stderr: str
    stdout: str
    cache_dir: Path
    reports: Path
    before: dict[str, bytes]  # cache files before the run


def prepare_cache(cache_dir: Path, mirror: Path, stale: bool) -> dict[str, bytes]:
    """Cache every ticker from the mirror; `stale` makes each entry look imported from an older
    version of its mirror file, so the run re-imports and rewrites them all."""
    settings = DataSettings(providers=["mirror"], mirror_dir=str(mirror), cache_dir=str(cache_dir))
    update_tickers(list(TICKERS), settings, PROJECT_ROOT, source="mirror")
    if stale:
        for ticker in TICKERS:
            entry = cache.read_entry(cache_dir, ticker)
            assert entry is not None
            extra = {**entry.extra, "mirror_mtime_ns": "0"}
            old = cache.History(
                ticker, entry.frame, "mirror", entry.origin, entry.fetched_at, extra
            )
            cache.write_entry(cache_dir, old)
    return {p.name: p.read_bytes() for p in cache_dir.glob("*.parquet")}


def run_argv(cache_dir: Path, reports: Path, mirror: Path) -> list[str]:
    return [
        "first10days",
        "--set",
        f"data.cache_dir='{cache_dir}'",
        "--set",
        f"report.output_dir='{reports}'",
        "--set",
        f"data.mirror_dir='{mirror}'",
        "--set",
        "data.providers=['cache', 'mirror']",
        "--set",
        "backtest.start=2019-01-01",
    ]


def check_nothing_partial(code: int, stderr: str, stdout: str, cache_dir: Path, reports: Path):
    """Exit 1 with the message, no report (not even a temporary folder), every cache file whole."""
    assert code == 1, stderr
    assert stderr.strip().splitlines()[-1] == MESSAGE
    assert "Traceback" not in stderr
    assert "report:" not in stdout  # nothing was published
    leftovers = sorted(str(p.relative_to(reports)) for p in reports.rglob("*"))
    assert leftovers in ([], ["first10days"]), leftovers  # at most the empty title folder
    entries = sorted(cache_dir.glob("*.parquet"))
    assert [p.stem for p in entries] == sorted(TICKERS)
    for path in entries:  # every cache file is whole: its checksum verifies
        assert cache.read_entry(cache_dir, path.stem) is not None
    assert not [p.name for p in cache_dir.iterdir() if p.name.endswith(".tmp")]
    assert not list(cache_dir.glob("*.corrupt-*"))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("interrupt")
    mirror = synthetic_mirror(root / "mirror")
    child_args: list[str] = []
    setups: dict[str, tuple[Path, Path, dict[str, bytes]]] = {}
    for mode in MODES:
        folder = root / mode
        cache_dir, reports = folder / "cache", folder / "reports"
        before = prepare_cache(cache_dir, mirror, stale=mode == "cache-write")
        child_args += [
            mode,
            str(folder / "marker"),
            str(folder),
            *run_argv(cache_dir, reports, mirror),
        ]
        setups[mode] = (cache_dir, reports, before)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, *child_args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 180
    try:
        for mode in MODES:  # each run waits at its point until this process interrupts it
            marker = root / mode / "marker"
            while not marker.exists() and proc.poll() is None and time.time() < deadline:
                time.sleep(0.005)
            if proc.poll() is None and marker.exists():
                os.kill(proc.pid, signal.SIGINT)
        _, child_err = proc.communicate(timeout=max(1.0, deadline - time.time()))
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, child_err
    out: dict[str, Outcome] = {}
    for mode in MODES:
        folder = root / mode
        code = int((folder / "code").read_text())
        stdout, stderr = (folder / "stdout").read_text(), (folder / "stderr").read_text()
        out[mode] = Outcome(code, stderr, stdout, *setups[mode])
    return out


@pytest.mark.parametrize("mode", MODES)
def test_an_interrupted_run_exits_1_and_leaves_no_partial_file(
    outcomes: dict[str, Outcome], mode: str
) -> None:
    got = outcomes[mode]
    check_nothing_partial(got.code, got.stderr, got.stdout, got.cache_dir, got.reports)


def test_a_cache_write_cut_short_keeps_the_previous_entry(outcomes: dict[str, Outcome]) -> None:
    """The first entry was replaced whole; the second one, interrupted between its write and
    its rename, is still the previous file byte for byte; the rest were never touched."""
    got = outcomes["cache-write"]
    now = {p.name: p.read_bytes() for p in got.cache_dir.glob("*.parquet")}
    changed = sorted(name for name in now if now[name] != got.before[name])
    assert changed == [f"{TICKERS[0]}.parquet"]  # loaded in order: SPY done, QQQ cut short
    fresh = cache.read_entry(got.cache_dir, TICKERS[0])
    assert fresh is not None and fresh.extra["mirror_mtime_ns"] != "0"
    assert dt.datetime.fromisoformat(fresh.fetched_at) <= dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- in process


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_mirror(tmp_path_factory.mktemp("mirror"))


def _raise_on_call(real, number: int):
    """`real`, except that its `number`-th call raises KeyboardInterrupt (after doing its work
    half-way, when it writes: see the callers)."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return wrapper


def test_ctrl_c_half_way_through_a_cache_file(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    before = prepare_cache(cache_dir, mirror, stale=True)
    real_write = pq.write_table
    calls = []

    def half_then_interrupt(table, where, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the third entry: half its bytes are on disk
            where.write(b"PAR1" + b"x" * 1000)
            raise KeyboardInterrupt
        real_write(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", half_then_interrupt)
    code = main(STRATEGIES, run_argv(cache_dir, reports, mirror))
    out, err = capsys.readouterr()
    check_nothing_partial(code, err, out, cache_dir, reports)
    now = {p.name: p.read_bytes() for p in cache_dir.glob("*.parquet")}
    assert sorted(n for n in now if now[n] != before[n]) == ["QQQ.parquet", "SPY.parquet"]
    assert now["IWM.parquet"] == before["IWM.parquet"]  # the interrupted one: previous file


def test_ctrl_c_during_the_simulations(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    prepare_cache(cache_dir, mirror, stale=False)
    monkeypatch.setattr(pipeline, "run_backtest", _raise_on_call(pipeline.run_backtest, 3))
    code = main(STRATEGIES, run_argv(cache_dir, reports, mirror))
    out, err = capsys.readouterr()
    check_nothing_partial(code, err, out, cache_dir, reports)


def test_ctrl_c_after_some_report_files(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    prepare_cache(cache_dir, mirror, stale=False)
    real_write_bytes = Path.write_bytes
    written: list[str] = []

    def write_bytes(self: Path, data: bytes) -> int:
        if self.parent.name.startswith(".tmp-"):
            written.append(self.name)
            if len(written) == 6:
                raise KeyboardInterrupt
        return real_write_bytes(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    code = main(STRATEGIES, run_argv(cache_dir, reports, mirror))
    out, err = capsys.readouterr()
    assert len(written) == 6  # five files were in the temporary folder when it stopped
    check_nothing_partial(code, err, out, cache_dir, reports)


# --------------------------------------------------------------------------- signals in process


def _signal_during_simulations(sig: int, convert: str):
    """A run_backtest that receives `sig` for real in the middle of the simulations; `convert`
    mimics compiled code on the way out: 'none' lets the KeyboardInterrupt through, 'chained'
    turns it into SystemError (CPython's "returned a result with an exception set"), 'bare'
    into a RuntimeError that hides its cause."""
    real = pipeline.run_backtest
    calls = []

    def run_backtest(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            if convert == "none":
                signal.raise_signal(sig)
            try:
                signal.raise_signal(sig)
            except KeyboardInterrupt as exc:
                if convert == "chained":
                    raise SystemError(
                        "<built-in function f> returned a result with an exception set"
                    ) from exc
                raise RuntimeError("error in a compiled callback") from None
        return real(*args, **kwargs)

    return run_backtest


@pytest.mark.parametrize(
    ("sig", "convert", "by"),
    [
        (signal.SIGTERM, "none", " by SIGTERM"),
        (signal.SIGINT, "chained", ""),
        (signal.SIGINT, "bare", ""),
        (signal.SIGTERM, "chained", " by SIGTERM"),
    ],
)
def test_a_signal_in_compiled_code_says_interrupted_not_systemerror(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys, sig, convert, by
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    prepare_cache(cache_dir, mirror, stale=False)
    monkeypatch.setattr(pipeline, "run_backtest", _signal_during_simulations(sig, convert))
    before = signal.getsignal(signal.SIGTERM)
    code = main(STRATEGIES, run_argv(cache_dir, reports, mirror))
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == MESSAGE.replace("interrupted:", f"interrupted{by}:")
    assert "SystemError" not in err and "unexpected failure" not in err
    check_nothing_partial(
        code, err.replace(f"interrupted{by}:", "interrupted:"), out, cache_dir, reports
    )
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is restored after the run
