"""Findings from event samples: the four shapes every kind of claim reduces to.

A conditional claim ("after X, Y") compares the cases after the signal with the complementary
cases, never with a rate that contains them. Yearly samples (one value per year, no overlap):
shares by Fisher's exact test with Newcombe's interval of the difference, means by a
permutation test with a bootstrap interval. Daily event samples (forward returns after a streak
or an RSI cross) compare the event sessions with the other sessions, shares and means alike,
by a circular-shift p-value and a circular block bootstrap interval, because forward windows of
neighbouring sessions (and of events close together) overlap. A share against an external
value (a quoted "about 54%") keeps the one-sample exact binomial test. All statistics come from
`engine.inference`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np

from engine.claim_checks.definitions import StatsSettings
from engine.claim_checks.result import Finding
from engine.inference import proportions
from engine.inference import significance as stats
from engine.inference.significance import Direction


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sided(direction: Direction) -> str:
    return "one-sided" if direction in ("above_base", "below_base") else "two-sided"


class _Tested(NamedTuple):
    """How a finding was tested: the interval and the p-value, each with its method in words,
    and how dependent observations were handled (the `Finding` fields of the same names)."""

    interval: tuple[float, float]
    interval_method: str
    p_value: float
    p_method: str
    dependence: str = ""


def _two_shares(
    hits: int, n: int, others: tuple[int, int], direction: Direction, confidence: float
) -> tuple[float, int, int | None, _Tested]:
    """(base, base_n, base_hits, test) of hits / n against j / m, the complementary cases."""
    j, m = int(others[0]), int(others[1])
    sided = _sided(direction)
    tested = _Tested(
        proportions.difference_interval(hits, n, j, m, direction, confidence),
        f"Newcombe hybrid score interval of the difference, {sided}",
        proportions.fisher_p(hits, n, j, m, direction),
        f"Fisher's exact test, {sided}",
    )
    return (j / m if m else math.nan), m, j, tested


def _share_against(
    hits: int,
    n: int,
    base: float,
    base_n: int,
    claimed: float | None,
    direction: Direction,
    confidence: float,
) -> tuple[float, int, int | None, _Tested]:
    """(base, base_n, base_hits, test) of hits / n against a fixed rate: the base, or the
    quoted share when the claim is that the share equals it."""
    reference = claimed if direction == "equals" and claimed is not None else base
    p_direction: Direction = "none" if direction == "equals" else direction
    against = "the quoted share" if direction == "equals" else "the base rate"
    sided = "two-sided" if p_direction == "none" else "one-sided"
    tested = _Tested(
        stats.binomial_interval(hits, n, confidence),
        "exact binomial (Clopper-Pearson)",
        stats.binomial_p(hits, n, reference, p_direction),
        f"binomial test against {against}, {sided}",
    )
    return base, int(base_n), None, tested


def share_finding(
    key: str,
    label: str,
    hits: int,
    n: int,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    *,
    others: tuple[int, int] | None = None,
    base: float = math.nan,
    base_n: int = 0,
    claimed: float | None = None,
    claimed_text: str = "",
    detail: str = "",
    excluded: int = 0,
) -> Finding:
    """hits / n after the signal. With `others` = (j, m), the complementary cases, a two-sample
    comparison (Fisher's exact test, Newcombe interval of the difference; the base is j / m);
    without, the exact binomial interval of the share, tested against `base` (over `base_n`
    cases) or the quoted share (a one-sample test only where the comparison value is
    external)."""
    if others is not None and direction != "equals":
        compared = _two_shares(hits, n, others, direction, settings.confidence)
    else:
        compared = _share_against(hits, n, base, base_n, claimed, direction, settings.confidence)
    base_value, base_count, base_hits, tested = compared
    return Finding(
        key=key,
        label=label,
        test="proportion",
        direction=direction,
        unit="share",
        n=int(n),
        hits=int(hits),
        value=hits / n if n else math.nan,
        base=base_value,
        base_n=base_count,
        base_hits=base_hits,
        base_label=base_label,
        claimed=claimed,
        claimed_text=claimed_text,
        detail=detail,
        excluded=int(excluded),
        **tested._asdict(),
    )


def yearly_share_finding(
    key: str,
    label: str,
    events: np.ndarray,
    others: np.ndarray,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
) -> Finding:
    """The share of `events` above 0 against the share of `others` above 0 (one value a year,
    no overlap): the two-sample `share_finding`."""
    events = np.asarray(events, dtype=float)
    others = np.asarray(others, dtype=float)
    return share_finding(
        key,
        label,
        int((events > 0).sum()),
        len(events),
        base_label,
        direction,
        settings,
        others=(int((others > 0).sum()), len(others)),
    )


def _means_finding(
    key: str,
    label: str,
    events: np.ndarray,
    others: np.ndarray,
    base_label: str,
    direction: Direction,
    tested: _Tested,
    detail: str,
    excluded: int,
) -> Finding:
    """mean(events) against mean(others), tested as `tested` says."""
    return Finding(
        key=key,
        label=label,
        test="mean_difference",
        direction=direction,
        unit="return",
        n=len(events),
        value=_mean(events),
        base=_mean(others),
        base_n=len(others),
        base_label=base_label,
        detail=detail,
        excluded=int(excluded),
        **tested._asdict(),
    )


def yearly_mean_finding(
    key: str,
    label: str,
    events: np.ndarray,
    others: np.ndarray,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    seed_key: str,
    detail: str = "",
    excluded: int = 0,
) -> Finding:
    """mean(events) vs mean(others): iid bootstrap interval of the difference, permutation p."""
    events = np.asarray(events, dtype=float)
    others = np.asarray(others, dtype=float)
    rng = stats.generator(settings.seed, seed_key, "bootstrap")
    interval = stats.mean_difference_interval(
        events, others, rng, settings.n_resamples, settings.confidence, direction
    )
    p_rng = stats.generator(settings.seed, seed_key, "permutation")
    sided = "two-sided" if direction == "none" else "one-sided"
    tested = _Tested(
        interval,
        f"bootstrap percentile interval of the difference, {sided} "
        f"({settings.n_resamples} resamples)",
        stats.permutation_p(events, others, direction, p_rng, settings.n_resamples),
        f"permutation test of the difference of means, {sided}",
    )
    return _means_finding(
        key, label, events, others, base_label, direction, tested, detail, excluded
    )


def _daily_difference(
    values: np.ndarray,
    events: np.ndarray,
    horizon: int,
    direction: Direction,
    settings: StatsSettings,
    seed_key: str,
) -> _Tested:
    """The test of the event sessions' mean minus the other sessions' mean of a daily series
    whose forward windows overlap."""
    block = settings.block_length or stats.default_block_length(len(values), horizon, values)
    rng = stats.generator(settings.seed, seed_key, "block-bootstrap")
    interval = stats.block_bootstrap_interval(
        values, events, block, rng, settings.n_resamples, settings.confidence, direction
    )
    sided = _sided(direction)
    return _Tested(
        interval,
        f"circular block bootstrap of the difference, {sided} (blocks of {block} sessions, "
        f"{settings.n_resamples} resamples)",
        stats.circular_shift_p(values, events, direction),
        f"circular-shift permutation test (every shift of the event dates), {sided}",
        f"overlapping {horizon}-session windows: resampled in blocks of {block} sessions, and "
        "tested by shifting the event dates as a whole (their spacing kept)",
    )


def daily_mean_finding(
    key: str,
    label: str,
    values: np.ndarray,
    events: np.ndarray,
    horizon: int,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    seed_key: str,
    detail: str = "",
) -> Finding:
    """Mean of `values` on event sessions vs on the other sessions, for overlapping windows."""
    values = np.asarray(values, dtype=float)
    events = np.asarray(events, dtype=bool)
    valid = np.isfinite(values)
    hit = events & valid
    tested = _daily_difference(values, events, horizon, direction, settings, seed_key)
    return _means_finding(
        key,
        label,
        values[hit],
        values[valid & ~hit],
        base_label,
        direction,
        tested,
        detail,
        excluded=int((events & ~valid).sum()),
    )


def non_overlapping(
    valid: np.ndarray, events: np.ndarray, horizon: int
) -> tuple[np.ndarray, np.ndarray]:
    """(event sessions, other sessions) whose forward windows of `horizon` sessions overlap
    neither each other nor any event's: events at least `horizon` sessions after the last kept
    one, other sessions every `horizon`-th one at least `horizon` sessions from every event.
    The two subsamples are then independent enough for an exact test of two shares."""
    step = max(int(horizon), 1)
    n = len(valid)
    positions = np.flatnonzero(events & valid)
    kept, last = [], -step
    for p in positions:
        if p - last >= step:
            kept.append(p)
            last = p
    near = np.zeros(n, dtype=bool)
    for p in np.flatnonzero(events):
        near[max(p - step + 1, 0) : p + step] = True
    rest = np.flatnonzero(valid & ~near)
    thinned, last = [], -step
    for p in rest:
        if p - last >= step:
            thinned.append(p)
            last = p
    return np.asarray(kept, dtype=int), np.asarray(thinned, dtype=int)


def daily_share_finding(
    key: str,
    label: str,
    flags: np.ndarray,
    events: np.ndarray,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    detail: str = "",
    horizon: int = 1,
) -> Finding:
    """Share of event sessions where `flags` is 1 vs the share over the other sessions (NaN =
    no answer, e.g. the forward window runs past the data), on non-overlapping subsamples
    (`non_overlapping`) compared by Fisher's exact test with Newcombe's interval."""
    flags = np.asarray(flags, dtype=float)
    events = np.asarray(events, dtype=bool)
    valid = np.isfinite(flags)
    kept, others = non_overlapping(valid, events, horizon)
    dropped = int((events & valid).sum()) - len(kept)
    found = share_finding(
        key,
        label,
        int(flags[kept].sum()),
        len(kept),
        base_label,
        direction,
        settings,
        others=(int(flags[others].sum()), len(others)),
        detail=detail,
        excluded=int((events & ~valid).sum()),
    )
    note = (
        f"non-overlapping {horizon}-session windows: events at least {horizon} sessions apart "
        f"({dropped} dropped for overlapping an earlier one), other sessions every "
        f"{horizon}th one clear of every event's window"
    )
    return replace(found, dependence=note)


def fact_finding(
    key: str,
    label: str,
    value: float,
    unit: str,
    claimed: float | None,
    claimed_text: str,
    direction: Direction = "equals",
    tolerance: float = 0.0,
    n: int = 1,
    base: float = math.nan,
    base_n: int = 0,
    base_label: str = "",
    base_unit: str = "share",
    detail: str = "",
) -> Finding:
    """A value read off the data, compared with the press's figure."""
    return Finding(
        key=key,
        label=label,
        test="fact",
        direction=direction,
        unit=unit,  # type: ignore[arg-type]
        n=int(n),
        value=float(value),
        base=base,
        base_n=int(base_n),
        base_label=base_label,
        base_unit=base_unit,  # type: ignore[arg-type]
        claimed=claimed,
        claimed_text=claimed_text,
        tolerance=tolerance,
        quoted=(float(claimed),) if claimed is not None else (),
        observed=(float(value),) if claimed is not None else (),
        quote_tolerance=tolerance,
        detail=detail,
    )
