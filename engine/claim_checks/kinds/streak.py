"""relative_streak: "the Russell 2000 has outperformed the S&P 500 for 14 sessions in a row".

A session counts when the leader's price change from the previous session is strictly greater
than the laggard's (both prices needed on both sessions; a missing price ends a streak, it is
never bridged). A streak is a maximal run of counting sessions. What followed streaks of at
least k sessions is measured once per episode, from the close of the session on which the
streak first reached k (so the event uses no later price), against the other sessions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from engine.claim_checks import series as S
from engine.claim_checks.definitions import ClaimBase, Horizons, Pair, SideDirection, check_choice
from engine.claim_checks.kinds import Extras, Kind
from engine.claim_checks.result import Columns, Finding
from engine.claim_checks.studies import daily_mean_finding, daily_share_finding, fact_finding
from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions.indicators import run_length


class StreakClaimed(Strict):
    lengths: list[int] = Field(default_factory=list, description="Quoted streak lengths")
    since_year: int | None = Field(default=None, description="'the longest since' this year")


class RelativeStreak(ClaimBase):
    """Runs of sessions on which the leader's daily change beat the laggard's."""

    DATE_FIELD: ClassVar[str | None] = "as_of"

    kind: Literal["relative_streak"]
    pairs: dict[str, Pair] = Field(min_length=1)
    pair: str
    start: dt.date | None = None
    as_of: dt.date | None = Field(default=None, description="Date of the claim; none = latest")
    at_least: int | None = Field(
        default=None, ge=1, description="List every streak at least this long; none = as_of's"
    )
    top: int = Field(default=10, ge=1, le=1000)
    episode_lengths: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default=[8, 10], min_length=1
    )
    horizons: Horizons = Field(default_factory=lambda: [21, 63, 126, 252])
    headline_k: int = Field(default=8, ge=1, le=100)
    headline_horizon: int = Field(default=63, ge=1, le=1260)
    aftermath_direction: SideDirection = "none"
    claimed: StreakClaimed = StreakClaimed()

    @model_validator(mode="after")
    def _pair_known(self) -> RelativeStreak:
        check_choice(self.pair, self.pairs, "pair")
        return self


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RelativeStreak)
    p = defn.pairs[defn.pair]
    return [p.leader, p.laggard]


def data_start(defn: ClaimBase) -> dt.date | None:
    assert isinstance(defn, RelativeStreak)
    return defn.start


def pair_prices(data: MarketData, defn: RelativeStreak) -> tuple[pd.Series, pd.Series]:
    """The two price series on the sessions both have, from `start` on."""
    p = defn.pairs[defn.pair]
    frame = data.field(p.price_field)[[p.leader, p.laggard]].dropna()
    if defn.start is not None:
        frame = frame.loc[pd.Timestamp(defn.start) :]
    return frame[p.leader], frame[p.laggard]


def counting_sessions(a: pd.Series, b: pd.Series) -> pd.Series:
    """True on sessions where a's change beat b's strictly (False when either is missing)."""
    ca, cb = S.daily_change(a), S.daily_change(b)
    return (ca > cb) & ca.notna() & cb.notna()


def streaks(mask: pd.Series) -> pd.DataFrame:
    """Every streak: start, end, length, in time order."""
    rows = [
        {"start": mask.index[s].date(), "end": mask.index[e].date(), "length": e - s + 1}
        for s, e in S.runs(mask.to_numpy())
    ]
    return pd.DataFrame(rows, columns=["start", "end", "length"])


def episodes(
    mask: pd.Series, a: pd.Series, b: pd.Series, ks: list[int], horizons: list[int]
) -> pd.DataFrame:
    """One row per (k, streak reaching k): the session it reached k and what followed."""
    lengths = run_length(mask.to_numpy())
    fwd = {h: (S.forward_return(a, h), S.forward_return(b, h)) for h in horizons}
    rows = []
    for k in ks:
        for pos in np.flatnonzero(lengths == k):
            end = pos
            while end + 1 < len(lengths) and lengths[end + 1] > lengths[end]:
                end += 1
            row: dict[str, object] = {
                "k": k,
                "event_date": mask.index[pos].date(),
                "streak_start": mask.index[pos - k + 1].date(),
                "streak_end": mask.index[end].date(),
                "streak_length": int(lengths[end]),
            }
            for h in horizons:
                fa, fb = fwd[h][0].iloc[pos], fwd[h][1].iloc[pos]
                row[f"{a.name}_fwd_{h}_ret"] = fa
                row[f"{b.name}_fwd_{h}_ret"] = fb
                row[f"diff_fwd_{h}_ret"] = fa - fb
            rows.append(row)
    return pd.DataFrame(rows)


def _as_of(mask: pd.Series, defn: RelativeStreak) -> pd.Timestamp:
    if defn.as_of is None:
        return mask.index[-1]
    before = mask.index[mask.index <= pd.Timestamp(defn.as_of)]
    return before[-1] if len(before) else mask.index[0]


def _streak_facts(
    mask: pd.Series, all_streaks: pd.DataFrame, defn: RelativeStreak
) -> list[Finding]:
    lengths = run_length(mask.to_numpy())
    day = _as_of(mask, defn)
    pos = mask.index.get_loc(day)
    length = int(lengths[pos])
    start = mask.index[pos - length + 1].date() if length else None
    claimed = defn.claimed
    first_year = mask.index[0].year
    reached = [
        f"{n} on {mask.index[pos - length + n].date()}" for n in claimed.lengths if n <= length
    ]
    detail = (
        f"streak on {day.date()}: {length} session(s)"
        + (f" from {start}" if start else "")
        + (f"; it reached {', '.join(reached)}" if reached else "")
    )
    longer = all_streaks[all_streaks["length"] >= max(length, 1)]
    base_label = f"streaks of at least {length} sessions since {mask.index[0].date()}"
    out = [
        fact_finding(
            "streak_on_date",
            f"Sessions in a row, to {day.date()}, on which the leader's change beat the laggard's",
            value=length,
            unit="number",
            claimed=float(max(claimed.lengths)) if claimed.lengths else None,
            claimed_text=" then ".join(map(str, claimed.lengths)),
            base=float(len(longer)),
            base_n=len(all_streaks),
            base_label=base_label,
            base_unit="number",
            detail=detail,
        )
    ]
    if length == 0:
        since_value = float("nan")
        since_detail = f"no streak is in effect on {day.date()}"
    else:
        earlier = all_streaks[pd.to_datetime(all_streaks["end"]) < pd.Timestamp(start)]
        parts = []
        for n in sorted({*claimed.lengths, length}):
            prev = earlier[earlier["length"] >= n]
            if len(prev):
                last = prev.iloc[-1]
                parts.append(f"at least {n}: {last['start']} to {last['end']} ({last['length']})")
            else:
                parts.append(f"at least {n}: none since {mask.index[0].date()}")
        prev = earlier[earlier["length"] >= length]
        since_value = float(pd.Timestamp(prev.iloc[-1]["end"]).year) if len(prev) else first_year
        since_detail = "last earlier streak " + "; ".join(parts)
    out.append(
        fact_finding(
            "longest_since",
            f"Year the last earlier streak at least as long ({length}) ended",
            value=since_value,
            unit="year",
            claimed=float(claimed.since_year) if claimed.since_year is not None else None,
            claimed_text=f"longest since {claimed.since_year}" if claimed.since_year else "",
            direction="at_most",
            detail=since_detail,
        )
    )
    return out


def _aftermath_findings(
    mask: pd.Series, a: pd.Series, b: pd.Series, defn: RelativeStreak, k: int, h: int
) -> list[Finding]:
    events = S.episode_events(mask.to_numpy(), k)
    diff = (S.forward_return(a, h) - S.forward_return(b, h)).to_numpy()
    beat = np.where(np.isfinite(diff), (diff > 0).astype(float), np.nan)
    label = f"{a.name} minus {b.name} return over the {h} sessions after a streak reached {k}"
    base_label = f"the same {h}-session difference from the other sessions"
    return [
        daily_mean_finding(
            f"after_k{k}_h{h}_mean",
            label,
            diff,
            events,
            h,
            base_label,
            defn.aftermath_direction,
            defn.stats,
            seed_key=f"{defn.name}-k{k}-h{h}",
        ),
        daily_share_finding(
            f"after_k{k}_h{h}_share",
            f"Share of episodes (streak reached {k}) after which {a.name} beat {b.name} over "
            f"{h} sessions",
            beat,
            events,
            f"share of the other sessions followed by {a.name} beating {b.name} over {h} sessions",
            defn.aftermath_direction,
            defn.stats,
            horizon=h,
        ),
    ]


@dataclass(frozen=True)
class Study:
    """The pair's prices on the sessions both have, the counting sessions and every streak."""

    a: pd.Series
    b: pd.Series
    mask: pd.Series
    streaks: pd.DataFrame


