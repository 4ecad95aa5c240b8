"""first10days: hold small caps for the rest of the year when they lead its first N sessions.

The rule from the press: "when small caps lead the market over the first 10 trading days of the
year, the rest of the year tends to be good - for small caps and for stocks".

Decision: at the close of the year's Nth session, each universe member's return since the anchor
is compared (`engine.decisions.leadership`, the same rule the claim check uses); if the small-cap
ticker's
return is strictly the highest, the "lead" allocation is wanted from that close until the
horizon ends, otherwise (and before day N) the "base" allocation. A tie for the highest return is
no leadership. A member with no price at the anchor or on day N is left out of the comparison;
if the small-cap ticker itself has none, no decision is made that year and base is kept.

Horizon: "year_end" wants lead until the year's last session (from the NYSE calendar) and base
after its close, so with the engine's one-session lag the switch back trades on the new year's
first session; while the data end before the year does, lead stays wanted. An integer H wants
lead for H sessions after day N (capped the same way).

Batch form: the leadership is computed once per distinct (lead_days, anchor, universe,
price_field, small_cap) and each lead spell once per horizon; every combination's decisions are
then gathered from those spells without a loop over combinations.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from engine.calendar import last_session_of_year, nth_session_of_year, nyse_sessions
from engine.config.settings import Strict, weight_map_fields
from engine.data.model import MarketData
from engine.decisions import leadership as L
from engine.decisions.batch import Decisions
from engine.decisions.yearly import Years, calendar_years
from strategies import rules
from strategies.spells import spell_decisions, weight_palette

ANCHORS = L.ANCHORS


class Params(Strict):
    """Defaults here are the documented defaults; strategies/first10days.toml repeats them."""

    lead_days: int = Field(default=10, ge=1, le=60, description="N: the decision session")
    universe: list[str] = Field(default=["SPY", "QQQ", "IWM", "DIA"], min_length=2)
    small_cap: str = Field(default="IWM", description="The member whose leadership is tested")
    market: str = Field(default="SPY", description="Shown next to small_cap in the per-year table")
    anchor: Literal["prior_close", "first_close", "first_open"] = "prior_close"
    price_field: Literal["adj_close", "close"] = Field(
        default="adj_close", description="Total return (adj_close) or price return (close)"
    )
    horizon: Literal["year_end"] | Annotated[int, Field(ge=1, le=252)] = "year_end"
    lead: dict[str, float] = Field(default={"IWM": 1.0}, min_length=1)
    base: dict[str, float] = Field(default={"SPY": 1.0}, min_length=1)

    @field_validator("universe")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError(f"universe has duplicates: {v}")
        return v

    _weights = weight_map_fields("lead", "base")

    @model_validator(mode="after")
    def _members(self) -> Params:
        if self.small_cap not in self.universe:
            raise ValueError(f"small_cap {self.small_cap!r} is not in universe {self.universe}")
        return self


def tickers(params: Params) -> list[str]:
    wanted = [*params.universe, params.market, *params.lead, *params.base]
    return list(dict.fromkeys(wanted))


# --------------------------------------------------------------------------- leadership per year


def _year_leadership(
    data: MarketData,
    universe: tuple[str, ...],
    small_cap: str,
    lead_days: int,
    anchor: str,
    price_field: str,
) -> tuple[L.YearStart, np.ndarray, L.Leadership]:
    """Anchor/decision positions, member returns and the leadership decision of every year."""
    members = list(universe)
    ys = L.year_start_positions(data.index, lead_days, anchor)
    start, end = L.anchor_prices(data, members, price_field, anchor)
    returns = L.year_start_returns(start, end, ys)
    return ys, returns, L.leadership(returns, members.index(small_cap), min_members=2)


def _leadership_cached(
    data: MarketData,
    lkey: tuple,
    prices: dict[tuple, tuple[np.ndarray, np.ndarray]],
    years: Years,
) -> tuple[L.YearStart, L.Leadership]:
    """`_year_leadership` for a batch key, reading each price array and the calendar once per
    batch."""
    lead_days, anchor, universe, price_field, small_cap = lkey
    pkey = (universe, price_field, anchor == "first_open")
    if pkey not in prices:
        prices[pkey] = L.anchor_prices(data, list(universe), price_field, anchor)
    start, end = prices[pkey]
    ys = L.year_start_of(years, lead_days, anchor)
    returns = L.year_start_returns(start, end, ys)
    return ys, L.leadership(returns, universe.index(small_cap), min_members=2)


def _outcomes(prices: pd.DataFrame, day_n: int, prior: int | None, year: int) -> dict[str, object]:
    """Rest-of-year (day N close to year end) and full-year returns, total return."""
    year_rows = prices[prices.index.year == year].dropna(how="all")
    if year_rows.empty:
        return {}
    year_end = year_rows.index[-1]
    row: dict[str, object] = {
        "year_end_date": year_end.date(),
        "year_complete": bool(year_end == last_session_of_year(year)),
    }
    for ticker in prices.columns:
        at_end = prices.at[year_end, ticker]
        row[f"{ticker}_rest_ret"] = float(at_end / prices[ticker].iloc[day_n] - 1.0)
        if prior is not None:
            row[f"{ticker}_year_ret"] = float(at_end / prices[ticker].iloc[prior] - 1.0)
    return row


def _undecided_note(lead: L.Leadership, i: int, small: int, params: Params) -> str:
    if not lead.compared[i, small]:
        return f"no {params.small_cap} price at the anchor or on day {params.lead_days}"
    if not lead.decided[i]:
        return "fewer than two members have prices"
    return ""


def yearly_leadership(data: MarketData, params: Params) -> pd.DataFrame:
    """One row per calendar year: the N-day returns, the leader and the rest-of-year outcome."""
    universe = tuple(params.universe)
    ys, returns, lead = _year_leadership(
        data, universe, params.small_cap, params.lead_days, params.anchor, params.price_field
    )
    small = universe.index(params.small_cap)
    outcome = data.adj_close[list(dict.fromkeys([params.small_cap, params.market]))]
    index = data.index
    rows = []
    for i, year in enumerate(ys.years):
        row: dict[str, object] = {"year": int(year), "decision_date": None, "leader": None}
        if ys.decision[i] < 0:
            rows.append({**row, "note": f"fewer than {params.lead_days} sessions"})
            continue
        if ys.anchor[i] < 0:
            rows.append({**row, "note": "no session before the year in the data"})
            continue
        day_n = int(ys.decision[i])
        row.update(anchor_date=index[ys.anchor[i]].date(), decision_date=index[day_n].date())
        row.update({f"{t}_ret": float(r) for t, r in zip(universe, returns[i], strict=True)})
        if lead.decided[i]:
            tied = [
                t for t, r in zip(universe, returns[i], strict=True) if r == np.nanmax(returns[i])
            ]
            row.update(
                leader=universe[lead.leader[i]] if lead.leader[i] >= 0 else None,
                small_cap_rank=int(lead.small_rank[i]),
                members_compared=int(lead.compared[i].sum()),
            )
            if lead.tied[i]:
                row["note"] = f"tie for the highest return ({', '.join(tied)}): no leader"
        else:
            row["note"] = _undecided_note(lead, i, small, params)
        prior = int(ys.first[i]) - 1 if ys.first[i] > 0 else None
        row.update(_outcomes(outcome, day_n, prior, int(year)))
        rows.append(row)
    table = pd.DataFrame(rows).set_index("year")
    table["signal"] = np.where(table["leader"] == params.small_cap, "lead", "base")
    # Years before the small-cap ticker's first price say nothing about the rule: leave them out.
    first_year = data.adj_close[params.small_cap].first_valid_index()
    if first_year is not None:
        table = table[table.index >= first_year.year]
    return _ordered(table, params)


def _ordered(table: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Decision inputs first, then the decision, then what followed."""
    outcome = list(dict.fromkeys([params.small_cap, params.market]))
    columns = [
        "anchor_date",
        "decision_date",
        *[f"{t}_ret" for t in params.universe],
        "leader",
        "small_cap_rank",
        "signal",
        *[f"{t}_rest_ret" for t in outcome],
        *[f"{t}_year_ret" for t in outcome],
        "year_end_date",
        "year_complete",
        "members_compared",
        "note",
    ]
    table = table.reindex(columns=columns)
    for col in ("small_cap_rank", "members_compared"):
        table[col] = table[col].astype("Int64")
    return table


