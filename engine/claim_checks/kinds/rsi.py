"""rsi_cross: "the Russell's RSI is 71, overbought, which often precedes a pullback".

RSI is Wilder's (engine.decisions.indicators.wilder_rsi) on daily closes from the ticker's first
price.
An event is a first cross: RSI above the threshold on a session after at least m sessions not
above it, so a stay above the threshold (or a wobble around it) counts once. Forward returns
run from the event's close over h sessions, absolute and minus the benchmark's, and are
compared with the same forward returns from the other sessions with an RSI. A "pullback" is a
negative h-session return, or (option) a close at least `dip` below the event's close within
the h sessions.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from engine.claim_checks import series as S
from engine.claim_checks.definitions import ClaimBase, Horizons, SideDirection
from engine.claim_checks.kinds import Extras, Kind
from engine.claim_checks.result import Columns, Finding
from engine.claim_checks.studies import daily_mean_finding, daily_share_finding, fact_finding
from engine.config.settings import Strict
from engine.data.model import MarketData
from engine.decisions.indicators import run_length, wilder_rsi
from engine.inference.significance import Direction


class RsiClaimed(Strict):
    rsi: float | None = Field(default=None, ge=0, le=100)
    tolerance: float = Field(default=1.0, ge=0)


class RsiCross(ClaimBase):
    """First crosses of Wilder's RSI above a threshold, and the returns that followed."""

    DATE_FIELD: ClassVar[str | None] = "date"

    kind: Literal["rsi_cross"]
    ticker: str = "^RUT"
    benchmark: str = "^GSPC"
    show_tickers: list[str] = Field(default_factory=list, description="RSI on `date` also for")
    price_field: Literal["auto", "close", "adj_close"] = Field(
        default="auto", description="auto: close for indexes (^...), adj_close otherwise"
    )
    length: int = Field(default=14, ge=2, le=200)
    threshold: float = Field(default=70.0, gt=0, lt=100)
    min_below: int = Field(default=10, ge=1, le=500)
    horizons: Horizons = Field(default_factory=lambda: [5, 10, 21, 63])
    headline_horizon: int = Field(default=21, ge=1, le=1260)
    pullback: Literal["negative_return", "dip"] = "negative_return"
    dip: float = Field(default=0.05, gt=0, lt=1)
    pullback_direction: SideDirection = "above_base"
    return_direction: SideDirection = "below_base"
    date: dt.date | None = Field(default=None, description="Report the RSI on this date")
    start: dt.date | None = None
    claimed: RsiClaimed = RsiClaimed()


def tickers(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RsiCross)
    return list(dict.fromkeys([defn.ticker, defn.benchmark, *defn.show_tickers]))


def data_start(defn: ClaimBase) -> dt.date | None:
    return None  # Wilder's RSI depends on where it starts: always from the first price


def price_field(defn: RsiCross, ticker: str) -> str:
    if defn.price_field != "auto":
        return defn.price_field
    return "close" if ticker.startswith("^") else "adj_close"


def prices(data: MarketData, defn: RsiCross, ticker: str) -> pd.Series:
    return data.field(price_field(defn, ticker))[ticker]


def _study_frame(data: MarketData, defn: ClaimBase) -> pd.DataFrame:
    """Per session with an RSI: price, RSI, event flag, forward returns and pullback flags."""
    assert isinstance(defn, RsiCross)
    px = prices(data, defn, defn.ticker)
    bench = prices(data, defn, defn.benchmark)
    rsi = wilder_rsi(px, defn.length)
    frame = pd.DataFrame({"price": px, "rsi": rsi})
    if defn.start is not None:
        frame = frame.loc[pd.Timestamp(defn.start) :]
    frame = frame[frame["price"].notna()]
    # Events and the base are sessions with an RSI: the base starts at the RSI's first value,
    # as its label says, not `length` sessions earlier. Forward returns look forward only, so
    # leaving the earlier rows out changes none of them.
    first_rsi = frame["rsi"].first_valid_index()
    frame = frame.loc[first_rsi:] if first_rsi is not None else frame.iloc[:0]
    defined = frame["rsi"].notna().to_numpy()
    above = (frame["rsi"] > defn.threshold).to_numpy()
    frame["event"] = S.first_crosses(above, defined, defn.min_below)
    below = defined & ~above
    frame["sessions_below_before"] = np.concatenate([[0], run_length(below)[:-1]])
    p = frame["price"]
    b = bench.reindex(frame.index)
    for h in sorted({*defn.horizons, defn.headline_horizon}):
        fwd = S.forward_return(p, h)
        frame[f"fwd_{h}_ret"] = fwd
        frame[f"rel_fwd_{h}_ret"] = fwd - S.forward_return(b, h)
        if defn.pullback == "dip":
            low = S.forward_low_return(p, h)
            flag = np.where(low.notna(), (low <= -defn.dip).astype(float), np.nan)
        else:
            flag = np.where(fwd.notna(), (fwd < 0).astype(float), np.nan)
        frame[f"pullback_{h}"] = flag
    return frame


