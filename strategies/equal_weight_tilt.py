"""equal_weight_tilt: favour the equal-weight S&P 500 while it has momentum over the cap-weighted.

The rule from the press: when the "average stock" (RSP, equal-weight S&P 500) outruns the index
its giants dominate (SPY), breadth is improving, so lean towards equal weight. At the close of
each session t, relative momentum is measured with closes up to t:

- "return_spread": RSP's L-session return minus SPY's is above `spread_threshold`, or
- "ratio_ma": the RSP/SPY ratio is above its m-session simple moving average by more than
  `ratio_threshold` (0 = simply above it).

While it holds the favoured allocation is wanted, otherwise the base one. `mode = "switch"`
holds 100% of the equal-weight fund or 100% of the cap-weighted one; `mode = "tilt"` holds the
configurable `tilt` and `base` weight maps. A session where an input is missing (or the
indicator is still warming up) makes no decision and keeps the previous allocation; before the
first decision base is wanted. RSP ends 2026-07-01 in the mirror, so the period ends there.

It is small_cap_lead's relative-strength rule (strategies/relative_strength.py) with other
tickers: the equal-weight fund leads the cap-weighted one, `signal` picks the reading (its
return-spread and ratio-MA readings), and "switch" mode derives the two maps from the funds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from pydantic import Field

from engine.config.settings import Benchmark, Strict, weight_map_fields
from strategies.relative_strength import RelativeStrength, sides_differ


class Params(Strict):
    """Defaults here are the documented defaults; strategies/equal_weight_tilt.toml repeats them."""

    equal_weight: str = Field(default="RSP", description="Equal-weight fund (signal and traded)")
    cap_weight: str = Field(default="SPY", description="Cap-weighted fund (signal and traded)")
    signal: Literal["return_spread", "ratio_ma"] = "return_spread"
    lookback_days: int = Field(default=63, ge=1, le=252, description="L (return_spread)")
    spread_threshold: float = Field(default=0.0, ge=-1.0, le=1.0)
    ma_days: int = Field(default=200, ge=2, le=500, description="m (ratio_ma)")
    ratio_threshold: float = Field(default=0.0, ge=-0.5, le=0.5)
    mode: Literal["switch", "tilt"] = "switch"
    tilt: dict[str, float] = Field(default={"RSP": 0.7, "SPY": 0.3}, min_length=1)
    base: dict[str, float] = Field(default={"RSP": 0.3, "SPY": 0.7}, min_length=1)

    _weights = weight_map_fields("tilt", "base")

    _two_sides = sides_differ("equal_weight", "cap_weight")


def _switch_maps(equal: str, cap: str) -> tuple[dict[str, float], dict[str, float]]:
    """mode = "switch": all of the equal-weight fund, or all of the cap-weighted one."""
    return {equal: 1.0}, {cap: 1.0}


def _maps(col: Callable[[str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per combination, the (favoured, base) weight maps: the fund pair's in "switch" mode,
    the `tilt` and `base` maps in "tilt" mode."""
    equal, cap, mode = col("equal_weight"), col("cap_weight"), col("mode")
    favoured, base = col("tilt").copy(), col("base").copy()
    switch: dict[tuple[str, str], tuple[dict[str, float], dict[str, float]]] = {}
    for j in np.flatnonzero(mode == "switch"):  # one pair of maps per pair of funds
        pair = (equal[j], cap[j])
        if pair not in switch:
            switch[pair] = _switch_maps(*pair)
        favoured[j], base[j] = switch[pair]
    return favoured, base


def _wanted(params: Params) -> tuple[str, str]:
    return f"favour {params.equal_weight}", f"base ({params.cap_weight} side)"


RULE = RelativeStrength(
    leader="equal_weight",
    laggard="cap_weight",
    mode="signal",
    on="tilt",
    off="base",
    state="favoured",
    label="equal_weight",
    wanted=_wanted,
    maps=_maps,
)


BENCHMARKS = (
    Benchmark(name="SPY buy & hold", weights={"SPY": 1.0}),
    Benchmark(name="IWM buy & hold", weights={"IWM": 1.0}),
    Benchmark(name="RSP buy & hold", weights={"RSP": 1.0}),
)

STRATEGY = RULE.strategy(
    name="equal_weight_tilt",
    description="Switch or tilt to equal weight (RSP) over SPY on relative momentum.",
    params_model=Params,
    module_file=__file__,
    key_params=("signal", "lookback_days", "spread_threshold", "mode", "tilt", "base"),
    default_benchmarks=BENCHMARKS,
)
