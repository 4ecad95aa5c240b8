"""Charts of the claims report: what each claim's events did, next to what is normal.

Yearly claims (one row per year with a signal) get the outcome of every complete year as a
bar, coloured by whether the signal fired. Event claims (a streak, an RSI cross) get the
distribution of the headline forward return after the events against every session's, so the
reader sees how far apart the two really are. A chart is drawn only when the events carry what
it needs; the charts read the events and the prices and compute no statistic of their own
beyond the all-days forward returns (engine.claim_checks.series.forward_return).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker

from engine.claim_checks.result import ClaimResult
from engine.claim_checks.series import forward_return
from engine.report.toolkit import palette
from engine.report.toolkit.charts import new_figure, png
from engine.report.toolkit.format import human_column

__all__ = ["claim_charts", "event_distribution_png", "yearly_outcome_png"]

SIGNAL_COLOR = palette.STRATEGY
OTHER_COLOR = "#b9c2cc"
# Yearly outcome columns, the first present wins: the full year unless the claim's `outcome`
# says "rest_of_year"; a spread before a single series.
_FULL_YEAR = (
    re.compile(r"^spread_full_year_ret$"),
    re.compile(r".*full_year_ret$"),
    re.compile(r".*_year_ret$"),
)
_REST_OF_YEAR = (
    re.compile(r"^spread_rest_of_year_ret$"),
    re.compile(r".*rest_of_year_ret$"),
    re.compile(r".*_rest_ret$"),
)


def _signal_column(events: pd.DataFrame) -> str | None:
    for name in events.columns:
        if str(name).startswith("signal") and pd.api.types.is_bool_dtype(events[name].dtype):
            return str(name)
    return None


def _outcome_column(events: pd.DataFrame, outcome: object = None) -> str | None:
    rest = outcome in ("rest_of_year", "rest_up")
    for pattern in (*_REST_OF_YEAR, *_FULL_YEAR) if rest else (*_FULL_YEAR, *_REST_OF_YEAR):
        for name in events.columns:
            if pattern.match(str(name)) and pd.api.types.is_float_dtype(events[name].dtype):
                return str(name)
    return None


def yearly_outcome_png(result: ClaimResult) -> bytes | None:
    """One bar per complete year: the outcome the claim is about, signal years in colour."""
    events = result.events
    years = events.index if events.index.name == "year" else events.get("year")
    signal = _signal_column(events)
    outcome = _outcome_column(events, result.config.get("outcome"))
    if years is None or signal is None or outcome is None:
        return None
    frame = pd.DataFrame(
        {
            "year": np.asarray(years),
            "signal": events[signal].to_numpy(),
            "value": events[outcome].to_numpy(dtype=float),
        }
    )
    if "complete" in events.columns:
        frame = frame[events["complete"].fillna(False).to_numpy(dtype=bool)]
    frame = frame.dropna(subset=["value"])
    if frame.empty:
        return None
    fig, ax = new_figure((12.0, 4.2))
    colors = [SIGNAL_COLOR if s else OTHER_COLOR for s in frame["signal"]]
    ax.bar(frame["year"].astype(int), frame["value"] * 100.0, color=colors, width=0.8)
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    for flag, color in ((True, SIGNAL_COLOR), (False, OTHER_COLOR)):
        part = frame[frame["signal"] == flag]["value"]
        if len(part):
            kind = "signal" if flag else "other"
            label = f"{kind} years: mean {part.mean() * 100:.1f}%, n {len(part)}"
            ax.axhline(part.mean() * 100.0, color=color, linewidth=1.2, linestyle="--", label=label)
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    ax.set_title(
        f"{result.name}: {human_column(outcome)} in each complete year "
        f"(coloured: {human_column(signal).lower()})",
        fontsize=11,
    )
    ax.grid(True, axis="y", color="#d0d5db", linewidth=0.7)
    ax.legend(loc="upper left", fontsize=9)
    return png(fig)


def _price(result: ClaimResult, ticker: str) -> pd.Series | None:
    """Index levels from `close`, funds from `adj_close`, as the claims' conventions say."""
    data = result.data
    if data is None:
        return None
    field = "close" if ticker.startswith("^") else "adj_close"
    frame = data.fields.get(field)
    if frame is None or ticker not in frame.columns:
        return None
    return frame[ticker].dropna()