def _pullback_text(defn: RsiCross, h: int | None = None) -> str:
    within = f"{h} sessions" if h is not None else "the window"
    if defn.pullback == "dip":
        return f"a close at least {defn.dip:.0%} below the event's close within {within}"
    return f"a lower close than the event's at the end of {within}"


def _date_rsi(data: MarketData, defn: RsiCross, ticker: str) -> tuple[pd.Timestamp, float]:
    series = wilder_rsi(prices(data, defn, ticker), defn.length).dropna()
    if series.empty:
        return pd.NaT, float("nan")
    when = pd.Timestamp(defn.date) if defn.date is not None else series.index[-1]
    before = series.loc[:when]
    if before.empty:
        return pd.NaT, float("nan")
    return before.index[-1], float(before.iloc[-1])


# The by-horizon table's names for the three findings of `_after_events`.
_RETURN_COLUMNS = Columns(
    "mean_ret", "other_days_mean_ret", "excess", "rotation_p_two_sided", "excess_ret"
)
_RELATIVE_COLUMNS = Columns("mean_rel_ret", "other_days_mean_rel_ret", "rel_excess")
_PULLBACK_COLUMNS = Columns(
    "pullback_share", "other_days_pullback_share", "pullback_diff", "pullback_fisher_p_two_sided"
)


def _after_events(frame: pd.DataFrame, defn: RsiCross, h: int, headline: bool) -> list[Finding]:
    """Over the h sessions after the first crosses, against the other sessions with an RSI: the
    share followed by a pullback, the mean return and the mean return minus the benchmark's.
    The headline's are in the claim's words and directions; the by-horizon table's are
    unnamed and two-sided."""
    events = frame["event"].to_numpy(dtype=bool)
    sides: tuple[Direction, ...] = ("none", "none", "none")
    words = [("", "")] * 3
    seeds = (f"{defn.name}-table-{h}", f"{defn.name}-table-{h}-rel")
    if headline:
        t, bm, above = defn.ticker, defn.benchmark, f"above {defn.threshold:g}"
        base = f"the other sessions with an RSI ({frame['rsi'].first_valid_index().date()} on)"
        sides = (defn.pullback_direction, defn.return_direction, "none")
        words = [
            (
                f"Share of first crosses {above} followed by {_pullback_text(defn, h)}",
                f"the same share from {base}",
            ),
            (
                f"{t} return over the {h} sessions after a first cross {above}",
                f"the {h}-session return from {base}",
            ),
            (
                f"{t} minus {bm} return over the {h} sessions after a first cross",
                f"the same difference from {base}",
            ),
        ]
        seeds = (f"{defn.name}-fwd-{h}", f"{defn.name}-rel-{h}")
    (pull_label, pull_base), *returns = words
    pull = daily_share_finding(
        f"pullback_{h}",
        pull_label,
        frame[f"pullback_{h}"].to_numpy(),
        events,
        pull_base,
        sides[0],
        defn.stats,
        horizon=h,
    )
    means = [
        daily_mean_finding(
            key, label, frame[f"{key}_ret"].to_numpy(), events, h, base, side, defn.stats, seed
        )
        for key, (label, base), side, seed in zip(
            (f"fwd_{h}", f"rel_fwd_{h}"), returns, sides[1:], seeds, strict=True
        )
    ]
    return [pull, *means]


