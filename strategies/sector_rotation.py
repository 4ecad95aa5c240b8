"""sector_rotation: hold the top-k sector funds by momentum, rebalanced monthly or weekly.

Decision, at the close of each rebalance session (the last NYSE session of the calendar month,
or of the week, from the exchange calendar): rank the eligible members of `universe` by their
total return over the last L sessions (`momentum_days`, from adjusted closes) and hold the top
k (`top_k`), ties going to the member listed first. Weights are equal (1/k each) or inverse
volatility (1/sd of the last V daily returns, `vol_days`, ddof=1, scaled to sum to the invested
part). Every rebalance row resets the weights to target, so drift is undone each period.

Eligibility at t uses prices up to t only: a member is eligible when it has a price on each of
the last L+1 sessions up to t (and V+1 with inverse volatility), so a fund listed later (XLRE
on 2015-10-08, XLC on 2018-06-19, KRE on 2006-06-22) joins only once it has that history; no
price is ever back-filled. If fewer than k members are eligible, each one held still gets 1/k
of the portfolio (split by inverse volatility within their n/k share in that mode) and the rest
stays in cash; with none eligible the portfolio is all cash. Rebalances before the first one
with an eligible member (the warm-up) make no decision.

Regime filter (`regime_filter = true`): candidates are restricted to `cyclicals` while the
small-cap lead is on and to `defensives` otherwise. The lead is the small_cap_lead
"return_spread" reading: `regime_small`'s k-session return minus `regime_large`'s is above
`regime_threshold`. If either has no price at t or t-k, that rebalance makes no decision (the
holdings are kept); so from IWM's first date (2000-05-26) the rule waits k sessions, in cash,
for its first decision.

Period. The required tickers, which bound the common period, are the members not listed in
`late_listed` (by default the nine Select Sector SPDRs trading since 1998-12-22) plus, with the
regime filter, the two regime tickers. The late-listed members are loaded as optional tickers:
they neither delay the start (the rule rotates among what existed at the time, as an investor
then could) nor are they back-filled. Requiring them would start the test in 2018 (XLC) and
throw away the 2000s; back-filling them would invent funds that did not trade.

End of a member's data. The engine's common period ends on the earliest last date among the
required and the optional tickers, so every member that can be picked has a price until the
end of the simulation (in the mirror, KRE ends 2026-07-31 and so does the default run). The
rule itself never looks at how far a series reaches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.data.model import MarketData
from engine.errors import DataQualityError
from engine.settings import Strict
from engine.strategy import Strategy
from strategies.fixed_mix import calendar_period_ends

SECTOR_SPDRS = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY", "XLRE", "XLC"]
# Longest gap between two month-end sessions, so a rebalance falls inside the loaded lookback.
_SESSIONS_PER_PERIOD = {"monthly": 23, "weekly": 5}


class Params(Strict):
    """Defaults here are the documented defaults; strategies/sector_rotation.toml repeats them."""

    universe: list[str] = Field(default=[*SECTOR_SPDRS, "KRE"], min_length=2)
    late_listed: list[str] = Field(
        default=["XLRE", "XLC", "KRE"],
        description="Members that may start after the period start (optional, never back-filled)",
    )
    top_k: int = Field(default=3, ge=1, le=20, description="k: members held")
    momentum_days: int = Field(default=126, ge=1, le=756, description="L: momentum sessions")
    rebalance: Literal["monthly", "weekly"] = "monthly"
    weighting: Literal["equal", "inverse_vol"] = "equal"
    vol_days: int = Field(default=63, ge=2, le=756, description="V: volatility sessions")
    regime_filter: bool = False
    cyclicals: list[str] = Field(default=["XLI", "XLF", "XLB", "XLE", "XLY", "KRE"])
    defensives: list[str] = Field(default=["XLU", "XLP", "XLV"])
    regime_small: str = Field(default="IWM", description="Small-cap side of the regime signal")
    regime_large: str = Field(default="SPY", description="Large-cap side of the regime signal")
    regime_days: int = Field(default=20, ge=1, le=252, description="k of the return spread")
    regime_threshold: float = Field(
        default=0.01, ge=-1.0, le=1.0, description="Spread needed for 'cyclicals' (0.01 = 1 pp)"
    )

    @field_validator("universe", "late_listed", "cyclicals", "defensives")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"has duplicates: {v}")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Params:
        outside = [t for t in self.late_listed if t not in self.universe]
        if outside:
            raise ValueError(f"late_listed members {outside} are not in universe {self.universe}")
        if self.top_k > len(self.universe):
            raise ValueError(f"top_k ({self.top_k}) exceeds the universe size")
        if not [t for t in self.universe if t not in self.late_listed]:
            raise ValueError("every universe member is late_listed: nothing bounds the period")
        if self.regime_filter:
            self._check_groups()
        return self

    def _check_groups(self) -> None:
        for name in ("cyclicals", "defensives"):
            group = getattr(self, name)
            outside = [t for t in group if t not in self.universe]
            if not group or outside:
                raise ValueError(f"{name} must be non-empty members of universe; not: {outside}")
        both = set(self.cyclicals) & set(self.defensives)
        if both:
            raise ValueError(f"{sorted(both)} are both cyclical and defensive")
        if self.regime_small == self.regime_large:
            raise ValueError(f"regime_small and regime_large are both {self.regime_small!r}")


def tickers(params: Params) -> list[str]:
    """Required: members not late-listed, plus the regime pair when the filter is on."""
    required = [t for t in params.universe if t not in params.late_listed]
    if params.regime_filter:
        required += [params.regime_small, params.regime_large]
    return list(dict.fromkeys(required))


def optional_tickers(params: Params) -> list[str]:
    return list(params.late_listed)


def lookback_sessions(params: Params) -> int:
    """History the first decision needs, plus one rebalance period so a decision precedes the
    start of the period."""
    needs = [params.momentum_days]
    if params.weighting == "inverse_vol":
        needs.append(params.vol_days)
    if params.regime_filter:
        needs.append(params.regime_days)
    return max(needs) + 1 + _SESSIONS_PER_PERIOD[params.rebalance]


def regime_spread(small: pd.Series, large: pd.Series, days: int) -> pd.Series:
    """The small_cap_lead "return_spread" measure: small's `days`-session return minus large's,
    close t against close t-days; NaN when a price is missing (never bridged)."""
    return (small / small.shift(days) - 1.0) - (large / large.shift(days) - 1.0)


@dataclass
class Decision:
    """One rebalance: what was eligible, what was picked and why."""

    date: pd.Timestamp
    weights: dict[str, float] | None  # None = no decision (the holdings are kept)
    picks: list[tuple[str, float, float]] = field(default_factory=list)  # ticker, momentum, w
    eligible: int = 0
    spread: float = np.nan
    group: str = ""


def _prices(data: MarketData, names: list[str]) -> pd.DataFrame:
    missing = [t for t in names if t not in data.tickers]
    if missing:
        raise DataQualityError(f"sector_rotation needs prices for {missing}; none were loaded")
    return data.adj_close[names]


def _full_history(prices: pd.DataFrame, sessions: int) -> pd.DataFrame:
    """True where a member has a price on each of the last `sessions` + 1 sessions up to t."""
    window = sessions + 1
    return prices.notna().astype(float).rolling(window, min_periods=window).sum() == window


def _rebalance_dates(
    index: pd.DatetimeIndex, frequency: str, data_end: pd.Timestamp
) -> pd.DatetimeIndex:
    """Calendar rebalance sessions of `index` up to the last session with a member's price."""
    if index.empty:
        return index
    ends = calendar_period_ends(index[0], index[-1], frequency)
    return index[index.isin(ends) & (index <= data_end)]


