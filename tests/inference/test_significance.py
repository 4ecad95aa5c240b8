"""The statistics against closed forms, hand counts and planted effects."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import beta

from engine.inference import significance as stats


def test_binomial_interval_is_clopper_pearson():
    # Clopper-Pearson bounds are beta quantiles: Beta(k, n-k+1) and Beta(k+1, n-k).
    lo, hi = stats.binomial_interval(9, 10, 0.95)
    assert lo == pytest.approx(beta.ppf(0.025, 9, 2), abs=1e-9)
    assert hi == pytest.approx(beta.ppf(0.975, 10, 1), abs=1e-9)
    assert lo == pytest.approx(0.5550, abs=1e-4) and hi == pytest.approx(0.99747, abs=1e-4)
    lo0, hi0 = stats.binomial_interval(0, 12, 0.95)
    assert lo0 == 0.0 and hi0 == pytest.approx(1 - 0.025 ** (1 / 12), abs=1e-9)
    assert all(math.isnan(v) for v in stats.binomial_interval(0, 0))


def test_binomial_p_is_the_upper_tail():
    # P(X >= 9 | n = 10, p = 0.7) summed by hand.
    tail = sum(math.comb(10, k) * 0.7**k * 0.3 ** (10 - k) for k in (9, 10))
    assert stats.binomial_p(9, 10, 0.7, "above_base") == pytest.approx(tail, rel=1e-12)
    low_tail = sum(math.comb(10, k) * 0.7**k * 0.3 ** (10 - k) for k in range(0, 5))
    assert stats.binomial_p(4, 10, 0.7, "below_base") == pytest.approx(low_tail, rel=1e-12)
    assert math.isnan(stats.binomial_p(1, 0, 0.5, "above_base"))


def test_permutation_p_is_exact_on_small_samples():
    # Of the 20 ways to split {1..6} into two groups of 3, only {1,2,3} vs {4,5,6} has a mean
    # difference as low as -3: the one-sided p-value is 1/20.
    rng = stats.generator(1, "t")
    p = stats.permutation_p(np.array([1.0, 2, 3]), np.array([4.0, 5, 6]), "below_base", rng)
    assert p == pytest.approx(1 / 20)
    p_two = stats.permutation_p(np.array([1.0, 2, 3]), np.array([4.0, 5, 6]), "none", rng)
    assert p_two == pytest.approx(2 / 20)


def test_bootstrap_interval_is_reproducible_and_covers_a_planted_difference():
    data_rng = np.random.default_rng(7)
    x = data_rng.normal(1.0, 1.0, 2000)
    y = data_rng.normal(0.0, 1.0, 2000)
    a = stats.mean_difference_interval(x, y, stats.generator(3, "k"), 2000, 0.95)
    b = stats.mean_difference_interval(x, y, stats.generator(3, "k"), 2000, 0.95)
    assert a == b
    lo, hi = a
    observed = x.mean() - y.mean()
    assert lo < observed < hi
    # Width close to the normal-theory 2 * 1.96 * sqrt(var_x/n + var_y/n).
    expected = 2 * 1.96 * math.sqrt(x.var() / 2000 + y.var() / 2000)
    assert hi - lo == pytest.approx(expected, rel=0.15)
    too_few = stats.mean_difference_interval(x[:1], y, stats.generator(1))
    assert all(math.isnan(v) for v in too_few)


def test_generator_streams_differ_by_key_and_repeat_by_seed():
    a = stats.generator(5, "x").random(3)
    assert np.array_equal(a, stats.generator(5, "x").random(3))
    assert not np.array_equal(a, stats.generator(5, "y").random(3))
    assert not np.array_equal(a, stats.generator(6, "x").random(3))


def test_block_bootstrap_finds_a_planted_effect():
    rng = np.random.default_rng(0)
    values = rng.normal(0.0, 1.0, 5000)
    events = np.zeros(5000, dtype=bool)
    events[::100] = True
    values[events] += 3.0  # events are followed by +3 on average
    lo, hi = stats.block_bootstrap_interval(values, events, 20, stats.generator(1), 2000, 0.95)
    observed = values[events].mean() - values.mean()
    assert lo < observed < hi
    assert lo > 2.0 and hi < 4.0


def test_block_bootstrap_is_wider_than_iid_on_overlapping_windows():
    """Events in clusters of 10 consecutive sessions, each followed by an overlapping 20-session
    sum: the 60 event values are worth about 6 independent ones. Blocks of 20 sessions see
    that; single-session blocks treat all 60 as independent and are about sqrt(10) too narrow."""
    rng = np.random.default_rng(1)
    daily = rng.normal(0.0, 1.0, 6020)
    sums = np.convolve(daily, np.ones(20), mode="valid")[:6000]
    events = np.zeros(6000, dtype=bool)
    for start in range(500, 6000, 1000):
        events[start : start + 10] = True
    lo1, hi1 = stats.block_bootstrap_interval(sums, events, 1, stats.generator(2), 2000)
    lo20, hi20 = stats.block_bootstrap_interval(sums, events, 20, stats.generator(2), 2000)
    assert (hi20 - lo20) > 2.0 * (hi1 - lo1)


def test_block_bootstrap_ignores_missing_values_and_needs_two_events():
    values = np.array([1.0, np.nan, 3.0, 4.0, 5.0, 6.0])
    one_event = np.array([True, False, False, False, False, False])
    interval = stats.block_bootstrap_interval(values, one_event, 2, stats.generator(1))
    assert all(math.isnan(v) for v in interval)


def test_circular_shift_p_by_hand():
    values = np.array([0.0, 0, 0, 0, 10, 0, 0, 0, 0, 0])
    events = np.zeros(10, dtype=bool)
    events[4] = True
    # Only the unshifted pattern lands on the 10: 1 of 10 shifts is as high.
    assert stats.circular_shift_p(values, events, "above_base") == pytest.approx(0.1)
    assert stats.circular_shift_p(values, events, "below_base") == pytest.approx(1.0)
    assert stats.circular_shift_p(values, events, "none") == pytest.approx(0.2)
    # A missing value is skipped: the shift landing on it does not count at all.
    values[7] = np.nan
    assert stats.circular_shift_p(values, events, "above_base") == pytest.approx(1 / 9)


def test_default_block_length():
    assert stats.default_block_length(9800, 5) == 21  # n^(1/3) = 21.4
    assert stats.default_block_length(9800, 63) == 63