def _findings(frame: pd.DataFrame, data: MarketData, defn: ClaimBase) -> list[Finding]:
    assert isinstance(defn, RsiCross)
    h = defn.headline_horizon
    day, value = _date_rsi(data, defn, defn.ticker)
    valid_rsi = frame["rsi"].dropna()
    share_above = float((valid_rsi > defn.threshold).mean()) if len(valid_rsi) else np.nan
    asked = f" (asked for {defn.date})" if defn.date and day.date() != defn.date else ""
    pull, forward, relative = _after_events(frame, defn, h, headline=True)
    fact = fact_finding(
        "rsi_on_date",
        f"RSI({defn.length}) of {defn.ticker} on "
        f"{day.date() if day is not pd.NaT else 'n/a'}{asked}",
        value=value,
        unit="number",
        claimed=defn.claimed.rsi,
        claimed_text=f"{defn.claimed.rsi:g}" if defn.claimed.rsi is not None else "",
        tolerance=defn.claimed.tolerance,
        base=share_above,
        base_n=len(valid_rsi),
        base_label=f"share of sessions with RSI above {defn.threshold:g}",
        detail=f"{'above' if value > defn.threshold else 'not above'} {defn.threshold:g}",
    )
    return [pull, fact, forward, relative]


def findings(data: MarketData, defn: ClaimBase) -> list[Finding]:
    return KIND.findings(data, defn)


def _horizon_table(frame: pd.DataFrame, defn: RsiCross) -> pd.DataFrame:
    rows = []
    for h in defn.horizons:
        pull, absolute, relative = _after_events(frame, defn, h, headline=False)
        rows.append(
            {
                "horizon_sessions": h,
                "n": absolute.n,
                "excluded_past_data": absolute.excluded,
                **_RETURN_COLUMNS.of(absolute),
                **_RELATIVE_COLUMNS.of(relative),
                **_PULLBACK_COLUMNS.of(pull),
            }
        )
    return pd.DataFrame(rows)


def _date_table(data: MarketData, defn: RsiCross) -> pd.DataFrame:
    rows = []
    for t in dict.fromkeys([defn.ticker, *defn.show_tickers]):
        day, value = _date_rsi(data, defn, t)
        rows.append(
            {
                "ticker": t,
                "price_field": price_field(defn, t),
                "date": day.date() if day is not pd.NaT else None,
                f"rsi_{defn.length}": value,
                f"above_{defn.threshold:g}": bool(value > defn.threshold),
            }
        )
    return pd.DataFrame(rows)


def describe(defn: ClaimBase) -> list[str]:
    assert isinstance(defn, RsiCross)
    hz = ", ".join(str(h) for h in defn.horizons)
    return [
        f"RSI({defn.length}) with Wilder's smoothing on {price_field(defn, defn.ticker)} "
        f"prices of {defn.ticker}, from its first price (the seed is the mean of the first "
        f"{defn.length} changes).",
        f"Event: a first cross, RSI above {defn.threshold:g} on a session after at least "
        f"{defn.min_below} sessions not above it (one event per episode).",
        f"Forward returns from the event's close over {hz} sessions; relative = minus "
        f"{defn.benchmark}'s over the same sessions. Pullback: {_pullback_text(defn)}. "
        "Compared with the other sessions that have an RSI (the events left out).",
        f"RSI on a date: the value at that date's close (the previous session if it is not a "
        f"session); date {defn.date or 'latest'}.",
    ]


def _extras(frame: pd.DataFrame, data: MarketData, defn: ClaimBase) -> Extras:
    assert isinstance(defn, RsiCross)
    keep = ["rsi", "sessions_below_before", "price"] + [
        c for c in frame.columns if c.startswith(("fwd_", "rel_fwd_", "pullback_"))
    ]
    events = frame.loc[frame["event"], keep].copy()
    events.index.name = "date"
    notes = []
    if len(frame):
        notes.append(
            f"RSI is defined from {frame.index[0].date()}: events and the base start there."
        )
    return Extras(
        events=events,
        tables={"rsi_on_date": _date_table(data, defn), "by_horizon": _horizon_table(frame, defn)},
        notes=notes,
        period=(str(frame.index[0].date()), str(frame.index[-1].date()))
        if len(frame)
        else ("", ""),
    )


KIND = Kind(
    model=RsiCross,
    name="rsi_cross",
    tickers=tickers,
    study=_study_frame,
    findings_of=_findings,
    describe=describe,
    extras=_extras,
    data_start=data_start,
)
