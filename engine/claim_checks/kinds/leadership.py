"""year_start_leadership: "when small caps lead after the first N sessions, stocks end higher".

For each calendar year, every member's return from the anchor (prior year-end close, day-1
close or day-1 open) to the close of the year's Nth session is compared by
`engine.decisions.leadership`,
the rule the first10days strategy trades on: the small-cap member "leads" when its return is
strictly the highest, and a tie for the highest return is no leadership. Members without a price
at the anchor or on day N are left out of that year's comparison (the count is in
`members_compared`). Outcomes: the market's close on the year's last session above its prior
year-end close (`year_up`) or above its day-N close (`rest_up`), and whether the small-cap member
is still the best from the anchor to the year's last close (`keeps_no1`). Incomplete years are
listed, not counted.
"""

# long: a kind's model, its events and all of its findings stay beside each other
# (ARCHITECTURE.md: each claim kind is one module).

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from engine.claim_checks import years as Y
from engine.claim_checks.definitions import ClaimBase, PriceField, check_choice
from engine.claim_checks.kinds import Extras, Kind
from engine.claim_checks.quotes import quoted_count_test, quoted_share
from engine.claim_checks.result import Finding
from engine.claim_checks.studies import share_finding
from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions import leadership as L


class Universe(Strict):
    """Members compared for leadership, the small-cap one among them, the market for outcomes."""

    members: list[str] = Field(min_length=2)
    small_cap: str
    market: str
    price_field: PriceField = "close"

    @model_validator(mode="after")
    def _small_cap_member(self) -> Universe:
        if len(set(self.members)) != len(self.members):
            raise ValueError(f"members has duplicates: {self.members}")
        if self.small_cap not in self.members:
            raise ValueError(f"small_cap {self.small_cap!r} is not in members {self.members}")
        return self


class LeadershipClaimed(Strict):
    recent_hits: int | None = Field(default=None, ge=0, description="Quoted hits in the window")
    recent_n: int | None = Field(default=None, ge=1, description="Quoted window size")
    keeps_no1: float | None = Field(default=None, ge=0, le=1, description="Quoted share")
    share_tolerance: float = Field(
        default=0.02, ge=0, le=1, description="'about' a quoted share: within this (2 points)"
    )


class YearStartLeadership(ClaimBase):
    """Which member led over the year's first N sessions, and how the year ended."""

    kind: Literal["year_start_leadership"]
    universes: dict[str, Universe] = Field(min_length=1)
    universe: str
    lead_days: int = Field(default=10, ge=1, le=60)
    anchor: Literal["prior_close", "first_close", "first_open"] = "prior_close"
    outcome: Literal["year_up", "rest_up"] = "year_up"
    recent_years: int = Field(default=10, ge=1, le=100)
    recent_mode: Literal["signal_years", "calendar_years"] = "signal_years"
    start_year: int = Field(default=1988, ge=1929, le=2100)
    end_year: int | None = Field(default=None, ge=1929, le=2100)
    min_members: int = Field(default=2, ge=2)
    claimed: LeadershipClaimed = LeadershipClaimed()

    @model_validator(mode="after")
    def _universe_known(self) -> YearStartLeadership:
        check_choice(self.universe, self.universes, "universe")
        return self


ANCHOR_TEXT = {
    "prior_close": "the prior year-end close",
    "first_close": "the close of the year's first session",
    "first_open": "the open of the year's first session",
}
OUTCOME_TEXT = {
    "year_up": "closed the year above its prior year-end close",
    "rest_up": "closed the year above its close on the decision day",
}


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, YearStartLeadership)
    u = defn.universes[defn.universe]
    return list(dict.fromkeys([*u.members, u.market]))


