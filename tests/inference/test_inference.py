"""The inference module against published tables, hand counts, arch/scipy/statsmodels directly,
and properties (no effect gives uniform p-values; a planted effect is found)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from arch.bootstrap import CircularBlockBootstrap
from scipy import stats as sps

from engine.claim_checks.studies import non_overlapping
from engine.inference import multiplicity, proportions
from engine.inference import significance as stats
from engine.inference.snooping import snooping_test


def test_newcombe_interval_matches_the_published_example():
    # Newcombe (1998), Statistics in Medicine 17, Table II, example (a): 56/70 - 48/80,
    # method 10 (hybrid score): 0.0524 to 0.3339.
    lo, hi = proportions.difference_interval(56, 70, 48, 80, "none", 0.95)
    assert lo == pytest.approx(0.0524, abs=1e-4) and hi == pytest.approx(0.3339, abs=1e-4)
    # One-sided 95%: the lower bound of the two-sided 90% interval, the other side open.
    lo1, hi1 = proportions.difference_interval(56, 70, 48, 80, "above_base", 0.95)
    lo90, _ = proportions.difference_interval(56, 70, 48, 80, "none", 0.90)
    assert lo1 == pytest.approx(lo90) and lo1 > lo and hi1 == 1.0
    _, hi_below = proportions.difference_interval(56, 70, 48, 80, "below_base", 0.95)
    assert hi_below < hi
    assert all(math.isnan(v) for v in proportions.difference_interval(1, 0, 1, 2, "none"))


def test_fisher_p_by_hand():
    # 3 of 3 after the signal, 0 of 3 otherwise: with the margins fixed, only this table is as
    # extreme, probability 1 / C(6, 3) = 1/20.
    assert proportions.fisher_p(3, 3, 0, 3, "above_base") == pytest.approx(1 / 20)
    assert proportions.fisher_p(3, 3, 0, 3, "below_base") == pytest.approx(1.0)
    assert proportions.fisher_p(3, 3, 0, 3, "none") == pytest.approx(2 / 20)
    # The hypergeometric upper tail, from scipy directly: 8 of 10 vs 4 of 12.
    tail = sps.hypergeom.sf(7, 22, 12, 10)
    assert proportions.fisher_p(8, 10, 4, 12, "above_base") == pytest.approx(tail)
    assert math.isnan(proportions.fisher_p(1, 2, 0, 0, "above_base"))


def test_holm_and_benjamini_hochberg_by_hand():
    # Holm: sorted 0.01, 0.03, 0.04 times 3, 2, 1 = 0.03, 0.06, 0.04 -> monotone 0.03, 0.06, 0.06.
    assert multiplicity.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    # BH: 0.01 * 3/1, 0.03 * 3/2, 0.04 * 3/3 = 0.03, 0.045, 0.04 -> from the top 0.03, 0.04, 0.04.
    bh = multiplicity.benjamini_hochberg([0.01, 0.04, 0.03])
    assert bh == pytest.approx([0.03, 0.04, 0.04])
    # A test that could not be run is not in the family.
    with_nan = multiplicity.holm([0.01, math.nan, 0.04])
    assert math.isnan(with_nan[1]) and with_nan[[0, 2]] == pytest.approx([0.02, 0.04])


def test_one_sided_intervals_are_the_two_sided_bound_at_twice_alpha():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0.5, 1, 40), rng.normal(0, 1, 40)
    lo, hi = stats.mean_difference_interval(x, y, stats.generator(1), 2000, 0.95, "above_base")
    lo90, _ = stats.mean_difference_interval(x, y, stats.generator(1), 2000, 0.90)
    assert lo == pytest.approx(lo90) and hi == math.inf
    lo_b, hi_b = stats.mean_difference_interval(x, y, stats.generator(1), 2000, 0.95, "below_base")
    assert lo_b == -math.inf and hi_b > lo


def test_block_bootstrap_spread_matches_arch_circular_block_bootstrap():
    """The block-sum bootstrap and arch's CircularBlockBootstrap resample the same way: the
    spread of the event-minus-other difference agrees within sampling error."""
    rng = np.random.default_rng(5)
    values = np.convolve(rng.normal(0, 1, 2020), np.ones(21) / 21, mode="valid")[:2000]
    events = np.zeros(2000, dtype=bool)
    events[rng.choice(2000, 60, replace=False)] = True
    lo, hi = stats.block_bootstrap_interval(values, events, 25, stats.generator(2), 2000)
    cbb = CircularBlockBootstrap(25, values, events, seed=9)

    def diff(v: np.ndarray, e: np.ndarray) -> float:
        return v[e].mean() - v[~e].mean()

    reps = cbb.apply(diff, 2000)[:, 0]
    width_arch = np.percentile(reps, 97.5) - np.percentile(reps, 2.5)
    assert hi - lo == pytest.approx(width_arch, rel=0.15)


def test_non_overlapping_subsamples_by_hand():
    valid = np.ones(20, dtype=bool)
    events = np.zeros(20, dtype=bool)
    events[[2, 3, 10]] = True
    kept, others = non_overlapping(valid, events, 3)
    assert kept.tolist() == [2, 10]  # 3 is within 3 sessions of 2
    # clear of every event's window (positions 0..5 and 8..12 are near an event), every 3rd
    assert others.tolist() == [6, 13, 16, 19]


def _fisher_p_with_shuffled_signal(seed: int) -> float:
    rng = np.random.default_rng(seed)
    outcome = rng.random(60) < 0.6
    signal = rng.permutation(np.arange(60) < 25)
    k, n = int(outcome[signal].sum()), int(signal.sum())
    j, m = int(outcome[~signal].sum()), int((~signal).sum())
    return proportions.fisher_p(k, n, j, m, "above_base")


def test_shuffled_signal_years_give_no_more_rejections_than_the_level():
    """No effect: the signal years are a random subset. Fisher's exact test is conservative
    (discrete), so p-values are at least uniform: P(p <= a) <= a for every a."""
    ps = np.array([_fisher_p_with_shuffled_signal(s) for s in range(600)])
    for a in (0.05, 0.1, 0.25, 0.5):
        se = math.sqrt(a * (1 - a) / len(ps))
        assert (ps <= a).mean() <= a + 3 * se


def test_shuffled_signal_years_give_uniform_permutation_p_values():
    ps = []
    for seed in range(150):
        rng = np.random.default_rng(seed)
        values = rng.normal(0, 1, 40)
        signal = rng.permutation(np.arange(40) < 15)
        ps.append(
            stats.permutation_p(
                values[signal], values[~signal], "above_base", stats.generator(seed, "u"), 200
            )
        )
    assert sps.kstest(ps, "uniform").pvalue > 0.01


def test_a_planted_effect_is_found():
    found = 0
    for seed in range(50):
        rng = np.random.default_rng(seed)
        signal = np.arange(60) < 25
        outcome = np.where(signal, rng.random(60) < 0.85, rng.random(60) < 0.4)
        p = proportions.fisher_p(
            int(outcome[signal].sum()), 25, int(outcome[~signal].sum()), 35, "above_base"
        )
        found += p < 0.05
    assert found >= 45


def test_spa_and_stepm_find_a_planted_winner_and_not_noise():
    rng = np.random.default_rng(11)
    bench = rng.normal(0.0003, 0.01, 1000)
    noise = bench[:, None] + rng.normal(0, 0.004, (1000, 20))
    null = snooping_test(noise, bench, "benchmark", reps=200, seed=1)
    assert null.p_value > 0.1 and null.superior == []
    planted = noise.copy()
    planted[:, 7] += 0.001  # 0.1% a day better than the benchmark: t of about 8
    result = snooping_test(planted, bench, "benchmark", reps=200, seed=1)
    assert result.p_value < 0.01 and result.superior == [7]
    assert result.p_lower <= result.p_value <= result.p_upper
    assert result.tested == 20 and result.block_length >= 5
