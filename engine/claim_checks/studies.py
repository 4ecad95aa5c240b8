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

import numpy as np

from engine.claim_checks.definitions import StatsSettings
from engine.claim_checks.result import Finding
from engine.inference import proportions
from engine.inference import significance as stats
from engine.inference.significance import Direction


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def share_finding(
    key: str,
    label: str,
    hits: int,
    n: int,
    base: float,
    base_n: int,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    claimed: float | None = None,
    claimed_text: str = "",
    detail: str = "",
    excluded: int = 0,
    others: tuple[int, int] | None = None,
) -> Finding:
    """hits / n after the signal. With `others` = (j, m), the complementary cases, a two-sample
    comparison (Fisher's exact test, Newcombe interval of the difference; `base` becomes j / m);
    without, the exact binomial interval of the share, tested against `base` or the quoted
    share (a one-sample test only where the comparison value is external)."""
    if others is not None and direction != "equals":
        j, m = int(others[0]), int(others[1])
        sided = "one-sided" if direction in ("above_base", "below_base") else "two-sided"
        return Finding(
            key=key,
            label=label,
            test="proportion",
            direction=direction,
            unit="share",
            n=int(n),
            hits=int(hits),
            value=hits / n if n else math.nan,
            base=j / m if m else math.nan,
            base_n=m,
            base_hits=j,
            base_label=base_label,
            interval=proportions.difference_interval(hits, n, j, m, direction, settings.confidence),
            interval_method=f"Newcombe hybrid score interval of the difference, {sided}",
            p_value=proportions.fisher_p(hits, n, j, m, direction),
            p_method=f"Fisher's exact test, {sided}",
            claimed=claimed,
            claimed_text=claimed_text,
            detail=detail,
            excluded=int(excluded),
        )
    reference = claimed if direction == "equals" and claimed is not None else base
    p_direction: Direction = "none" if direction == "equals" else direction
    p = stats.binomial_p(hits, n, reference, p_direction)
    against = "the quoted share" if direction == "equals" else "the base rate"
    sided = "two-sided" if p_direction == "none" else "one-sided"
    return Finding(
        key=key,
        label=label,
        test="proportion",
        direction=direction,
        unit="share",
        n=int(n),
        hits=int(hits),
        value=hits / n if n else math.nan,
        base=base,
        base_n=int(base_n),
        base_label=base_label,
        interval=stats.binomial_interval(hits, n, settings.confidence),
        interval_method="exact binomial (Clopper-Pearson)",
        p_value=p,
        p_method=f"binomial test against {against}, {sided}",
        claimed=claimed,
        claimed_text=claimed_text,
        detail=detail,
        excluded=int(excluded),
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
    p = stats.permutation_p(events, others, direction, p_rng, settings.n_resamples)
    sided = "two-sided" if direction == "none" else "one-sided"
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
        interval=interval,
        interval_method=f"bootstrap percentile interval of the difference, {sided} "
        f"({settings.n_resamples} resamples)",
        p_value=p,
        p_method=f"permutation test of the difference of means, {sided}",
        detail=detail,
        excluded=int(excluded),
    )