def yearly_table(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    """One row per year: member returns to day N, the leader, the outcomes."""
    assert isinstance(defn, YearStartLeadership)
    u = defn.universes[defn.universe]
    members = list(u.members)
    close = data.field(u.price_field)
    start_px, end_px = L.anchor_prices(data, members, u.price_field, defn.anchor)
    positions = L.year_start_positions(data.index, defn.lead_days, defn.anchor)
    returns = L.year_start_returns(start_px, end_px, positions)
    small = members.index(u.small_cap)
    rule = L.leadership(returns, small, defn.min_members)
    series = {t: Y.Prices(close[t]) for t in dict.fromkeys([*members, u.market])}
    at = {int(y): i for i, y in enumerate(positions.years)}
    rows = []
    for ys in Y.year_slices(data.index, defn.start_year, defn.end_year):
        i = at[ys.year]
        row: dict[str, object] = {"year": ys.year}
        anchor, day_n = int(positions.anchor[i]), int(positions.decision[i])
        if day_n < 0 or anchor < 0:
            row["note"] = f"fewer than {defn.lead_days} sessions, or no anchor"
            rows.append(row)
            continue
        row.update(anchor_date=ys.date(anchor), decision_date=ys.date(day_n))
        rets = returns[i]
        row.update({f"{t}_ret": float(r) for t, r in zip(members, rets, strict=True)})
        valid = rule.compared[i]
        row["members_compared"] = int(valid.sum())
        if not rule.decided[i]:
            row["note"] = f"{u.small_cap} or too few members have prices"
            rows.append(row)
            continue
        row["leader"] = members[rule.leader[i]] if rule.leader[i] != L.NO_LEADER else None
        row["signal"] = bool(rule.small_leads[i])
        if rule.tied[i]:
            tied = [
                t
                for t, r, ok in zip(members, rets, valid, strict=True)
                if ok and r == rets[valid].max()
            ]
            row["note"] = f"tie for the highest return ({', '.join(tied)}): no leader"
        if defn.anchor == "first_open" and ys.prior is not None:
            same = np.abs(start_px[anchor] / end_px[ys.prior] - 1.0) < 1e-7
            row["open_is_prior_close"] = bool(np.any(same & valid))
        row.update(_outcomes(series, end_px, ys, day_n, u, valid, start_px[anchor]))
        rows.append(row)
    return _ordered(pd.DataFrame(rows).set_index("year"), u)


def _outcomes(
    series: dict[str, Y.Prices],
    end_px: np.ndarray,
    ys: Y.YearSlice,
    day_n: int,
    u: Universe,
    compared: np.ndarray,
    base: np.ndarray,
) -> dict[str, object]:
    market = series[u.market]
    out: dict[str, object] = {"year_end_date": ys.date(ys.last)}
    complete = market.complete(ys)
    out["complete"] = complete
    prior, at_n = market.at(ys.prior), market.at(day_n)
    end = market.at(ys.last) if complete else float("nan")
    out["market_year_ret"] = Y.returned(prior, end)
    out["market_rest_ret"] = Y.returned(at_n, end)
    if complete:
        out["year_up"] = bool(end > prior) if np.isfinite(prior) else None
        out["rest_up"] = bool(end > at_n)
    members = list(u.members)
    done = np.array([series[t].complete(ys) for t in members])
    for i, t in enumerate(members):
        if done[i]:
            out[f"{t}_year_ret"] = Y.returned(series[t].at(ys.prior), series[t].at(ys.last))
    if done[compared].all():
        # The same rule at year end: strictly the best from the anchor, a tie is no leader.
        to_end = np.where(compared, end_px[ys.last] / base - 1.0, np.nan)
        at_end = L.leadership(to_end[None, :], members.index(u.small_cap), min_members=1)
        leader = int(at_end.leader[0])
        out["year_leader"] = members[leader] if leader != L.NO_LEADER else None
        out["keeps_no1"] = bool(at_end.small_leads[0])
    return out


def _ordered(table: pd.DataFrame, u: Universe) -> pd.DataFrame:
    columns = [
        "anchor_date",
        "decision_date",
        *[f"{t}_ret" for t in u.members],
        "members_compared",
        "leader",
        "signal",
        "open_is_prior_close",
        "year_end_date",
        "complete",
        "market_year_ret",
        "market_rest_ret",
        "year_up",
        "rest_up",
        "year_leader",
        "keeps_no1",
        *[f"{t}_year_ret" for t in u.members],
        "note",
    ]
    table = table.reindex(columns=columns)
    for col in ("signal", "open_is_prior_close", "complete", "year_up", "rest_up", "keeps_no1"):
        table[col] = table[col].astype("boolean")
    table["members_compared"] = table["members_compared"].astype("Int64")
    table = table.rename(
        columns={
            "market_year_ret": f"{u.market}_year_ret_market",
            "market_rest_ret": f"{u.market}_rest_ret",
        }
    )
    if f"{u.market}_year_ret" in table.columns:  # the market is a member: no duplicate column
        table = table.drop(columns=f"{u.market}_year_ret_market")
    else:
        table = table.rename(columns={f"{u.market}_year_ret_market": f"{u.market}_year_ret"})
    return table


# --------------------------------------------------------------------------- findings


def _samples(table: pd.DataFrame, defn: YearStartLeadership) -> dict[str, pd.DataFrame]:
    """The year sets the findings count: decided complete years, signal years, the window."""
    known = table["signal"].notna() & table["complete"].fillna(False)
    decided = table[known & table[defn.outcome].notna()]
    signal = decided[decided["signal"].fillna(False)]
    if defn.recent_mode == "signal_years":
        recent = signal.tail(defn.recent_years)
    else:
        last_years = decided.index[-defn.recent_years :]
        recent = signal[signal.index.isin(last_years)]
    return {"decided": decided, "signal": signal, "recent": recent}


def _span(frame: pd.DataFrame) -> str:
    return f"{frame.index.min()}-{frame.index.max()}" if len(frame) else "none"


def _year_lists(signal: pd.DataFrame, col: str) -> str:
    hit = signal.index[signal[col].astype(bool)]
    miss = signal.index[~signal[col].astype(bool)]
    return (
        f"yes in {', '.join(map(str, hit)) or 'none'}; no in {', '.join(map(str, miss)) or 'none'}"
    )


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    return KIND.findings(data, defn)


def _findings(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, YearStartLeadership)
    u = defn.universes[defn.universe]
    s = _samples(table, defn)
    decided, signal, recent = s["decided"], s["signal"], s["recent"]
    col = defn.outcome
    # The comparison of a conditional claim: the decided years in which the small cap did not
    # lead, over the whole history and over the recent sample's span.
    others = decided[~decided["signal"].astype(bool)]
    recent_others = others[others.index >= recent.index.min()] if len(recent) else others
    c = defn.claimed
    window = (
        f"the last {defn.recent_years} years in which {u.small_cap} led"
        if defn.recent_mode == "signal_years"
        else f"the years {u.small_cap} led among the last {defn.recent_years} complete years"
    )
    short = ""
    if len(recent) < defn.recent_years and defn.recent_mode == "signal_years":
        short = f"only {len(recent)} complete years in which {u.small_cap} led are in the data"
    recent_finding = share_finding(
        "ended_higher_recent",
        f"{u.market} {OUTCOME_TEXT[col]}, in {window} ({_span(recent)})",
        hits=int(recent[col].astype(bool).sum()),
        n=len(recent),
        base_label=f"the {len(recent_others)} years {u.small_cap} did not lead over the same "
        f"span ({_span(recent_others)})",
        direction="above_base",
        settings=defn.stats,
        detail=short,
        others=(int(recent_others[col].astype(bool).sum()), len(recent_others)),
    )
    if c.recent_hits is not None and c.recent_n is not None:
        recent_finding = quoted_count_test(
            recent_finding, c.recent_hits, c.recent_n, f"{c.recent_hits} of {c.recent_n}"
        )
    out = [
        recent_finding,
        share_finding(
            "ended_higher_all",
            f"{u.market} {OUTCOME_TEXT[col]}, in every year {u.small_cap} led ({_span(signal)})",
            hits=int(signal[col].astype(bool).sum()),
            n=len(signal),
            base_label=f"the {len(others)} years {u.small_cap} did not lead ({_span(others)})",
            direction="above_base",
            settings=defn.stats,
            detail=_year_lists(signal, col),
            others=(int(others[col].astype(bool).sum()), len(others)),
        ),
    ]
    kept = signal[signal["keeps_no1"].notna()]
    all_known = decided[decided["keeps_no1"].notna()]
    base_no1 = float(all_known["keeps_no1"].astype(float).mean()) if len(all_known) else np.nan
    keeps = share_finding(
        "keeps_no1",
        f"{u.small_cap} still the best member at year end (from "
        f"{ANCHOR_TEXT[defn.anchor]}), in the years it led after day {defn.lead_days}",
        hits=int(kept["keeps_no1"].astype(bool).sum()),
        n=len(kept),
        base=base_no1,
        base_n=len(all_known),
        base_label=f"{u.small_cap} best at year end in any of {len(all_known)} years",
        direction="equals" if c.keeps_no1 is not None else "none",
        settings=defn.stats,
        claimed=c.keeps_no1,
        claimed_text=f"about {c.keeps_no1:.0%}" if c.keeps_no1 is not None else "",
        excluded=len(signal) - len(kept),
    )
    if c.keeps_no1 is not None:
        keeps = quoted_share(keeps, c.keeps_no1, c.share_tolerance)
    out.append(keeps)
    return out


# --------------------------------------------------------------------------- the result


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, YearStartLeadership)
    u = defn.universes[defn.universe]
    return [
        f"Universe '{defn.universe}': {', '.join(u.members)} ({u.price_field} prices); "
        f"small-cap member {u.small_cap}; market {u.market}.",
        f"Leadership: each member's return from {ANCHOR_TEXT[defn.anchor]} to the close of the "
        f"year's session {defn.lead_days}; {u.small_cap} leads when its return is strictly the "
        "highest (a tie for the highest is no leadership; the rule the first10days strategy "
        "trades on). Members with no price then are left out (at least "
        f"{defn.min_members} needed).",
        f"'Stocks ended higher': {u.market} {OUTCOME_TEXT[defn.outcome]}.",
        f"'Keeps the No. 1 spot': {u.small_cap}'s return from the same anchor to the year's "
        "last close is strictly the highest of the members compared.",
        f"Years {defn.start_year} to {defn.end_year or 'the latest'}; a year whose last session "
        "is not in the data is incomplete and left out of every count. Recent window: "
        + (
            f"the last {defn.recent_years} complete years in which {u.small_cap} led."
            if defn.recent_mode == "signal_years"
            else f"the last {defn.recent_years} complete years (those in which "
            f"{u.small_cap} led are counted)."
        ),
        "Comparison: the same outcome in the complete years in which the small cap did not "
        "lead (over the recent sample's span for the recent finding); the share over all "
        "years, signal years included, is kept only for a quoted share such as 'about 54%'.",
    ]


