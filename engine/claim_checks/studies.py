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
from typing import Any, NamedTuple

import numpy as np

from engine.claim_checks.definitions import StatsSettings
from engine.claim_checks.result import Finding, Test, Unit
from engine.inference import proportions
from engine.inference import significance as stats
from engine.inference.significance import Direction


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _sided(direction: Direction) -> str:
    return "one-sided" if direction in ("above_base", "below_base") else "two-sided"


class _Compared(NamedTuple):
    """What a finding is compared with (`base` over `base_n` cases, `base_hits` of them for a
    two-sample share) and how it was tested: the interval and the p-value, each with its method
    in words, and how overlapping windows were handled. The `Finding` fields of the same names;
    a fact has no test."""

    base: float
    base_n: int
    base_hits: int | None = None
    interval: tuple[float, float] = (math.nan, math.nan)
    interval_method: str = ""
    p_value: float = math.nan
    p_method: str = ""
    dependence: str = ""


def _finding(
    key: str,
    label: str,
    test: Test,
    unit: Unit,
    direction: Direction,
    n: int,
    value: float,
    base_label: str,
    compared: _Compared,
    **context: Any,
) -> Finding:
    """The one construction of a `Finding`; `context`: its other fields (hits, quotes, detail)."""
    return Finding(
        key=key,
        label=label,
        test=test,
        unit=unit,
        direction=direction,
        n=int(n),
        value=value,
        base_label=base_label,
        **compared._asdict(),
        **context,
    )


def count_above_zero(values: np.ndarray) -> tuple[int, int]:
    """(how many of `values` are above 0, how many values): a yearly outcome as a share."""
    values = np.asarray(values, dtype=float)
    return int((values > 0).sum()), len(values)


def _two_shares(
    hits: int, n: int, others: tuple[int, int], direction: Direction, confidence: float
) -> _Compared:
    """hits / n against j / m, the complementary cases."""
    j, m = int(others[0]), int(others[1])
    sided = _sided(direction)
    return _Compared(
        j / m if m else math.nan,
        m,
        j,
        proportions.difference_interval(hits, n, j, m, direction, confidence),
        f"Newcombe hybrid score interval of the difference, {sided}",
        proportions.fisher_p(hits, n, j, m, direction),
        f"Fisher's exact test, {sided}",
    )


def _share_against(
    hits: int,
    n: int,
    base: float,
    base_n: int,
    claimed: float | None,
    direction: Direction,
    confidence: float,
) -> _Compared:
    """hits / n against a fixed rate: the base, or the quoted share when the claim is that the
    share equals it."""
    reference = claimed if direction == "equals" and claimed is not None else base
    p_direction: Direction = "none" if direction == "equals" else direction
    against = "the quoted share" if direction == "equals" else "the base rate"
    sided = "two-sided" if p_direction == "none" else "one-sided"
    return _Compared(
        base,
        int(base_n),
        None,
        stats.binomial_interval(hits, n, confidence),
        "exact binomial (Clopper-Pearson)",
        stats.binomial_p(hits, n, reference, p_direction),
        f"binomial test against {against}, {sided}",
    )


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
    value = hits / n if n else math.nan
    return _finding(
        key, label, "proportion", "share", direction, n, value, base_label, compared,
        hits=int(hits), claimed=claimed, claimed_text=claimed_text, detail=detail,
        excluded=int(excluded),
    )  # fmt: skip


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
) -> Finding:
    """mean(events) vs mean(others): iid bootstrap interval of the difference, permutation p."""
    events = np.asarray(events, dtype=float)
    others = np.asarray(others, dtype=float)
    rng = stats.generator(settings.seed, seed_key, "bootstrap")
    p_rng = stats.generator(settings.seed, seed_key, "permutation")
    sided = "two-sided" if direction == "none" else "one-sided"
    compared = _Compared(
        _mean(others),
        len(others),
        None,
        stats.mean_difference_interval(
            events, others, rng, settings.n_resamples, settings.confidence, direction
        ),
        f"bootstrap percentile interval of the difference, {sided} "
        f"({settings.n_resamples} resamples)",
        stats.permutation_p(events, others, direction, p_rng, settings.n_resamples),
        f"permutation test of the difference of means, {sided}",
    )
    return _finding(
        key, label, "mean_difference", "return", direction, len(events), _mean(events),
        base_label, compared, detail=detail,
    )  # fmt: skip


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
) -> Finding:
    """Mean of `values` on event sessions vs on the other sessions, for overlapping windows:
    a circular block bootstrap interval of the difference and a circular-shift p-value."""
    values = np.asarray(values, dtype=float)
    events = np.asarray(events, dtype=bool)
    valid = np.isfinite(values)
    hit, rest = values[events & valid], values[valid & ~events]
    block = settings.block_length or stats.default_block_length(len(values), horizon, values)
    rng = stats.generator(settings.seed, seed_key, "block-bootstrap")
    sided = _sided(direction)
    compared = _Compared(
        _mean(rest),
        len(rest),
        None,
        stats.block_bootstrap_interval(
            values, events, block, rng, settings.n_resamples, settings.confidence, direction
        ),
        f"circular block bootstrap of the difference, {sided} (blocks of {block} sessions, "
        f"{settings.n_resamples} resamples)",
        stats.circular_shift_p(values, events, direction),
        f"circular-shift permutation test (every shift of the event dates), {sided}",
        f"overlapping {horizon}-session windows: resampled in blocks of {block} sessions, and "
        "tested by shifting the event dates as a whole (their spacing kept)",
    )
    return _finding(
        key, label, "mean_difference", "return", direction, len(hit), _mean(hit), base_label,
        compared, excluded=int((events & ~valid).sum()),
    )  # fmt: skip


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
    unit: Unit,
    claimed: float | None,
    claimed_text: str,
    direction: Direction = "equals",
    tolerance: float = 0.0,
    n: int = 1,
    base: float = math.nan,
    base_n: int = 0,
    base_label: str = "",
    base_unit: Unit = "share",
    detail: str = "",
) -> Finding:
    """A value read off the data, compared with the press's figure."""
    quoted = claimed is not None
    return _finding(
        key,
        label,
        "fact",
        unit,
        direction,
        n,
        float(value),
        base_label,
        _Compared(base, int(base_n)),
        base_unit=base_unit,
        claimed=claimed,
        claimed_text=claimed_text,
        tolerance=tolerance,
        quoted=(float(claimed),) if quoted else (),
        observed=(float(value),) if quoted else (),
        quote_tolerance=tolerance,
        detail=detail,
    )