def _daily_difference(
    values: np.ndarray,
    events: np.ndarray,
    horizon: int,
    direction: Direction,
    settings: StatsSettings,
    seed_key: str,
) -> tuple[tuple[float, float], str, float, str, str]:
    """(interval, its method, p, its method, the dependence note) of the event sessions' mean
    minus the other sessions' mean of a daily series whose forward windows overlap."""
    block = settings.block_length or stats.default_block_length(len(values), horizon, values)
    rng = stats.generator(settings.seed, seed_key, "block-bootstrap")
    interval = stats.block_bootstrap_interval(
        values, events, block, rng, settings.n_resamples, settings.confidence, direction
    )
    sided = "two-sided" if direction not in ("above_base", "below_base") else "one-sided"
    dependence = (
        f"overlapping {horizon}-session windows: resampled in blocks of {block} sessions, and "
        "tested by shifting the event dates as a whole (their spacing kept)"
    )
    return (
        interval,
        f"circular block bootstrap of the difference, {sided} (blocks of {block} sessions, "
        f"{settings.n_resamples} resamples)",
        stats.circular_shift_p(values, events, direction),
        f"circular-shift permutation test (every shift of the event dates), {sided}",
        dependence,
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
    rest = valid & ~hit
    interval, i_method, p, p_method, dependence = _daily_difference(
        values, events, horizon, direction, settings, seed_key
    )
    return Finding(
        key=key,
        label=label,
        test="mean_difference",
        direction=direction,
        unit="return",
        n=int(hit.sum()),
        value=_mean(values[hit]),
        base=_mean(values[rest]),
        base_n=int(rest.sum()),
        base_label=base_label,
        interval=interval,
        interval_method=i_method,
        p_value=p,
        p_method=p_method,
        dependence=dependence,
        detail=detail,
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
        hits=int(flags[kept].sum()),
        n=len(kept),
        base=float(flags[valid].mean()) if valid.any() else math.nan,
        base_n=len(others),
        base_label=base_label,
        direction=direction,
        settings=settings,
        detail=detail,
        excluded=int((events & ~valid).sum()),
        others=(int(flags[others].sum()), len(others)),
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


def quoted_count_test(f: Finding, hits: int, n: int, text: str) -> Finding:
    """A share quoted as "k of n": reproduced when the data give exactly k of n; the quote
    itself is tested as the finding is: against the complementary count (Fisher's exact,
    one-sided) for a two-sample finding, else against the base rate (exact binomial)."""
    direction: Direction = (
        f.direction if f.direction in ("above_base", "below_base") else "above_base"
    )
    if f.base_hits is not None:
        return replace(
            f,
            claimed=hits / n,
            claimed_text=text,
            quoted=(float(hits), float(n)),
            observed=(float(f.hits or 0), float(f.n)),
            quote_tolerance=0.0,
            quote_p=proportions.fisher_p(hits, n, f.base_hits, f.base_n, direction),
            quote_p_method=f"Fisher's exact test of {hits} of {n} against {f.base_hits} of "
            f"{f.base_n} otherwise, one-sided",
        )
    return replace(
        f,
        claimed=hits / n,
        claimed_text=text,
        quoted=(float(hits), float(n)),
        observed=(float(f.hits or 0), float(f.n)),
        quote_tolerance=0.0,
        quote_p=stats.binomial_p(hits, n, f.base, direction),
        quote_p_method=f"exact binomial test of {hits} of {n} against the base rate, one-sided",
    )


def quoted_share(f: Finding, share: float, tolerance: float) -> Finding:
    """A share quoted as "about x%": reproduced when the data's share is within `tolerance`."""
    return replace(f, quoted=(share,), observed=(f.value,), quote_tolerance=tolerance)


def quoted_mean_test(
    f: Finding,
    quoted: tuple[float, float],
    observed: tuple[float, float],
    text: str,
    events: np.ndarray,
    others: np.ndarray,
    settings: StatsSettings,
    seed_key: str,
    tolerance: float = 0.005,
) -> Finding:
    """Two means quoted for the signal years (leader's and laggard's, e.g. "18% vs 12%"):
    reproduced when both are within `tolerance` (a whole-percent quote: half a point). The
    quote is tested by the same permutation test as the finding, with the signal years'
    values shifted so that their mean is the quoted spread."""
    events = np.asarray(events, dtype=float)
    direction: Direction = (
        f.direction if f.direction in ("above_base", "below_base") else "above_base"
    )
    shift = (quoted[0] - quoted[1]) - (float(np.mean(events)) if len(events) else 0.0)
    rng = stats.generator(settings.seed, seed_key, "quoted-permutation")
    p = stats.permutation_p(
        events + shift, np.asarray(others, float), direction, rng, settings.n_resamples
    )
    return replace(
        f,
        claimed_text=text,
        quoted=quoted,
        observed=observed,
        quote_tolerance=tolerance,
        quote_p=p,
        quote_p_method=f"permutation test of the difference of means, one-sided, the "
        f"{len(events)} signal years' spreads shifted to the quoted mean "
        f"({(quoted[0] - quoted[1]) * 100:+.1f} points)",
    )
