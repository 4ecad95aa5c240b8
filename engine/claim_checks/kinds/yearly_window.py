"""The yearly-window study behind `early_window` (one series) and `relative_start` (a spread).

Each calendar year: the return over the opening window (January or the first N sessions) from
the anchor (prior year-end close, or day-1 close), the full-year return (prior year-end close to
the year's last close) and the rest-of-year return (window's last close to the year's last
close). With one series these are the `window_ret`, `full_year_ret` and `rest_of_year_ret`
columns; with two, each series gets `{ticker}_{part}_ret` and the *measure* is their difference,
`spread_{part}_ret`. The kind turns the window measure into a `signal` per year. The full-year
return contains the window itself, so part of any link is mechanical; the rest-of-year return is
the fair test of a forecast. Outcomes count only for years complete for every series.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.claim_checks import years as Y
from engine.claim_checks.definitions import ClaimBase, StatsSettings
from engine.claim_checks.kinds import Extras
from engine.claim_checks.result import Finding
from engine.claim_checks.studies import count_above_zero, share_finding, yearly_mean_finding
from engine.data.model import MarketData
from engine.inference.significance import Direction

__all__ = [
    "ANCHORS",
    "OUTCOMES",
    "OUTCOME_SPANS",
    "PARTS",
    "Wording",
    "counted",
    "extras",
    "incomplete_note",
    "measure",
    "outcome_table",
    "period",
    "signal_findings",
    "signal_split",
    "span",
    "window_table",
]

OUTCOMES = {"full_year": "full-year", "rest_of_year": "rest-of-year"}
OUTCOME_SPANS = (
    "(full year: prior year-end close to the year's last close; rest of year: the window's last "
    "close to the year's last close)"
)
ANCHORS = {"prior_close": "the prior year-end close", "first_close": "day 1's close"}
PARTS = ("window", "full_year", "rest_of_year")


def measure(part: str, tickers: Sequence[str]) -> str:
    """The column a signal or outcome reads: the series' own return, or the spread."""
    return f"{part}_ret" if len(tickers) == 1 else f"spread_{part}_ret"


def window_table(
    data: MarketData,
    series: Sequence[tuple[str, str]],
    start_year: int,
    end_year: int | None,
    window: str | int,
    anchor: str,
) -> pd.DataFrame:
    """One row per year of the window, full-year and rest-of-year returns of `series`
    ((ticker, price field) pairs: one, or two for a spread)."""
    prices = [Y.Prices(data.field(f)[t]) for t, f in series]
    tickers = [t for t, _ in series]
    rows = []
    for ys in Y.year_slices(data.index, start_year, end_year):
        start = Y.anchor_position(ys, anchor)
        end_w = Y.window_end(ys, window)
        complete = all(p.complete(ys) for p in prices)
        row: dict[str, object] = {
            "year": ys.year,
            "anchor_date": ys.date(start),
            "window_end": ys.date(end_w),
        }
        rets: dict[str, list[float]] = {part: [] for part in PARTS}
        for p in prices:
            end = p.at(ys.last) if complete else float("nan")
            rets["window"].append(Y.returned(p.at(start), p.at(end_w)))
            rets["full_year"].append(Y.returned(p.at(ys.prior), end))
            rets["rest_of_year"].append(Y.returned(p.at(end_w), end))
        for part, values in rets.items():
            if len(tickers) == 1:
                row[f"{part}_ret"] = values[0]
                continue
            for t, v in zip(tickers, values, strict=True):
                row[f"{t}_{part}_ret"] = v
            row[f"spread_{part}_ret"] = values[0] - values[1]
        row["complete"] = complete
        row["year_end_date"] = ys.date(ys.last)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("year")
    table["complete"] = table["complete"].astype("boolean")
    return table


def with_signal(table: pd.DataFrame, column: str, threshold: float) -> pd.DataFrame:
    """`signal`: the window measure strictly above `threshold` (unknown when it is NaN)."""
    values = table[column].to_numpy(dtype=float)
    known = np.isfinite(values)
    signal = pd.array(np.where(known, values > threshold, False), dtype="boolean")
    signal[~known] = pd.NA
    return table.assign(signal=signal)


