"""Speed of first10days' batch decisions: N combinations on the mirror's 2000-2026 sessions.

Prints the seconds `decide` takes for grids of lead_days x anchor x horizon (the decisions only:
no simulation), after one warm-up call that compiles the numba kernel. Run from the project
root: `python benchmarks/first10days_decisions.py`. Nothing is asserted; the figures are for the
README and the closing notes.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.config.settings import DataSettings  # noqa: E402
from engine.data import load_market_data  # noqa: E402
from strategies.first10days import ANCHORS, STRATEGY, Params  # noqa: E402

HORIZONS = ["year_end", *range(1, 253, 9)]  # 29 horizons


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        settings = DataSettings(
            mirror_dir=str((ROOT / ".." / "shared" / "market-data").resolve()),
            cache_dir=cache,
            providers=["mirror"],
        )
        data = load_market_data(["SPY", "QQQ", "IWM", "DIA"], None, None, settings, ROOT)
    data = data.select(start=pd.Timestamp("2000-01-01"))
    print(f"{len(data.index):,} sessions, {data.index[0].date()} to {data.index[-1].date()}")
    STRATEGY.decide(data, Params(), pd.DataFrame({"lead_days": [10]}))  # compile once
    for lead_days in (range(5, 21, 5), range(1, 21), range(1, 61)):
        rows = list(itertools.product(lead_days, ANCHORS, HORIZONS))
        table = pd.DataFrame(rows, columns=["lead_days", "anchor", "horizon"])
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            decisions = STRATEGY.decide(data, Params(), table)
            best = min(best, time.perf_counter() - started)
        print(
            f"{len(table):>6,} combinations: {best:.3f} s (best of 3), "
            f"{decisions.n_events:,} events, {best / len(table) * 1e6:.0f} us per combination"
        )


if __name__ == "__main__":
    main()