def decisions(data: MarketData, params: Params) -> list[Decision]:
    """Every rebalance decision, from the first one with an eligible member."""
    prices = _prices(data, params.universe)
    momentum = prices / prices.shift(params.momentum_days) - 1.0
    history = params.momentum_days
    volatility = None
    if params.weighting == "inverse_vol":
        volatility = prices.pct_change(fill_method=None).rolling(params.vol_days).std(ddof=1)
        history = max(history, params.vol_days)
    eligible_history = _full_history(prices, history)
    spread = None
    if params.regime_filter:
        pair = _prices(data, [params.regime_small, params.regime_large])
        spread = regime_spread(pair.iloc[:, 0], pair.iloc[:, 1], params.regime_days)

    last_priced = prices.apply(lambda s: s.last_valid_index())
    if last_priced.isna().all():
        return []
    data_end = last_priced.max()
    dates = _rebalance_dates(prices.index, params.rebalance, data_end)
    out: list[Decision] = []
    for day in dates:
        decision = Decision(date=day, weights=None)
        candidates = list(params.universe)
        if spread is not None:
            value = spread.at[day]
            decision.spread = float(value)
            if np.isnan(value):
                decision.group = "undefined"
                if out:
                    out.append(decision)
                continue
            on = value > params.regime_threshold
            decision.group = "cyclicals" if on else "defensives"
            candidates = params.cyclicals if on else params.defensives
        ready = [t for t in candidates if eligible_history.at[day, t]]
        if not ready and not out:
            continue  # warm-up: no member has the history yet
        decision.eligible = len(ready)
        ranked = sorted(ready, key=lambda t: -momentum.at[day, t])  # stable: ties by order
        picks = ranked[: params.top_k]
        weights = _weights(picks, day, volatility, params)
        decision.weights = weights
        decision.picks = [(t, float(momentum.at[day, t]), weights[t]) for t in picks]
        out.append(decision)
    return out


