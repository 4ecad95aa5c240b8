"""SPA and StepM computed faster give arch's own numbers: the same variance (Politis & Romano's
stationary-bootstrap formula), the same resampled means, the same p-values and superior set."""

from __future__ import annotations

import numpy as np
import pytest
from arch.bootstrap import SPA, StationaryBootstrap, StepM

from engine.inference.snooping import (
    StationarySPA,
    _run_means,
    snooping_test,
    stationary_variance,
)


def _returns(seed: int, sessions: int = 400, combos: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A benchmark and rules close to it, two of them a little better, with volatility
    clusters (so the block length matters)."""
    rng = np.random.default_rng(seed)
    vol = 0.01 * np.exp(np.convolve(rng.normal(0, 0.3, sessions), np.ones(10) / 10, "same"))
    bench = rng.normal(0.0002, 1.0, sessions) * vol
    rules = bench[:, None] + rng.normal(0.0, 0.5, (sessions, combos)) * vol[:, None]
    rules[:, 2] += 0.0008
    rules[:, 7] += 0.0012
    return bench, rules


def test_stationary_variance_is_arch_s_loop():
    bench, rules = _returns(1)
    spa = SPA(-bench, -rules, block_size=7, reps=10, bootstrap="stationary", seed=0)
    spa._compute_variance()  # arch's loop over every lag
    loss = spa._loss_diff
    ours = stationary_variance(loss - loss.mean(axis=0), 7)
    np.testing.assert_allclose(ours, spa._loss_diff_var, rtol=1e-11)


def test_run_means_are_the_means_of_the_gathered_rows():
    rng = np.random.default_rng(2)
    values = rng.normal(size=(50, 3))
    bs = StationaryBootstrap(6, values, seed=4)
    indices = np.array([bs.update_indices() for _ in range(40)])
    assert (np.diff(indices, axis=1) < 0).any()  # runs that wrap from the last row to the first
    prefix = np.vstack([np.zeros((1, 3)), np.cumsum(values, axis=0)])
    expected = np.array([values[i].mean(axis=0) for i in indices])
    np.testing.assert_allclose(_run_means(prefix, indices), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", [3, 5, 8])
def test_spa_and_stepm_give_arch_s_p_values_and_superior_set(seed):
    bench, rules = _returns(seed)
    fast = StationarySPA(-bench, -rules, block_size=8, reps=300, bootstrap="stationary", seed=9)
    fast.compute()
    stock = SPA(-bench, -rules, block_size=8, reps=300, bootstrap="stationary", seed=9)
    stock.compute()
    np.testing.assert_allclose(fast._simulated_vals, stock._simulated_vals, atol=1e-15)
    assert fast.pvalues.to_dict() == stock.pvalues.to_dict()
    result = snooping_test(rules, bench, "benchmark", reps=300, seed=9)
    arch_stepm = StepM(-bench, -rules, size=0.05, block_size=result.block_length, reps=300,
                       bootstrap="stationary", seed=9)  # fmt: skip
    arch_stepm.compute()
    arch_spa = SPA(-bench, -rules, block_size=result.block_length, reps=300,
                   bootstrap="stationary", seed=9)  # fmt: skip
    arch_spa.compute()
    assert result.superior == sorted(int(i) for i in arch_stepm.superior_models)
    assert result.p_value == arch_spa.pvalues["consistent"]
    assert (result.p_lower, result.p_upper) == (
        arch_spa.pvalues["lower"],
        arch_spa.pvalues["upper"],
    )


def test_the_planted_rules_are_the_superior_ones_and_p_values_are_not_trivial():
    """The data above is a real test of the step-down: two rules beat the benchmark, the
    others do not, and the p-values against a noisier benchmark are neither 0 nor 1."""
    bench, rules = _returns(3, sessions=1500)
    result = snooping_test(rules, bench, "benchmark", reps=300, seed=9)
    assert result.superior == [2, 7] and result.p_value < 0.05
    noisy = snooping_test(rules[:, [0, 1, 3]], bench, "benchmark", reps=300, seed=9)
    assert noisy.superior == [] and 0.05 < noisy.p_value < 1.0