# --------------------------------------------------------------------------- batch decisions

_SWEPT = ("lead_days", "anchor", "universe", "price_field", "small_cap", "horizon", "lead", "base")


def _column(table: pd.DataFrame, params: Params, name: str) -> list:
    """One parameter's value per combination (lists and maps kept whole, unlike np.full)."""
    if name in table.columns:
        return list(table[name])
    return [getattr(params, name)] * len(table.index)


def decide(data: MarketData, params: Params, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination of `table` (one column per swept parameter).

    Leadership is computed once per distinct (lead_days, anchor, universe, price_field,
    small_cap) and the lead spells once per horizon; each combination's events are gathered from
    its spells with array indexing, its rows from its lead and base weight maps.
    """
    index = data.index
    n_combos = len(table.index)
    col = {name: _column(table, params, name) for name in _SWEPT}
    # The columns of one combination are its base tickers, then its lead ones (as flag_rows).
    maps = [m for pair in zip(col["base"], col["lead"], strict=True) for m in pair]
    columns, palette, map_rows = weight_palette(maps)
    base_row, lead_row = map_rows[0::2], map_rows[1::2]

    prices: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    spells: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
    group_ids: dict[tuple, int] = {}
    group_spells: list[tuple[np.ndarray, np.ndarray]] = []
    group_of = np.empty(n_combos, np.int64)
    years = calendar_years(index)
    keys = zip(*(col[n] for n in _SWEPT[:6]), strict=True)
    for j, (lead_days, anchor, universe, price_field, small_cap, horizon) in enumerate(keys):
        lkey = (int(lead_days), str(anchor), tuple(universe), str(price_field), str(small_cap))
        gkey = (lkey, horizon)
        if gkey not in group_ids:
            if lkey not in spells:
                ys, lead = _leadership_cached(data, lkey, prices, years)
                leads = lead.small_leads
                spells[lkey] = (ys.decision[leads], ys.held_until[leads])
            starts, ends = spells[lkey]
            if horizon != "year_end":
                ends = np.minimum(starts + int(horizon) - 1, ends)
            group_ids[gkey] = len(group_spells)
            group_spells.append((starts, ends))
        group_of[j] = group_ids[gkey]
    return spell_decisions(index, columns, palette, lead_row, base_row, group_spells, group_of)


# --------------------------------------------------------------------------- words


def _weights_text(weights: dict[str, float]) -> str:
    held = {t: w for t, w in weights.items() if w > 0}
    if len(held) == 1 and abs(next(iter(held.values())) - 1.0) < 1e-12:
        return next(iter(held))
    return ", ".join(f"{t} {w:.0%}" for t, w in held.items()) or "cash"


def _iso(day: pd.Timestamp | None) -> str:
    return day.date().isoformat() if day is not None else "beyond the known calendar"


def _lead_until(year: int, day_n: pd.Timestamp, params: Params) -> pd.Timestamp:
    """The session after whose close base is wanted again (the calendar's, past the data too)."""
    sessions = nyse_sessions(f"{year}-01-01", f"{year}-12-31")
    year_end = last_session_of_year(year)
    if params.horizon == "year_end":
        return year_end
    at = int(sessions.get_loc(day_n)) + int(params.horizon)
    return sessions[at] if at < len(sessions) - 1 else year_end


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """What decided the allocation wanted after the data's last close, and the next decision."""
    universe = tuple(params.universe)
    ys, returns, lead = _year_leadership(
        data, universe, params.small_cap, params.lead_days, params.anchor, params.price_field
    )
    last_day = data.index[-1]
    base = f"base ({_weights_text(params.base)})"
    reached = np.flatnonzero((ys.decision >= 0) & (ys.anchor >= 0))
    this_year = int(ys.years[-1])
    if not len(reached) or int(ys.years[reached[-1]]) != this_year:
        due = nth_session_of_year(this_year, params.lead_days)
        return {
            "inputs": f"session {params.lead_days} of {this_year} not reached yet "
            f"(data end {last_day.date()}): {base} until then",
            "next_decision": _iso(due),
        }
    i = int(reached[-1])
    year = int(ys.years[i])
    due = _iso(nth_session_of_year(year + 1, params.lead_days))
    period = f"over the first {params.lead_days} sessions of {year}"
    small = universe.index(params.small_cap)
    compared = [(t, r) for t, r in zip(universe, returns[i], strict=True) if np.isfinite(r)]
    ranked = sorted(compared, key=lambda tr: -tr[1])
    if not lead.decided[i]:
        return {
            "inputs": f"no decision {period}: {_undecided_note(lead, i, small, params)}; {base}",
            "next_decision": due,
        }
    shown = [f"{t} {r:+.1%}" for t, r in ranked]
    if lead.tied[i]:
        behind = ", ".join(shown[2:]) or "no other member"
        words = f"{' and '.join(shown[:2])} tied for the lead, ahead of {behind}"
    else:
        words = f"{shown[0]} led {', '.join(shown[1:])}"
    if not lead.small_leads[i]:
        return {"inputs": f"{words} {period}: {base} until the next decision", "next_decision": due}
    until = _lead_until(year, data.index[ys.decision[i]], params)
    held = f"lead ({_weights_text(params.lead)})"
    state = f"{held} until {until.date()}"
    if until <= last_day:
        state += f", then {base}"
    return {"inputs": f"{words} {period}: {state}", "next_decision": due}


def active_and_base(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    """The two allocations of the rule: lead (active) and base."""
    return dict(params.lead), dict(params.base)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    return {"per_year": yearly_leadership(data, params)}


STRATEGY = rules.module_strategy(
    globals(),
    name="first10days",
    description="Hold small caps for the rest of the year when they lead the first N sessions.",
    params_model=Params,
    valid_combinations=rules.cross_checked("small_cap", "universe"),
    lookback_sessions=lambda params: 260,
    key_params=("lead_days", "anchor", "small_cap", "horizon", "lead", "base"),
)
