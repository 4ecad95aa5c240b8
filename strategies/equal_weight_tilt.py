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
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.settings import Benchmark, Strict, check_weight_map
from engine.strategy import Strategy
from strategies import rules


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

    @field_validator("tilt", "base")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v

    @model_validator(mode="after")
    def _two_funds(self) -> Params:
        if self.equal_weight == self.cap_weight:
            raise ValueError(f"equal_weight and cap_weight must differ: {self.equal_weight!r}")
        return self


def allocations(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    """(favoured, base) weight maps for the configured mode."""
    if params.mode == "switch":
        return {params.equal_weight: 1.0}, {params.cap_weight: 1.0}
    return dict(params.tilt), dict(params.base)


def tickers(params: Params) -> list[str]:
    favoured, base = allocations(params)
    return list(dict.fromkeys([params.equal_weight, params.cap_weight, *favoured, *base]))


def signal(data: MarketData, params: Params) -> pd.DataFrame:
    """Per session: the momentum measure, the decision (1/0/NaN) and the state held after t."""
    threshold = (
        params.spread_threshold if params.signal == "return_spread" else params.ratio_threshold
    )
    decision, measure = rules.relative_decision(
        data.adj_close[params.equal_weight],
        data.adj_close[params.cap_weight],
        params.signal,
        lookback=params.lookback_days,
        ma_sessions=params.ma_days,
        threshold=threshold,
    )
    state = rules.hold_state(decision, initial=False)
    return pd.DataFrame({"measure": measure, "decision": decision, "favoured": state})


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """Rows only where the wanted allocation changes (and on the first session)."""
    favoured, base = allocations(params)
    return rules.flag_rows(signal(data, params)["decision"], favoured, base)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    """Per year, over the sessions with decisions: sessions favouring equal weight, switches."""
    sig = signal(data, params)
    state = rules.decided_span(sig["favoured"], sig["decision"])
    return {"per_year": rules.yearly_state_summary(state, "equal_weight")}


BENCHMARKS = (
    Benchmark(name="SPY buy & hold", weights={"SPY": 1.0}),
    Benchmark(name="IWM buy & hold", weights={"IWM": 1.0}),
    Benchmark(name="RSP buy & hold", weights={"RSP": 1.0}),
)

STRATEGY = Strategy(
    name="equal_weight_tilt",
    description="Switch or tilt to equal weight (RSP) over SPY on relative momentum.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    lookback_sessions=lambda p: p.lookback_days if p.signal == "return_spread" else p.ma_days,
    default_benchmarks=BENCHMARKS,
    key_params=("signal", "lookback_days", "spread_threshold", "mode", "tilt", "base"),
)