def _member_table(table: pd.DataFrame, defn: YearStartLeadership) -> pd.DataFrame:
    """Each member's share of complete years closing above the prior year-end, all vs signal."""
    u = defn.universes[defn.universe]
    decided = table[table["signal"].notna()]
    rows = []
    for t in u.members:
        col = f"{t}_year_ret"
        if col not in decided.columns:
            continue
        known = decided[decided[col].notna()]
        sig = known[known["signal"].fillna(False)]
        rows.append(
            {
                "member": t,
                "years": len(known),
                "share_up_all_years": float((known[col] > 0).mean()) if len(known) else np.nan,
                "signal_years": len(sig),
                "share_up_signal_years": float((sig[col] > 0).mean()) if len(sig) else np.nan,
                "mean_year_ret_signal_years": float(sig[col].mean()) if len(sig) else np.nan,
                "mean_year_ret_other_years": float(
                    known.loc[~known["signal"].fillna(False), col].mean()
                ),
            }
        )
    return pd.DataFrame(rows).set_index("member") if rows else pd.DataFrame()


def _extras(table: pd.DataFrame, data: MarketData, defn: ClaimBase) -> Extras:
    assert isinstance(defn, YearStartLeadership)
    u = defn.universes[defn.universe]
    notes = []
    incomplete = table.index[table["signal"].notna() & ~table["complete"].fillna(False)]
    if len(incomplete):
        notes.append(
            f"Incomplete year(s) left out of the outcome counts: "
            f"{', '.join(map(str, incomplete))} (the year's last session is not in the data)."
        )
    undecided = table.index[table["signal"].isna()]
    if len(undecided):
        notes.append(f"No leadership decision in: {', '.join(map(str, undecided))}.")
    fewer = table.index[table["members_compared"].fillna(0).lt(len(u.members))]
    fewer = [y for y in fewer if y not in undecided]
    if fewer:
        notes.append(
            f"Fewer than {len(u.members)} members had prices in {len(fewer)} year(s) "
            f"({', '.join(map(str, fewer))}); they were compared among those that had."
        )
    if defn.anchor == "first_open":
        same = table.index[table["open_is_prior_close"].fillna(False)]
        if len(same):
            notes.append(
                f"In {len(same)} year(s) at least one member's day-1 open equals its prior "
                "close (the source has no real open there), so the day-1-open anchor equals "
                f"the prior-close one for it: {', '.join(map(str, same))}."
            )
    tied = table.index[table["note"].astype("string").fillna("").str.startswith("tie for")]
    if len(tied):
        notes.append(
            f"A tie for the highest return named no leader in: {', '.join(map(str, tied))}."
        )
    return Extras(
        events=table,
        tables={"members": _member_table(table, defn)},
        notes=notes,
        period=Y.table_period(
            table,
            [Y.Prices(data.field(u.price_field)[t]) for t in dict.fromkeys([*u.members, u.market])],
            data.index,
        ),
    )


KIND = Kind(
    model=YearStartLeadership,
    name="year_start_leadership",
    tickers=tickers,
    study=yearly_table,
    findings_of=_findings,
    describe=describe,
    extras=_extras,
)
