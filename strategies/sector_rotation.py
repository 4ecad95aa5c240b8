"""sector_rotation: hold the top-k sector funds by momentum, rebalanced monthly or weekly.

Decision, at the close of each rebalance session (the last NYSE session of the calendar month,
or of the week, from the exchange calendar): rank the eligible members of `universe` by their
total return over the last L sessions (`momentum_days`, from adjusted closes) and hold the top
k (`top_k`), ties going to the member listed first in `universe`. Weights are equal (1/k
each) or inverse volatility (1/sd of the last V daily returns, `vol_days`, ddof=1, scaled to sum
to the invested part). Every rebalance row resets the weights to target, so drift is undone
each period.

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

Batch form: for a table of combinations, momentum ranks are computed once per (L, schedule),
volatilities once per V, regime states once per (k, threshold, schedule), and one numba pass
(`strategies.ranking`) walks every combination over them; each distinct weight row is built
once (`strategies.rotation_batch`). The report's holdings table decodes the same decisions of
one combination. Members are bits of one 64-bit word: at most 62 per universe.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator, model_validator

from engine.calendar import next_period_end
from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from engine.decisions.strategy import single_combination
from strategies import rules
from strategies.ranking import MAX_MEMBERS, momentum
from strategies.rotation_batch import GROUP_NAMES, RotationBatch, codes, regime_spread

__all__ = ["STRATEGY", "Params", "decide", "explain", "holdings", "regime_spread", "tables"]

SECTOR_SPDRS = ["XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU", "XLV", "XLY", "XLRE", "XLC"]
# Longest gap between two month-end sessions, so a rebalance falls inside the loaded lookback.
_SESSIONS_PER_PERIOD = {"monthly": 23, "weekly": 5}


class Params(Strict):
    """Defaults here are the documented defaults; strategies/sector_rotation.toml repeats them."""

    universe: list[str] = Field(
        default=[*SECTOR_SPDRS, "KRE"], min_length=2, max_length=MAX_MEMBERS
    )
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


# Parameters that change the member set or the groups: combinations are batched per value.
_STRUCTURE = ("universe", "cyclicals", "defensives", "regime_small", "regime_large")
# Parameters every combination of a batch may differ in: the rest, but `late_listed`, which
# only marks tickers optional (top_k, momentum_days, rebalance, weighting, vol_days, regime_*).
_PER_COMBO = tuple(n for n in Params.model_fields if n not in (*_STRUCTURE, "late_listed"))


def _structure(params: BaseModel) -> dict[str, Any]:
    return {name: getattr(params, name) for name in _STRUCTURE}


def _combos(table: pd.DataFrame, params: BaseModel) -> dict[str, np.ndarray]:
    return {name: param_values(table, params, name) for name in _PER_COMBO}


def _distinct(combos: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The combinations that decide differently, and each row's number among them.

    `vol_days` matters only with inverse-volatility weights and the regime settings only with
    the filter on; with them set to one value where unused, equal rows decide alike, so each
    is walked (and later simulated) once."""
    used = {name: values.copy() for name, values in combos.items()}
    equal = used["weighting"] != "inverse_vol"
    used["vol_days"][equal] = used["vol_days"][0] if equal.all() else used["vol_days"][~equal][0]
    off = ~used["regime_filter"].astype(bool)
    if off.any():
        used["regime_days"][off] = used["regime_days"][off][0]
        used["regime_threshold"][off] = used["regime_threshold"][off][0]
    keys = pd.MultiIndex.from_arrays([used[name] for name in _PER_COMBO])
    number, _ = pd.factorize(keys)
    _, firsts = np.unique(number, return_index=True)
    return {name: values[firsts] for name, values in used.items()}, number


def _batch(
    data: MarketData, structure: dict[str, Any], combos: dict[str, np.ndarray]
) -> tuple[RotationBatch, Decisions, np.ndarray]:
    """The rotation's inputs, its decisions, and each event's picks (bit sets)."""
    rotation = RotationBatch(data, structure, combos)
    offsets, positions, picks, keys = rotation.walk()
    palette, rows = rotation.palette(picks, keys)
    decisions = Decisions(data.index, tuple(rotation.members), palette, offsets, positions, rows)
    return rotation, decisions, picks


def _decisions(
    data: MarketData, structure: dict[str, Any], combos: dict[str, np.ndarray]
) -> Decisions:
    """Decisions of every combination, each distinct one decided once."""
    distinct, number = _distinct(combos)
    if len(distinct["top_k"]) == len(number):
        return _batch(data, structure, combos)[1]
    return _batch(data, structure, distinct)[1].select(number)


