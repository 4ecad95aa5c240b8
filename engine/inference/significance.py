"""Tests and intervals of one sample against an external value, and of two samples.

A share against an external value (a quoted "about 54%") gets the exact (Clopper-Pearson)
binomial interval and binomial test (scipy.stats.binomtest). Differences of means between two
independent samples (signal years vs the other years) get a percentile bootstrap interval and a
permutation p-value (scipy.stats.bootstrap and permutation_test). Events on a daily series
whose forward windows overlap (63-session returns after an RSI cross vs the other sessions) get
a circular block bootstrap interval and a circular-shift (rotation) p-value, which keep the
series' autocorrelation and the events' spacing. Two shares: `engine.inference.proportions`.

Sidedness: a claimed direction gets a one-sided test and the matching one-sided interval (the
1 - 2 alpha two-sided interval's bound on the claimed side, the other side unbounded), so the
interval excludes the null exactly when a test of the same statistic rejects at alpha; a claim
with no direction gets two-sided ones. Every random draw comes from a seeded
`numpy.random.Generator`, so a run is reproducible.
"""

from __future__ import annotations

import math
import warnings
import zlib
from typing import Literal

import numpy as np
from arch.bootstrap import optimal_block_length
from scipy import stats

from engine.inference.resampling import percentile_interval, resampled_totals

# above_base / below_base: the events differ from the base in that direction; equals: a share
# or value equals the quoted one; at_most / at_least: a fact is at most / at least the quoted
# value (e.g. "the longest since 2008"); none: nothing is claimed, the result is descriptive.
Direction = Literal["above_base", "below_base", "equals", "at_most", "at_least", "none"]
NAN_PAIR = (math.nan, math.nan)


def generator(seed: int, *keys: str) -> np.random.Generator:
    """A generator seeded by `seed` and stable labels, so each statistic draws its own stream
    whatever the order the statistics are computed in."""
    return np.random.default_rng([seed, *(zlib.crc32(k.encode()) for k in keys)])


def alternative(direction: Direction) -> Literal["greater", "less", "two-sided"]:
    """The one-sided alternative a claimed direction implies (two-sided otherwise)."""
    if direction == "above_base":
        return "greater"
    if direction == "below_base":
        return "less"
    return "two-sided"


def interval_level(direction: Direction, confidence: float) -> float:
    """The two-sided level whose bound on the claimed side is the one-sided `confidence` bound
    (0.90 for a one-sided 95% bound); `confidence` itself when no side is claimed."""
    return 2.0 * confidence - 1.0 if direction in ("above_base", "below_base") else confidence


def one_sided(
    interval: tuple[float, float], direction: Direction, limits: tuple[float, float]
) -> tuple[float, float]:
    """Keep the bound on the claimed side; the other becomes the statistic's limit."""
    low, high = interval
    if direction == "above_base":
        return low, limits[1]
    if direction == "below_base":
        return limits[0], high
    return low, high


# --------------------------------------------------------------------------- counts


def binomial_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval of a proportion; NaN when there is no case."""
    if n <= 0:
        return NAN_PAIR
    ci = stats.binomtest(int(hits), int(n)).proportion_ci(
        confidence_level=confidence, method="exact"
    )
    return float(ci.low), float(ci.high)


def binomial_p(hits: int, n: int, base_rate: float, direction: Direction) -> float:
    """Binomial test of hits/n against a base rate, one-sided in the claimed direction."""
    if n <= 0 or not 0.0 <= base_rate <= 1.0 or math.isnan(base_rate):
        return math.nan
    return float(stats.binomtest(int(hits), int(n), base_rate, alternative(direction)).pvalue)


# --------------------------------------------------------------------------- two samples


def _mean_diff(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis) - np.mean(y, axis=axis)


def mean_difference_interval(
    x: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    direction: Direction = "none",
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(x) - mean(y), each sample resampled on its own;
    one-sided (the other side infinite) for a claimed direction.

    NaN when either sample has fewer than two values (nothing to resample).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or len(y) < 2:
        return NAN_PAIR
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate samples (all equal) only warn
        res = stats.bootstrap(
            (x, y),
            _mean_diff,
            n_resamples=n_resamples,
            vectorized=True,
            confidence_level=interval_level(direction, confidence),
            method="percentile",
            rng=rng,
        )
    both = float(res.confidence_interval.low), float(res.confidence_interval.high)
    return one_sided(both, direction, (-math.inf, math.inf))


def permutation_p(
    x: np.ndarray,
    y: np.ndarray,
    direction: Direction,
    rng: np.random.Generator,
    n_resamples: int = 2000,
) -> float:
    """Permutation p-value of mean(x) - mean(y) (labels shuffled; exact when few partitions);
    NaN when either sample has fewer than two values."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or len(y) < 2:  # scipy needs two values in each sample
        return math.nan
    res = stats.permutation_test(
        (x, y),
        _mean_diff,
        permutation_type="independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative=alternative(direction),
        rng=rng,
    )
    return float(res.pvalue)


