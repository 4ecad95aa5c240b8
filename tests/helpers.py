"""Small builders shared by the tests: synthetic market data with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from engine.calendar import nyse_sessions
from engine.data.model import MarketData

MIRROR = (Path(__file__).resolve().parents[1] / ".." / "shared" / "market-data").resolve()


def market_data(adj_close: pd.DataFrame, opens: pd.DataFrame | None = None) -> MarketData:
    """MarketData whose close equals adj_close (no dividends) and open as given (or = close)."""
    adj_close = adj_close.astype(float)
    opens = adj_close if opens is None else opens.astype(float)
    fields = {
        "open": opens,
        "high": np.maximum(opens, adj_close),
        "low": np.minimum(opens, adj_close),
        "close": adj_close,
        "adj_close": adj_close,
        "volume": adj_close * 0 + 1000.0,
    }
    return MarketData(fields=fields)


def random_walk(
    tickers: list[str], start: str, end: str, seed: int = 0, drift: float = 0.0003
) -> pd.DataFrame:
    """Geometric random walks on NYSE sessions, starting at 100."""
    index = nyse_sessions(start, end)
    rng = np.random.default_rng(seed)
    steps = rng.normal(drift, 0.012, size=(len(index), len(tickers)))
    steps[0] = 0.0
    return pd.DataFrame(100.0 * np.exp(np.cumsum(steps, axis=0)), index=index, columns=tickers)


def mirror_overrides(tmp: Path) -> list[str]:
    """Config overrides for a real-data run isolated in `tmp`: mirror only, no network."""
    return [
        f"data.cache_dir='{tmp / 'cache'}'",
        f"report.output_dir='{tmp / 'reports'}'",
        f"data.mirror_dir='{MIRROR}'",
        "data.providers=['cache', 'mirror']",
    ]


def run_on_mirror(strategy, tmp: Path):
    """One default-config run of `strategy` on the mirror, isolated in `tmp` (skips if absent)."""
    import pytest

    from engine.api.report_input import run_strategy
    from engine.config.run_config import load_config
    from engine.paths import PROJECT_ROOT

    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    cfg = load_config(strategy, overrides=mirror_overrides(tmp))
    return run_strategy(strategy, cfg, PROJECT_ROOT, "test")