def decide(data: MarketData, params: BaseModel, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination: a weight row on each rebalance with a decision."""
    combos = _combos(table, params)
    swept = [name for name in _STRUCTURE if name in table.columns]
    if not swept:
        return _decisions(data, _structure(params), combos)
    # Universes or groups swept: one batch per distinct structure, back in the table's order.
    base = _structure(params)
    keys = [
        tuple(
            tuple(v) if isinstance(v, list) else v
            for v in (table[n].iloc[i] if n in swept else base[n] for n in _STRUCTURE)
        )
        for i in range(len(table))
    ]
    distinct, code = codes(keys)
    parts, order = [], []
    for number, key in enumerate(distinct):
        rows = np.flatnonzero(code == number)
        named = zip(_STRUCTURE, key, strict=True)
        structure = {n: list(v) if isinstance(v, tuple) else v for n, v in named}
        subset = {name: values[rows] for name, values in combos.items()}
        parts.append(_decisions(data, structure, subset))
        order.append(rows)
    return Decisions.concat(parts).select(np.argsort(np.concatenate(order), kind="stable"))


def holdings(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per rebalance from the first decision: regime (with the filter), eligible count,
    each pick with its momentum and weight, and cash; decoded from the batch's decisions."""
    rotation, decisions, picks = _batch(
        data, _structure(params), _combos(single_combination(), params)
    )
    positions, rows = decisions.events(0)
    if not len(positions):
        return pd.DataFrame()
    schedule = rotation.schedule[0, : rotation.n_scheduled[0]]
    values = momentum(rotation.prices, schedule, params.momentum_days)
    ranks = rotation.ranks[rotation.rank_id[0]]
    history, members = int(rotation.history[0]), rotation.members
    event_of = {int(p): e for e, p in enumerate(positions)}
    out = []
    for i, t in enumerate(schedule):
        if t < positions[0]:
            continue
        row: dict[str, object] = {"decision_date": data.index[t].date()}
        group = 0
        if params.regime_filter:
            group = int(rotation.states[rotation.regime_id[0], i])
            spread = float(rotation.spreads[params.regime_days][t])
            row.update(regime_spread=spread, group=GROUP_NAMES[group])
        event = event_of.get(int(t))
        weights = decisions.palette[rows[event]] if event is not None else None
        held = [] if event is None else [m for m in ranks[i] if (picks[event] >> m) & 1]
        ready = (rotation.runs[t] > history) & rotation.groups[group]
        row["eligible"] = int(ready.sum()) if event is not None else pd.NA
        for rank in range(1, params.top_k + 1):
            if rank <= len(held):
                m = held[rank - 1]
                pick = (members[m], float(values[i, m]), float(weights[m]))  # type: ignore[index]
            else:
                pick = (None, np.nan, np.nan)
            row.update(
                {f"pick_{rank}": pick[0], f"momentum_{rank}": pick[1], f"weight_{rank}": pick[2]}
            )
        invested = sum(float(weights[m]) for m in held) if weights is not None else 0.0  # type: ignore[index]
        row["cash"] = round(1.0 - invested, 12) if event is not None else np.nan
        row["note"] = "" if event is not None else "regime signal undefined: no change"
        out.append(row)
    table = pd.DataFrame(out)
    table["eligible"] = table["eligible"].astype("Int64")
    return table.set_index("decision_date")


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """The ranking behind the latest decision, and the next rebalance session."""
    table = holdings(data, params)
    decided = table[table["note"] == ""] if len(table) else table
    if not len(decided):
        history = int(
            max(params.momentum_days, params.vol_days if params.weighting == "inverse_vol" else 0)
        )
        inputs = f"no decision yet: no member has {history + 1} sessions of prices"
    else:
        day, last = decided.index[-1], decided.iloc[-1]
        held = [r for r in range(1, params.top_k + 1) if last[f"pick_{r}"] is not None]
        shown = []
        for r in held:
            text = f"{last[f'pick_{r}']} {last[f'momentum_{r}'] * 100:+.1f}%"
            if params.weighting == "inverse_vol":
                text += f" ({last[f'weight_{r}'] * 100:.0f}%)"
            shown.append(text)
        inputs = f"top {params.top_k} by {params.momentum_days}-session return on {day}: "
        inputs += ", ".join(shown) if shown else "no member eligible, all cash"
        if params.weighting == "inverse_vol":
            inputs += f"; weights by inverse {params.vol_days}-session volatility"
        if shown and len(shown) < params.top_k:
            inputs += f"; only {len(shown)} eligible, {last['cash'] * 100:.0f}% in cash"
        if params.regime_filter:
            spread, group = last["regime_spread"], last["group"]
            relation = ">" if group == "cyclicals" else "<="
            inputs = (
                f"{params.regime_small}-{params.regime_large} {params.regime_days}-session "
                f"spread {spread * 100:+.1f}% {relation} {params.regime_threshold * 100:g}%: "
                f"{group} only; " + inputs
            )
    due = next_period_end(data.index[-1], params.rebalance) if len(data.index) else None
    when = str(due.date()) if due is not None else "beyond the exchange calendar"
    return {"inputs": inputs, "next_decision": when}


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"holdings": holdings(data, params)}


STRATEGY = rules.module_strategy(
    globals(),
    name="sector_rotation",
    description="Hold the top-k sector funds by L-day momentum; optional small-cap regime filter.",
    params_model=Params,
    valid_combinations=rules.cross_checked(
        "universe",
        "late_listed",
        "top_k",
        "regime_filter",
        "cyclicals",
        "defensives",
        "regime_small",
        "regime_large",
    ),
    key_params=("universe", "top_k", "momentum_days", "rebalance", "weighting", "regime_filter"),
    history_independent=True,  # returns, eligibility runs and sds over fixed windows up to t
)