def bootstrap_p_two_sided(replicates: np.ndarray, observed: float) -> float:
    """Bootstrap p-value of "the true value is 0": replicates re-centred on 0 (the null), the
    share at least as far from 0 as the observed value; (1 + k) / (1 + B) never reports 0."""
    reps = replicates[np.isfinite(replicates)]
    if len(reps) == 0 or not math.isfinite(observed):
        return math.nan
    far = np.abs(reps - observed) >= abs(observed) - 1e-15
    return float((1 + far.sum()) / (1 + len(reps)))


# --------------------------------------------------------------------------- daily series


def default_block_length(n: int, horizon: int, values: np.ndarray | None = None) -> int:
    """Blocks as long as the forward window (so overlapping windows stay together) and at
    least n^(1/3) sessions, the usual rule of thumb for a block bootstrap of a mean; with the
    series given, at least Politis & White's optimal circular block length of it too
    (arch.bootstrap.optimal_block_length, Patton-Politis-White correction)."""
    length = max(int(horizon), round(n ** (1.0 / 3.0)), 1)
    if values is not None:
        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite)]
        if len(finite) > 10 and np.std(finite) > 0:
            optimal = float(optimal_block_length(finite)["circular"].iloc[0])
            if math.isfinite(optimal):
                length = max(length, math.ceil(optimal))
    return int(min(length, max(n, 1)))


def block_bootstrap_interval(
    values: np.ndarray,
    events: np.ndarray,
    block_length: int,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    direction: Direction = "none",
) -> tuple[float, float]:
    """Circular block bootstrap interval of mean(values on event days) - mean(values on the
    other days), one-sided for a claimed direction.

    `values` is one number per session (NaN where it does not exist, e.g. a forward return
    whose window runs past the data); `events` marks the event sessions. Blocks of
    `block_length` consecutive sessions are drawn with replacement (wrapping around the end),
    which keeps overlapping windows and clustered events together. Vectorised through block
    sums: each replicate adds up ceil(N / block_length) precomputed block totals.
    """
    values = np.asarray(values, dtype=float)
    valid = np.isfinite(values)
    hit = np.asarray(events, dtype=bool) & valid
    rest = valid & ~hit
    if hit.sum() < 2 or rest.sum() < 2:
        return NAN_PAIR
    x = np.where(valid, values, 0.0)
    event_sum, event_n, rest_sum, rest_n = resampled_totals(
        [x * hit, hit.astype(float), x * rest, rest.astype(float)], block_length, rng, n_resamples
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = event_sum / event_n - rest_sum / rest_n
    diff = diff[np.isfinite(diff)]
    if len(diff) < n_resamples // 2:
        return NAN_PAIR
    both = percentile_interval(diff, interval_level(direction, confidence))
    return one_sided(both, direction, (-math.inf, math.inf))


def circular_shift_p(values: np.ndarray, events: np.ndarray, direction: Direction) -> float:
    """Rotation p-value of mean(values on event sessions) - mean(values on the others).

    Under the null that event timing says nothing about what follows, shifting the event
    pattern by any number of sessions (wrapping around) is as likely as the one observed; the
    p-value is the share of all N shifts (the observed one included) whose difference is at
    least as extreme. Shifting keeps the events' spacing (so events whose forward windows
    overlap each other stay as clustered as observed) and the series' autocorrelation.
    """
    values = np.asarray(values, dtype=float)
    positions = np.flatnonzero(np.asarray(events, dtype=bool))
    n = len(values)
    if len(positions) == 0 or n < 2:
        return math.nan
    shifted = (positions[None, :] + np.arange(n)[:, None]) % n
    valid = np.isfinite(values)
    total, count = float(values[valid].sum()), int(valid.sum())
    taken = values[shifted]
    event_sum = np.nansum(taken, axis=1)
    event_n = np.isfinite(taken).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = event_sum / event_n - (total - event_sum) / (count - event_n)
    observed = means[0]
    if not np.isfinite(observed):
        return math.nan
    means = means[np.isfinite(means)]
    tol = 1e-12 * max(1.0, abs(observed))
    upper = float(np.mean(means >= observed - tol))
    lower = float(np.mean(means <= observed + tol))
    if direction == "above_base":
        return upper
    if direction == "below_base":
        return lower
    return min(1.0, 2.0 * min(upper, lower))
