"""relative_start: "the Russell averaged 18% in post-rotation years vs 12% for the S&P",
"equal weight beat cap weight by about 4 points to start the year".

Each calendar year: the leader's and the laggard's returns over the opening window (January or
the first N sessions) from the anchor, and their difference (the spread). A year is a signal
year when the spread is above the threshold. Outcomes, for years complete for both series:
full-year returns (prior year-end close to the year's last close) and rest-of-year returns
(window's last close to the year's last close) of each, and their spreads. The full-year spread
contains the window's, so part of any link is mechanical; rest of year is the fair test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from engine.claims import years as Y
from engine.claims.definitions import ClaimBase, RelativeStart
from engine.claims.kinds import Kind
from engine.claims.result import ClaimResult, Finding
from engine.claims.studies import fact_finding, share_finding, yearly_mean_finding
from engine.data.model import MarketData

OUTCOMES = {"full_year": "full-year", "rest_of_year": "rest-of-year"}


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RelativeStart)
    p = defn.pairs[defn.pair]
    return [p.leader, p.laggard]


def data_start(defn: ClaimBase) -> dt.date:
    assert isinstance(defn, RelativeStart)
    return dt.date(defn.start_year - 1, 12, 1)


def yearly_table(data: MarketData, defn: RelativeStart) -> pd.DataFrame:
    p = defn.pairs[defn.pair]
    close = data.field(p.price_field)
    pair = [Y.Prices(close[p.leader]), Y.Prices(close[p.laggard])]
    rows = []
    for ys in Y.year_slices(data.index, defn.start_year, defn.end_year):
        anchor = Y.anchor_position(ys, defn.anchor)
        end_w = Y.window_end(ys, defn.window)
        row: dict[str, object] = {
            "year": ys.year,
            "anchor_date": ys.date(anchor),
            "window_end": ys.date(end_w),
        }
        complete = all(s.complete(ys) for s in pair)
        rets: dict[str, list[float]] = {"window": [], "full_year": [], "rest_of_year": []}
        for s in pair:
            end = s.at(ys.last) if complete else float("nan")
            rets["window"].append(Y.returned(s.at(anchor), s.at(end_w)))
            rets["full_year"].append(Y.returned(s.at(ys.prior), end))
            rets["rest_of_year"].append(Y.returned(s.at(end_w), end))
        for part, (lead, lag) in rets.items():
            row[f"{p.leader}_{part}_ret"] = lead
            row[f"{p.laggard}_{part}_ret"] = lag
            row[f"spread_{part}_ret"] = lead - lag
        spread = rets["window"][0] - rets["window"][1]
        row["signal"] = bool(spread > defn.threshold) if np.isfinite(spread) else None
        row["complete"] = complete
        rows.append(row)
    table = pd.DataFrame(rows).set_index("year")
    for col in ("signal", "complete"):
        table[col] = table[col].astype("boolean")
    return table


def _counted(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    return table[table["signal"].notna() & table[f"spread_{outcome}_ret"].notna()]


def _span(frame: pd.DataFrame) -> str:
    return f"{frame.index.min()}-{frame.index.max()}" if len(frame) else "none"


def _fact(table: pd.DataFrame, defn: RelativeStart) -> Finding:
    c = defn.claimed
    known = table[table["spread_window_ret"].notna()]
    year = defn.as_of.year if defn.as_of is not None else int(known.index.max())
    value = float(known.loc[year, "spread_window_ret"]) if year in known.index else np.nan
    others = known.drop(index=year, errors="ignore")["spread_window_ret"]
    at_least = int((others >= value).sum()) if np.isfinite(value) else 0
    p = defn.pairs[defn.pair]
    return fact_finding(
        "window_spread",
        f"{p.leader} minus {p.laggard} return over {Y.window_text(defn.window)} of {year}",
        value=value,
        unit="return",
        claimed=c.window_spread,
        claimed_text=f"about {c.window_spread * 100:+.0f} points" if c.window_spread else "",
        tolerance=c.tolerance,
        base=at_least / len(others) if len(others) else np.nan,
        base_n=len(others),
        base_label=f"share of the other {len(others)} years ({_span(others.to_frame())}) with "
        "a spread at least as large",
        detail=f"a spread at least this large happened in {at_least} of the other "
        f"{len(others)} years",
    )


def _findings(table: pd.DataFrame, defn: RelativeStart) -> list[Finding]:
    p = defn.pairs[defn.pair]
    col = f"spread_{defn.outcome}_ret"
    counted = _counted(table, defn.outcome)
    sig = counted[counted["signal"].fillna(False)]
    other = counted[~counted["signal"].fillna(True)]
    what = OUTCOMES[defn.outcome]
    win = Y.window_text(defn.window)
    c = defn.claimed
    lead_mean = float(sig[f"{p.leader}_{defn.outcome}_ret"].mean()) if len(sig) else np.nan
    lag_mean = float(sig[f"{p.laggard}_{defn.outcome}_ret"].mean()) if len(sig) else np.nan
    quoted = ""
    if c.leader_mean is not None and c.laggard_mean is not None:
        quoted = f" (quoted {c.leader_mean:.0%} vs {c.laggard_mean:.0%})"
    detail = (
        f"in the {len(sig)} signal years {p.leader} averaged {lead_mean:.1%} and {p.laggard} "
        f"{lag_mean:.1%} {what}{quoted}"
    )
    out = []
    if c.window_spread is not None:
        out.append(_fact(table, defn))
    out.append(
        yearly_mean_finding(
            "spread_after_signal",
            f"Mean {what} spread {p.leader} minus {p.laggard}: years {p.leader} led over {win} "
            f"vs the other years ({_span(counted)})",
            sig[col].to_numpy(),
            other[col].to_numpy(),
            f"the other {len(other)} years",
            defn.direction,
            defn.stats,
            seed_key=f"{defn.name}-{defn.pair}-{defn.window}-{defn.outcome}-{defn.start_year}",
            detail=detail,
        )
    )
    base = float((counted[col] > 0).mean()) if len(counted) else np.nan
    out.append(
        share_finding(
            "leader_beat_after_signal",
            f"Share of signal years in which {p.leader} also beat {p.laggard} {what}",
            hits=int((sig[col] > 0).sum()),
            n=len(sig),
            base=base,
            base_n=len(counted),
            base_label=f"{p.leader} beat {p.laggard} {what} in any of {len(counted)} years",
            direction=defn.direction,
            settings=defn.stats,
        )
    )
    return out


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, RelativeStart)
    return _findings(yearly_table(data, defn), defn)


def _means(table: pd.DataFrame, defn: RelativeStart) -> pd.DataFrame:
    p = defn.pairs[defn.pair]
    rows = []
    for outcome in OUTCOMES:
        counted = _counted(table, outcome)
        for label, part in (
            ("signal years", counted[counted["signal"].fillna(False)]),
            ("other years", counted[~counted["signal"].fillna(True)]),
            ("all years", counted),
        ):
            rows.append(
                {
                    "outcome": outcome,
                    "years_set": label,
                    "years": len(part),
                    f"mean_{p.leader}_ret": float(part[f"{p.leader}_{outcome}_ret"].mean()),
                    f"mean_{p.laggard}_ret": float(part[f"{p.laggard}_{outcome}_ret"].mean()),
                    "mean_spread_ret": float(part[f"spread_{outcome}_ret"].mean()),
                    "share_leader_beat": float((part[f"spread_{outcome}_ret"] > 0).mean())
                    if len(part)
                    else np.nan,
                }
            )
    return pd.DataFrame(rows)


def describe(defn: RelativeStart) -> list[str]:
    p = defn.pairs[defn.pair]
    anchor = "the prior year-end close" if defn.anchor == "prior_close" else "day 1's close"
    return [
        f"Pair '{defn.pair}': {p.leader} vs {p.laggard}, {p.price_field} prices; years "
        f"{defn.start_year} to {defn.end_year or 'the latest'}.",
        f"Window: {Y.window_text(defn.window)} of each year, measured from {anchor}. Spread = "
        f"{p.leader}'s return minus {p.laggard}'s.",
        f"Signal year: the window spread is above {defn.threshold:+.1%}.",
        f"Outcome: the {OUTCOMES[defn.outcome]} spread (full year: prior year-end close to the "
        "year's last close; rest of year: the window's last close to the year's last close), "
        "in signal years vs the other years. Years not complete for both are left out.",
    ]


def compute(data: MarketData, defn: ClaimBase) -> ClaimResult:
    assert isinstance(defn, RelativeStart)
    p = defn.pairs[defn.pair]
    table = yearly_table(data, defn)
    notes = []
    incomplete = table.index[~table["complete"].fillna(False)]
    if len(incomplete):
        notes.append(
            f"Incomplete year(s) left out of the outcomes: {', '.join(map(str, incomplete))}."
        )
    if defn.outcome == "full_year":
        notes.append(
            "The full-year spread contains the window's own spread, which is positive in signal "
            "years by definition; the rest-of-year rows of the sensitivity table remove it."
        )
    return ClaimResult(
        name=defn.name,
        title=defn.title,
        kind=defn.kind,
        quotes=list(defn.quotes),
        definition=describe(defn),
        findings=_findings(table, defn),
        events=table,
        tables={"means": _means(table, defn)},
        notes=notes,
        period=Y.table_period(
            table,
            [Y.Prices(data.field(p.price_field)[t]) for t in (p.leader, p.laggard)],
            data.index,
        ),
    )


KIND = Kind(
    name="relative_start",
    tickers=tickers,
    data_start=data_start,
    findings=findings,
    compute=compute,
)