def study(data: MarketData, defn: ClaimBase) -> Study:
    assert isinstance(defn, RelativeStreak)
    a, b = pair_prices(data, defn)
    mask = counting_sessions(a, b)
    return Study(a, b, mask, streaks(mask))


def _findings(st: Study, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, RelativeStreak)
    facts = _streak_facts(st.mask, st.streaks, defn)
    return facts + _aftermath_findings(
        st.mask, st.a, st.b, defn, defn.headline_k, defn.headline_horizon
    )


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    return KIND.findings(data, defn)


# The aftermath table's names for the two findings of `_aftermath_findings`.
_MEAN_COLUMNS = Columns(
    "mean_diff_ret", "other_days_mean_diff_ret", "excess", "rotation_p", "excess_ret"
)
_SHARE_COLUMNS = Columns("share_leader_beat", "other_days_share", "share_diff", "share_fisher_p")


def _aftermath_table(
    mask: pd.Series, a: pd.Series, b: pd.Series, defn: RelativeStreak
) -> pd.DataFrame:
    rows = []
    for k in defn.episode_lengths:
        for h in defn.horizons:
            mean_f, share_f = _aftermath_findings(mask, a, b, defn, k, h)
            events = S.episode_events(mask.to_numpy(), k)
            all_a = S.forward_return(a, h).to_numpy()
            all_b = S.forward_return(b, h).to_numpy()
            fa, fb = all_a[events], all_b[events]
            rows.append(
                {
                    "k": k,
                    "horizon_sessions": h,
                    "episodes": int(events.sum()),
                    "excluded_past_data": mean_f.excluded,
                    "n": mean_f.n,
                    f"mean_{a.name}_ret": float(np.nanmean(fa)) if mean_f.n else np.nan,
                    f"mean_{b.name}_ret": float(np.nanmean(fb)) if mean_f.n else np.nan,
                    f"all_days_mean_{a.name}_ret": float(np.nanmean(all_a)),
                    f"all_days_mean_{b.name}_ret": float(np.nanmean(all_b)),
                    **_MEAN_COLUMNS.of(mean_f),
                    **_SHARE_COLUMNS.of(share_f),
                }
            )
    return pd.DataFrame(rows)


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RelativeStreak)
    p: Pair = defn.pairs[defn.pair]
    hz = ", ".join(str(h) for h in defn.horizons)
    return [
        f"Pair '{defn.pair}': {p.leader} vs {p.laggard}, {p.price_field} prices, on the sessions "
        f"both have{f' from {defn.start}' if defn.start else ''}.",
        f"A session counts when {p.leader}'s change from the previous session is strictly "
        f"greater than {p.laggard}'s; a streak is a maximal run of counting sessions.",
        f"The streak 'on' a date counts only sessions up to that date ({defn.as_of or 'latest'}).",
        "'Longest since': the year in which the last earlier streak at least as long ended.",
        f"Aftermath: once per episode, from the close of the session on which a streak first "
        f"reached k (k = {', '.join(map(str, defn.episode_lengths))}); forward windows of "
        f"{hz} sessions (21/63/126/252 sessions = about 1/3/6/12 months). Compared with the "
        "same forward window from the other sessions. Events whose window runs past the data are "
        "left out of that horizon and counted.",
    ]


