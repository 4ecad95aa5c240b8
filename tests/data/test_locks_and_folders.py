"""A cache lock held by another real process, folders that are files, an unwritable cache and a
full disk: each ends in a message at once and a clear outcome, never a silent stall or a
half-written file.

This suite runs as root in CI containers, where file permissions are not enforced: a read-only
folder is then tested only when not root (skipped otherwise), and the same failures are provoked
in ways root cannot bypass: a file where a folder is expected, a folder where a cache file is
expected, and a file-size limit (RLIMIT_FSIZE, as a full disk answers: EFBIG / "File too
large") in a child process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.cli.main import main
from engine.data import cache
from strategies import discover
from tests.test_faults import synthetic_mirror

STRATEGIES = discover()
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

# argv: cache_dir, ticker, locked file, release file: hold the ticker's lock until told to stop
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from engine.data import cache

    cache_dir, ticker, locked, release = Path(sys.argv[1]), sys.argv[2], *map(Path, sys.argv[3:5])
    cache_dir.mkdir(parents=True, exist_ok=True)
    with cache.lock_for(cache.entry_path(cache_dir, ticker)):
        locked.write_text("held")
        deadline = time.time() + 120
        while not release.exists() and time.time() < deadline:
            time.sleep(0.01)
    """
)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_mirror(tmp_path_factory.mktemp("mirror"))


