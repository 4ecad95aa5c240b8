"""Concurrent cache updates between real processes: the lock serialises writers, and a writer
holding an older fetch never replaces a newer entry another process wrote meanwhile."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.data import cache
from engine.data.cache import History
from engine.errors import DataUnavailableError

from .conftest import sessions

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}

# argv: cache_dir, close value, fetched_at, wait-for file ('' = none), done file, keep_newer
WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import numpy as np, pandas as pd
    from engine.calendar import nyse_sessions
    from engine.data import cache

    cache_dir, value, fetched, wait_for, done, keep = sys.argv[1:7]
    index = nyse_sessions("2024-01-02", "2024-01-31")
    frame = pd.DataFrame({f: np.full(len(index), float(value)) for f in
        ("open", "high", "low", "close", "adj_close", "volume")}, index=index)
    history = cache.History("RACE", frame, "yfinance", f"writer {value}", fetched)
    if wait_for:
        deadline = time.time() + 60
        while not Path(wait_for).exists():
            if time.time() > deadline:
                sys.exit("gave up waiting")
            time.sleep(0.01)
    cache.write_entry(Path(cache_dir), history, keep_newer=keep == "1")
    Path(done).write_text(str(time.time()))
    """
)

# argv: cache_dir, locked file, release file: hold RACE's lock until told to let go
HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from engine.data import cache

    cache_dir, locked, release = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    cache_dir.mkdir(parents=True, exist_ok=True)
    with cache.lock_for(cache.entry_path(cache_dir, "RACE")):
        locked.write_text(str(time.time()))
        deadline = time.time() + 60
        while not release.exists() and time.time() < deadline:
            time.sleep(0.01)
        released = time.time()
    Path(str(release) + ".at").write_text(str(released))
    """
)


def spawn(script: str, *args: object) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=PROJECT_ROOT,
        env=ENV,
        stderr=subprocess.PIPE,
    )


def finish(proc: subprocess.Popen[bytes]) -> None:
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err.decode()


def wait_for(path: Path, timeout: float = 60.0) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def test_an_older_fetch_written_later_does_not_replace_a_newer_entry(tmp_path: Path) -> None:
    """Process A fetched first (slow network) and writes last; B's newer entry must survive.

    A is a separate process that waits for B (this process) to have written its entry.
    """
    cache_dir = tmp_path / "cache"
    go, a_done = tmp_path / "go", tmp_path / "a.done"
    older, newer = "2026-01-05T10:00:00+00:00", "2026-01-05T10:00:07+00:00"
    a = spawn(WRITER, cache_dir, 1.0, older, go, a_done, 1)
    index = sessions("2024-01-02", "2024-01-31")
    frame = pd.DataFrame({f: np.full(len(index), 2.0) for f in cache.FIELDS}, index=index)
    cache.write_entry(cache_dir, History("RACE", frame, "yfinance", "b", newer), keep_newer=True)
    go.write_text("")
    finish(a)
    assert a_done.exists()  # A did run its write, after B's
    entry = cache.read_entry(cache_dir, "RACE")
    assert entry is not None
    assert entry.fetched_at == newer and entry.frame["close"].unique().tolist() == [2.0]
    assert sorted(p.name for p in cache_dir.iterdir()) == ["RACE.parquet", "RACE.parquet.lock"]

    # Without the guard the late writer wins: the guard is what kept the update.
    cache.write_entry(cache_dir, History("RACE", frame * 0 + 1.0, "yfinance", "a", older))
    assert cache.read_entry(cache_dir, "RACE").fetched_at == older  # type: ignore[union-attr]


def test_a_newer_fetch_or_a_longer_history_does_replace_the_entry(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    index = sessions("2024-01-02", "2024-01-31")
    frame = pd.DataFrame({f: np.ones(len(index)) for f in cache.FIELDS}, index=index)
    cache.write_entry(cache_dir, History("X", frame, "yfinance", "t", "2026-01-05T10:00:05+00:00"))
    newer = History("X", frame * 2, "yfinance", "t", "2026-01-05T10:00:06+00:00")
    cache.write_entry(cache_dir, newer, keep_newer=True)
    assert cache.read_entry(cache_dir, "X").frame["close"].iloc[0] == 2.0  # type: ignore[union-attr]
    longer_index = sessions("2024-01-02", "2024-02-29")
    longer = pd.DataFrame({f: np.full(len(longer_index), 3.0) for f in cache.FIELDS}, longer_index)
    older_but_longer = History("X", longer, "yfinance", "t", "2026-01-05T09:00:00+00:00")
    cache.write_entry(cache_dir, older_but_longer, keep_newer=True)
    entry = cache.read_entry(cache_dir, "X")
    assert entry is not None and entry.last == "2024-02-29"


def test_a_writer_waits_for_the_lock_another_process_holds_or_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A holder process keeps RACE's lock: a short wait fails with a clear message and leaves
    the entry untouched; a normal wait blocks until the holder lets go, then writes."""
    cache_dir = tmp_path / "cache"
    index = sessions("2024-01-02", "2024-01-31")
    frame = pd.DataFrame({f: np.ones(len(index)) for f in cache.FIELDS}, index=index)
    path = cache.write_entry(cache_dir, History("RACE", frame, "mirror", "t", cache.utc_now_iso()))
    before = path.read_bytes()
    locked, release = tmp_path / "locked", tmp_path / "release"
    holder = spawn(HOLDER, cache_dir, locked, release)
    try:
        wait_for(locked)
        with monkeypatch.context() as patch:
            patch.setattr(cache, "LOCK_TIMEOUT_S", 0.3)
            with pytest.raises(DataUnavailableError) as err:
                cache.write_entry(cache_dir, History("RACE", frame * 2, "mirror", "t", "x"))
        assert str(err.value) == (
            f"RACE: could not lock {path}.lock within 0.3s; another rotation-lab process is "
            "updating this ticker. Retry when it has finished."
        )
        assert path.read_bytes() == before

        letting_go = threading.Timer(0.8, release.write_text, args=("",))
        letting_go.start()
        cache.write_entry(cache_dir, History("RACE", frame * 5, "mirror", "t", "y"))
        written = time.time()
    finally:
        release.write_text("")
        finish(holder)
    released = float(Path(str(release) + ".at").read_text())
    assert written >= released  # the write waited for the other process to release the lock
    entry = cache.read_entry(cache_dir, "RACE")
    assert entry is not None and entry.frame["close"].iloc[0] == 5.0