def _extras(st: Study, data: MarketData, defn: ClaimBase) -> Extras:
    assert isinstance(defn, RelativeStreak)
    a, b, mask, table = st.a, st.b, st.mask, st.streaks
    lengths = run_length(mask.to_numpy())
    length_on_date = int(lengths[mask.index.get_loc(_as_of(mask, defn))]) if len(mask) else 0
    at_least = defn.at_least or max(length_on_date, 1)
    ranked = table.sort_values(["length", "start"], ascending=[False, False]).head(defn.top)
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    last = table.tail(1).assign(which="last streak in the data")
    day = _as_of(mask, defn)
    on_date = table[
        (pd.to_datetime(table["start"]) <= day) & (pd.to_datetime(table["end"]) >= day)
    ].assign(which=f"streak containing {day.date()} (full length)")
    recent = pd.concat([on_date, last])[["which", "start", "end", "length"]]
    notes = []
    if len(table) and pd.Timestamp(table["end"].iloc[-1]) == mask.index[-1]:
        last_run = table.iloc[-1]
        notes.append(
            f"The last streak in the data ({last_run['length']} session(s) from "
            f"{last_run['start']}) is still running on its last session: its final length is "
            "not known yet."
        )
    return Extras(
        events=episodes(mask, a, b, defn.episode_lengths, defn.horizons),
        tables={
            "longest_streaks": ranked.reset_index(drop=True),
            "recent_streaks": recent.reset_index(drop=True),
            f"streaks_at_least_{at_least}": table[table["length"] >= at_least].reset_index(
                drop=True
            ),
            "aftermath": _aftermath_table(mask, a, b, defn),
            "all_streaks": table,
        },
        notes=notes,
        period=(str(a.index[0].date()), str(a.index[-1].date())),
    )


KIND = Kind(
    model=RelativeStreak,
    name="relative_streak",
    tickers=tickers,
    study=study,
    findings_of=_findings,
    describe=describe,
    extras=_extras,
    data_start=data_start,
)
