"""Real signals to real processes: SIGTERM behaves like Ctrl-C, SIGKILL leftovers are cleared
at the next start, and a live run's temporary files are never taken for leftovers.

Each child runs the real `run_backtest.py` on the small synthetic mirror of tests/test_faults.py.
A few lines before the script (`python -c`) make it stop at a precise point, write a marker
file and sleep there, so the signal lands where it matters:

- report-write-N: after N-1 files were written into the report's temporary folder;
- cache-write: a cache entry's temporary file is complete but not yet renamed into place;
- simulate: in the middle of the simulations.

Every wait is bounded (markers: 120 s, exits: 60 s) and a child still alive is killed, so a
failure is an assertion, never a hung test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from engine.api.startup import start_up
from engine.cli.main import main
from engine.config.settings import DataSettings
from engine.data import cache
from strategies import discover
from tests.test_faults import synthetic_mirror

STRATEGIES = discover()
PROJECT_ROOT = Path(__file__).resolve().parents[1]
INTERRUPTED_BY_TERM = (
    "interrupted by SIGTERM: stopped before the end; no partial report or cache file is left"
)

CHILD = textwrap.dedent(
    """
    import os, pathlib, runpy, sys, time
    mode, marker = sys.argv[1], pathlib.Path(sys.argv[2])

    def arrive():
        marker.write_text(str(os.getpid()))
        time.sleep(90)  # the signal lands here

    if mode.startswith("report-write-"):
        stop_at = int(mode.rsplit("-", 1)[1])
        real_write_bytes = pathlib.Path.write_bytes
        count = [0]
        def write_bytes(self, data):
            if self.parent.name.startswith(".tmp-"):
                count[0] += 1
                if count[0] == stop_at:
                    arrive()
            return real_write_bytes(self, data)
        pathlib.Path.write_bytes = write_bytes
    elif mode == "cache-write":
        import pyarrow.parquet as pq
        real_write = pq.write_table
        def write_table(*a, **k):
            real_write(*a, **k)
            arrive()  # the temporary file is complete, the rename has not happened
        pq.write_table = write_table
    elif mode == "simulate":
        import engine.simulate.portfolio as backtest
        real_run = backtest.run_backtest
        count = [0]
        def run_backtest(*a, **k):
            count[0] += 1
            if count[0] == 3:
                arrive()
            return real_run(*a, **k)
        backtest.run_backtest = run_backtest
        import engine.simulate.pipeline as pipeline
        pipeline.run_backtest = run_backtest
    sys.argv = ["run_backtest.py", *sys.argv[3:]]
    runpy.run_path("run_backtest.py", run_name="__main__")
    """
)


def isolation(cache_dir: Path, reports: Path, mirror: Path) -> list[str]:
    out: list[str] = []
    for item in (
        f"data.cache_dir='{cache_dir}'",
        f"report.output_dir='{reports}'",
        f"data.mirror_dir='{mirror}'",
        "data.providers=['cache', 'mirror']",
        "backtest.start=2019-01-01",
    ):
        out += ["--set", item]
    return out


def compare_isolation(cache_dir: Path, reports: Path, mirror: Path) -> list[str]:
    """compare takes LABEL.KEY=VALUE: the same settings for both labels."""
    out: list[str] = []
    for label in ("first10days", "first10days@n15"):
        items = isolation(cache_dir, reports, mirror)[1::2]
        for item in items:
            out += ["--set", f"{label}.{item}"]
    return [*out, "--set", "first10days@n15.lead_days=15"]


class Child:
    """A paused run_backtest.py child; `signal` it once it is at its point."""

    def __init__(self, mode: str, marker: Path, argv: list[str]) -> None:
        self.marker = marker
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, str(marker), *argv],
            cwd=PROJECT_ROOT,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_paused(self, timeout: float = 120.0) -> None:
        deadline = time.time() + timeout
        while not self.marker.exists() and self.proc.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        if not self.marker.exists():
            _, err = self.finish(kill=True)
            pytest.fail(f"the child never reached its point (exit {self.proc.returncode}): {err}")

    def finish(self, sig: int | None = None, kill: bool = False) -> tuple[str, str]:
        if sig is not None:
            os.kill(self.proc.pid, sig)
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            return self.proc.communicate(timeout=60)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.communicate()


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_mirror(tmp_path_factory.mktemp("mirror"))


def debris(root: Path) -> list[str]:
    """Temporary report folders/files and temporary cache files under `root`."""
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name.startswith(".tmp-") or (p.name.startswith(".") and p.name.endswith(".tmp"))
    )


# --------------------------------------------------------------------------- SIGTERM


@pytest.mark.parametrize("mode", ["report-write-3"])
def test_sigterm_during_compare_stops_it_like_ctrl_c_and_leaves_nothing(
    tmp_path: Path, mirror: Path, mode: str
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    argv = ["compare", "first10days", "first10days@n15"]
    argv += compare_isolation(cache_dir, reports, mirror)
    child = Child(mode, tmp_path / "marker", argv)
    child.wait_paused()
    if mode.startswith("report-write"):
        assert debris(reports)  # the temporary folder exists at the moment of the signal
    out, err = child.finish(signal.SIGTERM)
    assert child.proc.returncode == 1, err
    assert err.strip().splitlines()[-1] == INTERRUPTED_BY_TERM
    assert "Traceback" not in err and "report:" not in out
    assert debris(tmp_path) == []
    assert not (reports / "compare").exists() or not any((reports / "compare").iterdir())


def test_sigterm_while_a_cache_entry_is_replaced_keeps_the_entry_whole(
    tmp_path: Path, mirror: Path
) -> None:
    cache_dir = tmp_path / "cache"
    child = Child(
        "cache-write",
        tmp_path / "marker",
        [
            "data",
            "update",
            "SPY",
            "--set",
            f"data.cache_dir='{cache_dir}'",
            "--set",
            f"data.mirror_dir='{mirror}'",
        ],
    )
    child.wait_paused()
    assert [p.name for p in cache_dir.iterdir() if p.name.endswith(".tmp")]  # mid-write
    _, err = child.finish(signal.SIGTERM)
    assert child.proc.returncode == 1
    assert err.strip().splitlines()[-1] == INTERRUPTED_BY_TERM
    assert debris(cache_dir) == [] and not (cache_dir / "SPY.parquet").exists()


# --------------------------------------------------------------------------- SIGKILL


def test_sigkill_leftovers_are_cleared_at_the_next_start(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    argv = ["first10days", *isolation(cache_dir, reports, mirror)]
    update = [
        "data",
        "update",
        "QQQ",
        "--set",
        f"data.cache_dir='{cache_dir}'",
        "--set",
        f"data.mirror_dir='{mirror}'",
    ]
    killed_report = Child("report-write-4", tmp_path / "m1", argv)
    killed_cache = Child("cache-write", tmp_path / "m2", update)
    for child in (killed_report, killed_cache):
        child.wait_paused()
    for child in (killed_report, killed_cache):
        child.finish(signal.SIGKILL)
    assert killed_report.proc.returncode == killed_cache.proc.returncode == -signal.SIGKILL
    left = debris(tmp_path)
    assert any(p.startswith("reports/first10days/.tmp-") for p in left), left
    assert any(p.startswith("cache/.QQQ.parquet.") for p in left), left

    code = main(STRATEGIES, argv)  # the next start, in this process
    out, err = capsys.readouterr()
    assert code == 0, err
    notes = [ln for ln in err.splitlines() if ln.startswith("note: removed ")]
    assert len(notes) == 2 and all(ln.endswith(", left by an interrupted run") for ln in notes)
    assert debris(tmp_path) == []
    [published] = [p for p in (reports / "first10days").iterdir() if p.is_dir()]
    assert (published / "run.json").is_file() and "report: " in out
    for entry in sorted(cache_dir.glob("*.parquet")):  # every cache file whole
        assert cache.read_entry(cache_dir, entry.stem) is not None


def test_a_live_runs_temporary_files_are_not_taken_for_leftovers(
    tmp_path: Path, mirror: Path, capsys
) -> None:
    """A run paused in its report writing and another paused in a cache write (holding that
    ticker's lock): a third run starting meanwhile on the same folders removes neither."""
    cache_dir, reports = tmp_path / "cache", tmp_path / "reports"
    argv = ["first10days", *isolation(cache_dir, reports, mirror)]
    writing = Child("report-write-2", tmp_path / "m1", argv)
    update = [
        "data",
        "update",
        "DIA",
        "--set",
        f"data.cache_dir='{cache_dir}'",
        "--set",
        f"data.mirror_dir='{mirror}'",
        "--set",
        "data.lock_timeout_s=0",
    ]
    caching = Child("cache-write", tmp_path / "m2", update)
    try:
        writing.wait_paused()
        caching.wait_paused()
        live = debris(tmp_path)
        assert len(live) == 2, live
        # what every command does first, on the very same folders
        start_up(DataSettings(cache_dir=str(cache_dir), mirror_dir=str(mirror)), reports)
        assert "note: removed" not in capsys.readouterr().err
        assert debris(tmp_path) == live  # both still there
        code = main(STRATEGIES, ["data", "status", "--set", f"data.cache_dir='{cache_dir}'"])
        assert code == 0 and "note: removed" not in capsys.readouterr().err
        assert debris(tmp_path) == live
    finally:
        writing.finish(signal.SIGTERM)
        caching.finish(signal.SIGTERM)
    assert writing.proc.returncode == caching.proc.returncode == 1
    assert debris(tmp_path) == []  # each cleaned its own files when stopped