def _weights(
    picks: list[str], day: pd.Timestamp, volatility: pd.DataFrame | None, params: Params
) -> dict[str, float]:
    """1/k per pick (equal), or the picks' n/k share split by inverse volatility."""
    invested = len(picks) / params.top_k
    if not picks:
        return {}
    if volatility is None:
        return {t: 1.0 / params.top_k for t in picks}
    vols = np.array([volatility.at[day, t] for t in picks], dtype=float)
    if not (vols > 0).all():
        flat = picks[int(np.argmin(vols))]
        raise DataQualityError(
            f"{flat} has no price movement over the {params.vol_days} sessions to {day.date()}; "
            "inverse-volatility weights are undefined. Check its data or use weighting='equal'."
        )
    inverse = 1.0 / vols
    return dict(zip(picks, (invested * inverse / inverse.sum()).tolist(), strict=True))


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """A row on every rebalance with a decision (picks at their weights, the rest 0)."""
    weights = pd.DataFrame(np.nan, index=data.index, columns=list(params.universe))
    for decision in decisions(data, params):
        if decision.weights is not None:
            row = [decision.weights.get(t, 0.0) for t in params.universe]
            weights.loc[decision.date] = row
    return weights


def holdings(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per rebalance: regime (with the filter), eligible count, each pick with its
    momentum and weight, and cash."""
    rows = []
    for d in decisions(data, params):
        row: dict[str, object] = {"decision_date": d.date.date()}
        if params.regime_filter:
            row.update(regime_spread=d.spread, group=d.group)
        row["eligible"] = d.eligible if d.weights is not None else pd.NA
        for rank in range(1, params.top_k + 1):
            pick = d.picks[rank - 1] if rank <= len(d.picks) else (None, np.nan, np.nan)
            row.update(
                {f"pick_{rank}": pick[0], f"momentum_{rank}": pick[1], f"weight_{rank}": pick[2]}
            )
        invested = sum(w for _, _, w in d.picks)
        row["cash"] = round(1.0 - invested, 12) if d.weights is not None else np.nan
        row["note"] = "" if d.weights is not None else "regime signal undefined: no change"
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["eligible"] = table["eligible"].astype("Int64")
    return table.set_index("decision_date")


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"holdings": holdings(data, params)}


STRATEGY = Strategy(
    name="sector_rotation",
    description="Hold the top-k sector funds by L-day momentum; optional small-cap regime filter.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    lookback_sessions=lookback_sessions,
    optional_tickers=optional_tickers,
    key_params=("universe", "top_k", "momentum_days", "rebalance", "weighting", "regime_filter"),
)