def counted(table: pd.DataFrame, outcome_column: str) -> pd.DataFrame:
    """The years an outcome counts: a known signal and a known outcome."""
    return table[table["signal"].notna() & table[outcome_column].notna()]


def signal_split(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(signal years, other years) of counted years."""
    return frame[frame["signal"].fillna(False)], frame[~frame["signal"].fillna(True)]


@dataclass(frozen=True)
class Wording:
    """How a kind names the findings of `signal_findings`."""

    keys: tuple[str, str, str]  # the share in signal years, in the other years; the means
    measured: str  # what is above 0, e.g. "^GSPC full-year return"
    signal_years: str
    other_years: str
    mean_label: str
    mean_base: str


def signal_findings(
    signal: np.ndarray,
    other: np.ndarray,
    words: Wording,
    direction: Direction,
    settings: StatsSettings,
    seed_key: str,
) -> list[Finding]:
    """From the outcome of the signal years and of the other years: the share above 0 in the
    signal years against the other years (and the other years' share against the signal
    years', untested for a side), then the difference of the two means."""
    share_key, other_key, mean_key = words.keys
    shares = [
        share_finding(
            key,
            f"{words.measured} above 0 in {years}",
            *count_above_zero(ours),
            against,
            side,
            settings,
            others=count_above_zero(theirs),
        )
        for key, years, ours, theirs, against, side in (
            (share_key, words.signal_years, signal, other, words.other_years, direction),
            (other_key, words.other_years, other, signal, words.signal_years, "none"),
        )
    ]
    means = yearly_mean_finding(
        mean_key, words.mean_label, signal, other, words.mean_base, direction, settings, seed_key
    )
    return [*shares, means]


def span(frame: pd.DataFrame) -> str:
    return f"{frame.index.min()}-{frame.index.max()}" if len(frame) else "none"


def outcome_table(table: pd.DataFrame, tickers: Sequence[str]) -> pd.DataFrame:
    """Per outcome and set of years (signal, other, all): years, the share with the measure
    above 0, its mean and median, and each series' mean return when there are two."""
    rows = []
    for outcome in OUTCOMES:
        col = measure(outcome, tickers)
        frame = counted(table, col)
        signal, other = signal_split(frame)
        for label, part in (("signal years", signal), ("other years", other), ("all years", frame)):
            values = part[col]
            row: dict[str, object] = {
                "outcome": outcome,
                "years_set": label,
                "years": len(part),
                "share_above_0": float((values > 0).mean()) if len(part) else np.nan,
                "mean_ret": float(values.mean()) if len(part) else np.nan,
                "median_ret": float(values.median()) if len(part) else np.nan,
            }
            if len(tickers) > 1:
                for t in tickers:
                    row[f"mean_{t}_ret"] = float(part[f"{t}_{outcome}_ret"].mean())
            rows.append(row)
    return pd.DataFrame(rows)


def incomplete_note(table: pd.DataFrame) -> list[str]:
    incomplete = table.index[~table["complete"].fillna(False)]
    if not len(incomplete):
        return []
    return [
        f"Incomplete year(s) left out of the outcomes: {', '.join(map(str, incomplete))} (the "
        "year's last session is not in the data)."
    ]


def period(
    table: pd.DataFrame, data: MarketData, series: Sequence[tuple[str, str]]
) -> tuple[str, str]:
    prices = [Y.Prices(data.field(f)[t]) for t, f in series]
    return Y.table_period(table, prices, data.index)


def extras(
    table: pd.DataFrame,
    data: MarketData,
    defn: ClaimBase,
    *,
    series_of: Callable[[ClaimBase], list[tuple[str, str]]],
    full_year_note: str,
) -> Extras:
    """What a yearly-window kind shows beside its findings: every year, the outcome table of
    its (ticker, price field) series, the incomplete years and, for a full-year outcome,
    `full_year_note` (why the full year contains the window)."""
    series = series_of(defn)
    notes = incomplete_note(table)
    if defn.outcome == "full_year":  # type: ignore[attr-defined]
        notes.append(full_year_note)
    return Extras(
        events=table,
        tables={"outcomes": outcome_table(table, [t for t, _ in series])},
        notes=notes,
        period=period(table, data, series),
    )
