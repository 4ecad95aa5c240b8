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

The rule is written once, in batch form (`decide`): a sweep's table of combinations gets
one measure per (signal, fund pair, distinct L or m),
then one labelling pass per combination; a single run is the batch of one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.decisions import Decisions, param_values
from engine.settings import Benchmark, Strict, check_weight_map
from engine.strategy import Strategy, single_combination
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
        return _switch_maps(params.equal_weight, params.cap_weight)
    return dict(params.tilt), dict(params.base)


def _switch_maps(equal: str, cap: str) -> tuple[dict[str, float], dict[str, float]]:
    """mode = "switch": all of the equal-weight fund, or all of the cap-weighted one."""
    return {equal: 1.0}, {cap: 1.0}


def tickers(params: Params) -> list[str]:
    favoured, base = allocations(params)
    return list(dict.fromkeys([params.equal_weight, params.cap_weight, *favoured, *base]))


# ------------------------------------------------------------------ shared pieces


def _prices(data: MarketData, ticker: str) -> np.ndarray:
    return data.adj_close[ticker].to_numpy(dtype=np.float64)


def _measures(signal: str, equal: np.ndarray, cap: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Relative momentum per distinct L ("return_spread") or m ("ratio_ma"), per session."""
    if signal == "return_spread":
        return rules.return_spread(equal, cap, values)
    return rules.ratio_distance(equal, cap, values)


def _rule_columns(params: Params, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per combination: signal, the two funds, the measure's parameter (L or m), the threshold
    the measure must be above, and the favoured and base weight maps."""

    def col(name: str) -> np.ndarray:
        return param_values(table, params, name)

    signal, equal, cap, mode = col("signal"), col("equal_weight"), col("cap_weight"), col("mode")
    spread = signal == "return_spread"
    favoured, base = col("tilt").copy(), col("base").copy()
    switch: dict[tuple[str, str], tuple[dict[str, float], dict[str, float]]] = {}
    for j in np.flatnonzero(mode == "switch"):  # one pair of maps per pair of funds
        pair = (equal[j], cap[j])
        if pair not in switch:
            switch[pair] = _switch_maps(*pair)
        favoured[j], base[j] = switch[pair]
    return {
        "signal": signal,
        "equal": equal,
        "cap": cap,
        "values": np.where(spread, col("lookback_days"), col("ma_days")).astype(np.int64),
        "thresholds": np.where(spread, col("spread_threshold"), col("ratio_threshold")).astype(
            np.float64
        ),
        "favoured": favoured,
        "base": base,
    }


# ------------------------------------------------------------------ the batch form


def decide(data: MarketData, params: Params, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination of `table`: one measure per (signal, fund pair, distinct
    L or m), then one labelling pass per combination."""
    c = _rule_columns(params, table)
    blocks, which = [], np.empty(len(table), dtype=np.int64)
    offset = 0
    for (signal, equal, cap), rows in rules.group_rows(c["signal"], c["equal"], c["cap"]).items():
        distinct, position = np.unique(c["values"][rows], return_inverse=True)
        blocks.append(_measures(signal, _prices(data, equal), _prices(data, cap), distinct))
        which[rows] = offset + position
        offset += len(distinct)
    palette, columns, on, off = rules.two_state_palette(c["favoured"], c["base"])
    return rules.threshold_decisions(
        np.vstack(blocks), which, c["thresholds"], on, off, palette, data.index, columns
    )


# ------------------------------------------------------------------ one run, in words


def signal(data: MarketData, params: Params) -> pd.DataFrame:
    """Per session: the momentum measure, the decision (1/0/NaN) and the state held after t."""
    c = _rule_columns(params, single_combination())
    equal, cap = _prices(data, params.equal_weight), _prices(data, params.cap_weight)
    measure = _measures(params.signal, equal, cap, c["values"])[0]
    decision = pd.Series(rules.threshold_decision(measure, c["thresholds"][0]), index=data.index)
    return pd.DataFrame(
        {
            "measure": pd.Series(measure, index=data.index),
            "decision": decision,
            "favoured": rules.hold_state(decision, initial=False),
        }
    )


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    """Per year, over the sessions with decisions: sessions favouring equal weight, switches."""
    sig = signal(data, params)
    state = rules.decided_span(sig["favoured"], sig["decision"])
    return {"per_year": rules.yearly_state_summary(state, "equal_weight")}


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """What decided the allocation wanted after the last close of `data`, in words."""
    sig = signal(data, params)
    equal, cap = params.equal_weight, params.cap_weight

    def describe(p: int) -> str:
        row = sig.iloc[p]
        wanted = f"favour {equal}" if row["favoured"] else f"base ({cap} side)"
        cmp = ">" if row["decision"] == 1 else "<="
        if params.signal == "return_spread":
            k = np.array([params.lookback_days])
            r_equal = rules.session_returns(_prices(data, equal), k)[0, p]
            r_cap = rules.session_returns(_prices(data, cap), k)[0, p]
            return (
                f"{equal} {params.lookback_days}-session return {_pct(r_equal)} vs {cap} "
                f"{_pct(r_cap)}: spread {100 * row['measure']:+.1f} pp {cmp} "
                f"{100 * params.spread_threshold:.1f} pp, {wanted}"
            )
        return (
            f"{equal}/{cap} ratio {100 * row['measure']:+.2f}% from its {params.ma_days}-"
            f"session mean {cmp} {100 * params.ratio_threshold:+.2f}%, {wanted}"
        )

    missing = (
        f"a price of {equal} or {cap} is missing, or the {params.signal} measure is warming up"
    )
    return rules.explain_latest(sig["decision"], describe, missing, f"base ({cap} side)")


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
    decide=decide,
    valid_combinations=rules.cross_checked("equal_weight", "cap_weight"),
    explain=explain,
    active_and_base=allocations,
    tables=tables,
    lookback_sessions=lambda p: p.lookback_days if p.signal == "return_spread" else p.ma_days,
    default_benchmarks=BENCHMARKS,
    key_params=("signal", "lookback_days", "spread_threshold", "mode", "tilt", "base"),
)