class Holder:
    """Another process holding one ticker's cache lock."""

    def __init__(self, tmp: Path, cache_dir: Path, ticker: str) -> None:
        self.locked, self.release = tmp / f"locked-{ticker}", tmp / f"release-{ticker}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                HOLDER,
                str(cache_dir),
                ticker,
                str(self.locked),
                str(self.release),
            ],
            env=ENV,
        )
        deadline = time.time() + 60
        while not self.locked.exists() and self.proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        assert self.locked.exists(), "the holder never took the lock"

    def stop(self) -> None:
        self.release.write_text("")
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(STRATEGIES, argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def data_opts(cache_dir: Path, mirror: Path, *extra: str) -> list[str]:
    out: list[str] = []
    for item in (f"data.cache_dir='{cache_dir}'", f"data.mirror_dir='{mirror}'", *extra):
        out += ["--set", item]
    return out


def run_opts(tmp: Path, mirror: Path, *extra: str) -> list[str]:
    """Isolated in `tmp`; `extra` overrides come last, so they win."""
    base = [
        f"report.output_dir='{tmp / 'reports'}'",
        "backtest.start=2019-01-01",
        "data.providers=['cache', 'mirror']",
    ]
    return data_opts(tmp / "cache", mirror, *base, *extra)


# --------------------------------------------------------------------------- a held lock


def test_an_update_waits_at_most_the_bound_and_says_so_at_once(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    cache_dir = tmp_path / "cache"
    holder = Holder(tmp_path, cache_dir, "IWM")
    try:
        code, out, err = cli(
            ["data", "update", "IWM", *data_opts(cache_dir, mirror, "data.lock_timeout_s=0.5")],
            capsys,
        )
    finally:
        holder.stop()
    lock = cache.entry_path(cache_dir, "IWM")
    assert code == 1 and out == ""
    note, error = err.strip().splitlines()
    assert note == (
        f"note: waiting for another rotation-lab process's lock on IWM ({lock}.lock), at most "
        "0.5 s (data.lock_timeout_s)"
    )
    assert error == (
        f"error: update failed for IWM: could not lock {lock}.lock within 0.5s; another "
        "rotation-lab process is updating this ticker. Retry when it has finished."
    )
    assert not lock.exists()


def test_an_update_goes_ahead_when_the_other_process_lets_go(
    tmp_path: Path, mirror: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder lets go only once the wait was announced, so the wait really happens."""
    cache_dir = tmp_path / "cache"
    holder = Holder(tmp_path, cache_dir, "IWM")
    real_notify = cache.notify

    def announce_then_release(text: str) -> None:
        real_notify(text)
        holder.release.write_text("")

    monkeypatch.setattr(cache, "notify", announce_then_release)
    try:
        code, out, err = cli(
            ["data", "update", "IWM", *data_opts(cache_dir, mirror, "data.lock_timeout_s=60")],
            capsys,
        )
    finally:
        holder.stop()
    assert code == 0, err
    assert err.startswith("note: waiting for another rotation-lab process's lock on IWM")
    assert re.match(r"IWM: \d+ rows 2018-01-02\.\.2021-12-31 from .*IWM\.csv$", out.strip())
    assert cache.read_entry(cache_dir, "IWM") is not None


def test_a_run_with_a_held_lock_uses_the_prices_and_says_they_were_not_cached(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    holder = Holder(tmp_path, tmp_path / "cache", "SPY")
    try:
        code, out, err = cli(
            ["first10days", "--no-report", *run_opts(tmp_path, mirror, "data.lock_timeout_s=0")],
            capsys,
        )
    finally:
        holder.stop()
    assert code == 0, err
    assert "note: waiting for another rotation-lab process's lock on SPY" in err
    [line] = [ln for ln in out.splitlines() if ln.startswith("data warning: SPY")]
    assert "could not lock" in line and "The prices were used for this run but not cached." in line
    assert not cache.entry_path(tmp_path / "cache", "SPY").exists()
    assert cache.read_entry(tmp_path / "cache", "IWM") is not None  # the others were cached


# --------------------------------------------------------------------------- folders


@pytest.mark.parametrize("key", ["data.cache_dir", "data.mirror_dir", "report.output_dir"])
def test_a_file_where_a_folder_is_expected_is_bad_input(
    tmp_path: Path, mirror: Path, capsys, key: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, out, err = cli(["first10days", *run_opts(tmp_path, mirror, f"{key}='{blocker}'")], capsys)
    assert code == 2 and out == ""
    assert err.strip() == (
        f"error: {key} = {blocker} is a file, not a folder; point {key} to a folder (or move "
        "the file away)"
    )


def test_a_config_folder_given_as_the_config_file_is_bad_input(tmp_path: Path, capsys) -> None:
    code, _, err = cli(["first10days", "--config", str(tmp_path)], capsys)
    assert (
        code == 2 and err.strip() == f"error: config file {tmp_path} is a folder; give a .toml file"
    )


def test_an_unreadable_cache_entry_is_set_aside_and_said_on_the_terminal(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    """A folder where SPY's cache file should be: it cannot be read (root or not), so it is
    moved aside, SPY is re-fetched from the mirror, and the terminal says so with --no-report."""
    (tmp_path / "cache" / "SPY.parquet").mkdir(parents=True)
    code, out, err = cli(["first10days", "--no-report", *run_opts(tmp_path, mirror)], capsys)
    assert code == 0, err
    [line] = [ln for ln in out.splitlines() if ln.startswith("data warning: SPY")]
    assert "SPY.parquet is unusable: cannot be read" in line
    assert "moved aside to SPY.parquet.corrupt-" in line and "re-fetched" in line
    assert cache.read_entry(tmp_path / "cache", "SPY") is not None


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_a_read_only_cache_folder_is_a_warning_and_the_run_goes_on(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    cache_dir.chmod(0o500)
    try:
        code, out, err = cli(["first10days", "--no-report", *run_opts(tmp_path, mirror)], capsys)
    finally:
        cache_dir.chmod(0o700)
    assert code == 0, err
    assert [ln for ln in out.splitlines() if "could not write the cache file" in ln]


FULL_DISK = textwrap.dedent(
    """
    import resource, runpy, signal, sys
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    sys.argv = ["run_backtest.py", *sys.argv[1:]]
    runpy.run_path("run_backtest.py", run_name="__main__")
    """
)


def test_a_full_disk_fails_with_one_line_and_leaves_no_partial_file(
    tmp_path: Path, mirror: Path
) -> None:
    """No file may grow past 4 KB: every cache entry and the report fail to be written."""
    proc = subprocess.run(
        [sys.executable, "-c", FULL_DISK, "first10days", *run_opts(tmp_path, mirror)],
        cwd=PROJECT_ROOT,
        env={**ENV, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr + proc.stdout
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr
    # The report, or a compiled-code cache file of numba when it has none yet: either way
    # the one line says what could not be written and why.
    assert errors[0].startswith("error: could not write ") and "File too large" in errors[0]
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".tmp-")]
    leftovers += [p.name for p in tmp_path.rglob("*.tmp")]
    assert leftovers == []
    assert not list((tmp_path / "cache").glob("*.parquet"))
