"""small_cap_lead: overweight small caps after they have led large caps.

The rule from the press ("the great rotation", January 2026): once small caps lead, lean into
them. Three readings of "lead", all measured on the signal tickers `small` and `large` (IWM and
SPY by default, or e.g. ^RUT and ^GSPC), which may differ from the traded tickers:

- "return_spread": small's k-session return minus large's is above `spread_threshold`.
- "ratio_ma": the small/large price ratio is above its m-session simple moving average by more
  than `ratio_threshold` (0 = simply above it).
- "streak": small's daily change beat large's (strictly greater return) on each of the last s
  sessions; the overweight allocation is then wanted for h sessions from that close, and every
  further session that still satisfies the condition restarts the h-session count.

While the lead holds, the "overweight" allocation is wanted, otherwise the "base" one. Decisions
use closes up to t only. A session where an input is missing (or, in the first two modes, the
indicator is still warming up) makes no decision and keeps the previous allocation; before the
first decision base is wanted. In "streak" a session whose daily change cannot be measured (a
missing price that day or the day before) is not a winning session: it ends the streak.

It is a configuration of the relative-strength rule (strategies/relative_strength.py), which
also runs equal_weight_tilt: the small side leads the large one, `mode` picks the reading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from engine.config.settings import Strict, weight_map_fields
from strategies.relative_strength import RelativeStrength, sides_differ


class Params(Strict):
    """Defaults here are the documented defaults; strategies/small_cap_lead.toml repeats them."""

    mode: Literal["return_spread", "ratio_ma", "streak"] = "return_spread"
    small: str = Field(default="IWM", description="Signal ticker for the small-cap side")
    large: str = Field(default="SPY", description="Signal ticker for the large-cap side")
    lookback_days: int = Field(default=20, ge=1, le=252, description="k (return_spread)")
    spread_threshold: float = Field(
        default=0.01, ge=-1.0, le=1.0, description="Lead needed over k sessions (0.01 = 1 pp)"
    )
    ma_days: int = Field(default=50, ge=2, le=500, description="m (ratio_ma)")
    ratio_threshold: float = Field(
        default=0.0, ge=-0.5, le=0.5, description="Ratio above its SMA by more than this"
    )
    streak_days: int = Field(default=5, ge=1, le=60, description="s (streak)")
    hold_days: int = Field(default=20, ge=1, le=252, description="h (streak)")
    overweight: dict[str, float] = Field(default={"IWM": 0.7, "SPY": 0.3}, min_length=1)
    base: dict[str, float] = Field(default={"IWM": 0.3, "SPY": 0.7}, min_length=1)

    _weights = weight_map_fields("overweight", "base")

    _two_sides = sides_differ("small", "large")


# The state column, the per-year label and the explanation's words are the allocations' names.
RULE = RelativeStrength(leader="small", laggard="large", mode="mode", on="overweight", off="base")


STRATEGY = RULE.strategy(
    name="small_cap_lead",
    description="Overweight small caps after a small-cap lead (return spread, ratio MA, streak).",
    params_model=Params,
    module_file=__file__,
    key_params=(
        "mode",
        "small",
        "large",
        "lookback_days",
        "spread_threshold",
        "overweight",
        "base",
    ),
)
