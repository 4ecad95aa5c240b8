"""Two real processes hammering the same ticker's cache entry never tear the file."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from engine.data import cache

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WRITES = 25

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import numpy as np
    import pandas as pd
    from engine.data import cache
    from engine.calendar import nyse_sessions

    cache_dir, writer, writes = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    for k in range(writes):
        base = writer * 1000 + k
        n = 200 + 37 * k + writer  # a different size each time
        index = nyse_sessions("2000-01-01", "2030-01-01")[:n]
        values = np.full(n, float(base))
        frame = pd.DataFrame(
            {f: values for f in ("open", "high", "low", "close", "adj_close", "volume")},
            index=index,
        )
        history = cache.History("RACE", frame, "mirror", f"writer {writer}", cache.utc_now_iso())
        cache.write_entry(cache_dir, history)
    """
)


def test_two_processes_writing_the_same_ticker(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(cache_dir), str(w), str(WRITES)],
            cwd=PROJECT_ROOT,
            env=env,
            stderr=subprocess.PIPE,
        )
        for w in (1, 2)
    ]
    written = {w * 1000 + k for w in (1, 2) for k in range(WRITES)}
    seen: set[float] = set()
    reads = 0
    while any(p.poll() is None for p in procs):
        entry = cache.read_entry(cache_dir, "RACE")  # must never raise while writers race
        if entry is not None:
            closes = entry.frame["close"].unique()
            assert len(closes) == 1 and closes[0] in written  # one whole version, never mixed
            seen.add(closes[0])
            reads += 1
        time.sleep(0.005)
    for p in procs:
        _, err = p.communicate()
        assert p.returncode == 0, err.decode()

    final = cache.read_entry(cache_dir, "RACE")
    assert final is not None
    last_versions = {1000 + WRITES - 1, 2000 + WRITES - 1}
    assert final.frame["close"].iloc[0] in last_versions
    assert final.rows == 200 + 37 * (WRITES - 1) + int(final.frame["close"].iloc[0]) // 1000
    assert reads > 0
    stray = [
        p.name for p in cache_dir.iterdir() if p.name not in ("RACE.parquet", "RACE.parquet.lock")
    ]
    assert stray == []
