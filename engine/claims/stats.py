"""The statistics of a claim check: how much to trust a count or a difference of means.

Counts get exact (Clopper-Pearson) binomial intervals and binomial p-values from scipy.stats.
Differences of means between two independent samples (e.g. signal years vs other years) get a
percentile bootstrap interval and a permutation p-value (scipy.stats.bootstrap and
permutation_test). Events on a daily series whose forward windows overlap the rest of the
series (e.g. 63-session returns after an RSI cross vs all days) get a circular block bootstrap
interval and a circular-shift (rotation) p-value, which keep the series' autocorrelation.
Every random draw comes from a seeded `numpy.random.Generator`, so a run is reproducible.
"""

from __future__ import annotations

import math
import warnings
import zlib
from typing import Literal

import numpy as np
from scipy import stats

from engine.resampling import percentile_interval, resampled_totals

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
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(x) - mean(y), each sample resampled on its own.

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
            confidence_level=confidence,
            method="percentile",
            rng=rng,
        )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


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


# --------------------------------------------------------------------------- daily series


def default_block_length(n: int, horizon: int) -> int:
    """Blocks as long as the forward window (so overlapping windows stay together) and at
    least n^(1/3) sessions, the usual rule of thumb for a block bootstrap of a mean."""
    return max(int(horizon), round(n ** (1.0 / 3.0)), 1)


def block_bootstrap_interval(
    values: np.ndarray,
    events: np.ndarray,
    block_length: int,
    rng: np.random.Generator,
    n_resamples: int = 2000,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Circular block bootstrap interval of mean(values on event days) - mean(all values).

    `values` is one number per session (NaN where it does not exist, e.g. a forward return
    whose window runs past the data); `events` marks the event sessions. Blocks of
    `block_length` consecutive sessions are drawn with replacement (wrapping around the end),
    which keeps overlapping windows and clustered events together. Vectorised through block
    sums: each replicate adds up ceil(N / block_length) precomputed block totals.
    """
    values = np.asarray(values, dtype=float)
    valid = np.isfinite(values)
    hit = np.asarray(events, dtype=bool) & valid
    if hit.sum() < 2 or valid.sum() < 2:
        return NAN_PAIR
    x = np.where(valid, values, 0.0)
    event_sum, event_n, all_sum, all_n = resampled_totals(
        [x * hit, hit.astype(float), x, valid.astype(float)], block_length, rng, n_resamples
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = event_sum / event_n - all_sum / all_n
    diff = diff[np.isfinite(diff)]
    if len(diff) < n_resamples // 2:
        return NAN_PAIR
    return percentile_interval(diff, confidence)


def circular_shift_p(values: np.ndarray, events: np.ndarray, direction: Direction) -> float:
    """Rotation p-value of the mean of `values` on event sessions.

    Under the null that event timing says nothing about what follows, shifting the event
    pattern by any number of sessions (wrapping around) is as likely as the one observed; the
    p-value is the share of all N shifts (the observed one included) whose event mean is at
    least as extreme. Shifting keeps the events' spacing and the series' autocorrelation.
    """
    values = np.asarray(values, dtype=float)
    positions = np.flatnonzero(np.asarray(events, dtype=bool))
    n = len(values)
    if len(positions) == 0 or n < 2:
        return math.nan
    shifted = (positions[None, :] + np.arange(n)[:, None]) % n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # shifts landing only on NaN
        means = np.nanmean(values[shifted], axis=1)
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