def _event_column(result: ClaimResult) -> tuple[str, int, list[str]] | None:
    """(events column, horizon, tickers whose forward returns make the all-days values)."""
    events = result.events
    h = result.config.get("headline_horizon")
    found = {int(m.group(1)) for c in events.columns if (m := re.search(r"fwd_(\d+)_ret$", str(c)))}
    if not found:
        return None
    horizon = int(h) if h in found else min(found)
    diff = f"diff_fwd_{horizon}_ret"
    if diff in events.columns:
        legs = [
            str(c)[: -len(f"_fwd_{horizon}_ret")]
            for c in events.columns
            if str(c).endswith(f"_fwd_{horizon}_ret") and str(c) != diff
        ]
        return (diff, horizon, legs[:2]) if len(legs) == 2 else None
    plain = f"fwd_{horizon}_ret"
    ticker = result.config.get("ticker")
    if plain in events.columns and isinstance(ticker, str):
        return plain, horizon, [ticker]
    return None


def event_distribution_png(result: ClaimResult) -> bytes | None:
    """Histogram of the headline forward return after each event against after every session."""
    found = _event_column(result)
    if found is None:
        return None
    column, horizon, legs = found
    events = result.events
    if "k" in events.columns and "headline_k" in result.config:
        events = events[events["k"] == result.config["headline_k"]]
    values = events[column].to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    prices = [_price(result, t) for t in legs]
    if not values.size or any(p is None for p in prices):
        return None
    forward = [forward_return(p, horizon) for p in prices]  # type: ignore[arg-type]
    every = forward[0] if len(forward) == 1 else (forward[0] - forward[1])
    every = every.dropna().to_numpy(dtype=float)
    # The claim's own base sample (the finding on this column) starts where its indicator has
    # a value: the last `base_n` sessions, so the legend's n and mean are the text's.
    finding = next((f for f in result.findings if f.key == column.removesuffix("_ret")), None)
    if finding is not None and 0 < finding.base_n <= every.size:
        every = every[-finding.base_n :]
    if not every.size:
        return None
    fig, ax = new_figure((12.0, 4.2))
    low, high = np.quantile(np.concatenate([every, values]), [0.005, 0.995])
    bins = np.linspace(low, high, 50)
    ax.hist(
        np.clip(every, low, high) * 100.0,
        bins=bins * 100.0,
        density=True,
        color=OTHER_COLOR,
        label=f"every session: mean {every.mean() * 100:.2f}%, n {every.size:,}",
    )
    ax.hist(
        np.clip(values, low, high) * 100.0,
        bins=bins * 100.0,
        density=True,
        histtype="step",  # an outline over the grey fill of every session: both stay readable
        linewidth=2.0,
        color=SIGNAL_COLOR,
        label=f"after the events: mean {values.mean() * 100:.2f}%, n {values.size:,}",
    )
    ax.axvline(every.mean() * 100.0, color="#555555", linestyle="--", linewidth=1.2)
    ax.axvline(values.mean() * 100.0, color=SIGNAL_COLOR, linestyle="--", linewidth=1.4)
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(xmax=100, decimals=0))
    what = " minus ".join(legs)
    ax.set_title(
        f"{result.name}: {horizon}-session forward return of {what}, after the events "
        "and after every session (share of cases per bin)",
        fontsize=11,
    )
    ax.set_yticks([])
    ax.legend(loc="upper left", fontsize=9)
    return png(fig)


def claim_charts(result: ClaimResult) -> dict[str, bytes]:
    """File name (inside the claim's folder) -> PNG, for the charts this claim supports."""
    out: dict[str, bytes] = {}
    yearly = yearly_outcome_png(result)
    if yearly is not None:
        out["outcomes.png"] = yearly
    else:
        events = event_distribution_png(result)
        if events is not None:
            out["forward_returns.png"] = events
    return out
