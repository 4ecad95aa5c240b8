"""Findings from event samples: the four shapes every kind of claim reduces to.

Yearly samples (one value per year, no overlap) use the exact binomial interval for shares and
an iid bootstrap plus a permutation test for differences of means. Daily event samples (forward
returns after a streak or an RSI cross) compare the events with all sessions: shares with the
exact binomial interval, means with a circular block bootstrap and a circular-shift p-value,
because forward windows of neighbouring sessions overlap.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from engine.claims import stats
from engine.claims.definitions import StatsSettings
from engine.claims.result import Finding
from engine.claims.stats import Direction


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
) -> Finding:
    """hits / n with its exact interval, tested against `base` (or the quoted share)."""
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
        events, others, rng, settings.n_resamples, settings.confidence
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
        interval_method=f"bootstrap percentile interval of the difference "
        f"({settings.n_resamples} resamples)",
        p_value=p,
        p_method=f"permutation test of the difference of means, {sided}",
        detail=detail,
        excluded=int(excluded),
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
    """Mean of `values` on event sessions vs on all sessions, for overlapping windows."""
    values = np.asarray(values, dtype=float)
    events = np.asarray(events, dtype=bool)
    valid = np.isfinite(values)
    hit = events & valid
    block = settings.block_length or stats.default_block_length(len(values), horizon)
    rng = stats.generator(settings.seed, seed_key, "block-bootstrap")
    interval = stats.block_bootstrap_interval(
        values, events, block, rng, settings.n_resamples, settings.confidence
    )
    sided = "two-sided" if direction == "none" else "one-sided"
    return Finding(
        key=key,
        label=label,
        test="mean_difference",
        direction=direction,
        unit="return",
        n=int(hit.sum()),
        value=_mean(values[hit]),
        base=_mean(values[valid]),
        base_n=int(valid.sum()),
        base_label=base_label,
        interval=interval,
        interval_method=f"circular block bootstrap of the difference (blocks of {block} "
        f"sessions, {settings.n_resamples} resamples)",
        p_value=stats.circular_shift_p(values, events, direction),
        p_method=f"circular-shift permutation test (every shift of the event dates), {sided}",
        detail=detail,
        excluded=int((events & ~valid).sum()),
    )


def daily_share_finding(
    key: str,
    label: str,
    flags: np.ndarray,
    events: np.ndarray,
    base_label: str,
    direction: Direction,
    settings: StatsSettings,
    detail: str = "",
) -> Finding:
    """Share of event sessions where `flags` is 1, vs the share over all sessions (NaN = no
    answer, e.g. the forward window runs past the data)."""
    flags = np.asarray(flags, dtype=float)
    events = np.asarray(events, dtype=bool)
    valid = np.isfinite(flags)
    hit = events & valid
    base = float(np.mean(flags[valid])) if valid.any() else math.nan
    return share_finding(
        key,
        label,
        hits=int(flags[hit].sum()),
        n=int(hit.sum()),
        base=base,
        base_n=int(valid.sum()),
        base_label=base_label,
        direction=direction,
        settings=settings,
        detail=detail,
        excluded=int((events & ~valid).sum()),
    )


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
    itself is tested against the finding's base rate (exact binomial, one-sided)."""
    direction: Direction = (
        f.direction if f.direction in ("above_base", "below_base") else "above_base"
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
