"""Is the best combination's edge over the benchmark luck, and do DSR and PBO agree?

The deflated Sharpe ratio of `Study.dsr` asks whether the best combination beats zero. The
researcher's question is whether it beats the main benchmark (`engine.tuning.benchmark`): the
same statistic on its daily returns minus the benchmark's. The spread of the trials' Sharpe
ratios (which sets the luck level SR0) is then that of every trial's excess returns: their
information ratios, which the sweep kernel computes for every combination.

`snooping` runs Hansen's SPA test and Romano-Wolf's StepM (`engine.inference.snooping`) on the
top combinations' daily returns, against the main benchmark and against zero: does the best of
the rules tried beat the benchmark once the search is accounted for, and which ones do?

`reconcile` puts a DSR, a PBO and an SPA p-value that seem to disagree into one plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.inference.overfitting import DeflatedSharpe, PBOResult, deflated_sharpe_of_returns
from engine.inference.snooping import SnoopingTest, snooping_test

__all__ = [
    "ExcessSharpe",
    "Snooping",
    "excess_deflated_sharpe",
    "reconcile",
    "snooping",
]

# SPA and StepM need every tested combination's daily returns at once (sessions x K floats),
# so they run on the TOP_K combinations by the ranking metric, recomputed on demand by the
# kernel (100 x 6,600 sessions is 5 MB), and StepM only against the benchmark (the question
# is which rules beat it; against zero the SPA p-value alone is given). The best is always
# among them, and SPA's consistent p-value already discounts clearly worse models, but the
# p-value is then that of a search over TOP_K rules, a lower bound for the full search; the
# report says so. Cost (`engine.inference.snooping.StationarySPA`): under a second for both
# tests on 100 x 6,600 sessions (0.7 CPU seconds on a busy two-core machine, 0.25 of them for
# one combination), where arch's own loops took 15 to 30 s.
# SPA_REPS: arch's default of 1,000 resamples, kept: the Monte Carlo error of a p-value near
# 0.05 is then sqrt(0.05 * 0.95 / 1000) = 0.007; fewer would save little now that a resample
# costs T K / block operations.
TOP_K = 100
SPA_REPS = 1000

DSR_BAR = 0.95
PBO_BAR = 0.5


@dataclass(frozen=True)
class ExcessSharpe:
    benchmark: str
    dsr: DeflatedSharpe  # of the best combination's daily returns minus the benchmark's
    note: str


def excess_deflated_sharpe(
    best: np.ndarray, benchmark: np.ndarray, trial_sharpes: np.ndarray | float, n_trials: int
) -> DeflatedSharpe:
    """DSR of `best - benchmark` (daily, same sessions); `trial_sharpes` per period. The
    benchmark takes the place of the risk-free rate, so none is subtracted."""
    return deflated_sharpe_of_returns(
        np.asarray(best, float) - np.asarray(benchmark, float), trial_sharpes, n_trials, 0.0
    )


@dataclass(frozen=True)
class Snooping:
    """SPA/StepM against the main benchmark (None without one) and against zero."""

    benchmark: SnoopingTest | None
    zero: SnoopingTest
    rows: list[int]  # the sweep rows tested, best first
    note: str

    def superior_rows(self, test: SnoopingTest | None) -> list[int]:
        """The sweep rows StepM found better than the reference."""
        return [] if test is None else [self.rows[i] for i in test.superior]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"note": self.note}
        for key, test in (("benchmark", self.benchmark), ("zero", self.zero)):
            out[key] = (
                None
                if test is None
                else {**test.as_dict(), "stepm_superior_rows": self.superior_rows(test)}
            )
        return out


def snooping(
    returns: np.ndarray,
    benchmark: np.ndarray | None,
    benchmark_name: str,
    rows: list[int],
    n_combos: int,
    seed: int = 0,
) -> Snooping:
    """`returns`: (len(rows), sessions) daily returns of the tested rows, best first."""
    matrix = np.asarray(returns, dtype=float).T
    against = (
        None
        if benchmark is None
        else snooping_test(matrix, benchmark, benchmark_name, SPA_REPS, seed)
    )
    zero = snooping_test(matrix, None, "zero", SPA_REPS, seed, stepwise=False)
    note = (
        f"Hansen's SPA and Romano-Wolf's StepM on the top {len(rows):,} of {n_combos:,} "
        "combinations by the ranking metric (each needs every tested combination's daily "
        "returns at once): the p-value is that of a search over these, a lower bound for the "
        "whole sweep."
        if len(rows) < n_combos
        else f"Hansen's SPA and Romano-Wolf's StepM on all {n_combos:,} combinations."
    )
    return Snooping(against, zero, rows, note)


def snooping_words(s: Snooping, alpha: float = 0.05) -> str:
    """The SPA/StepM result in plain words."""
    parts = []
    for test in (s.benchmark, s.zero):
        if test is None or test.p_value != test.p_value:
            continue
        what = "the benchmark" if test.reference != "zero" else "zero"
        name = test.reference if test.reference != "zero" else "zero"
        verdict = (
            f"beats {what} even after accounting for the {test.tested:,} rules tried"
            if test.p_value < alpha
            else f"does not beat {what} once the {test.tested:,} rules tried are accounted for"
        )
        stepm = (
            f"; {len(test.superior):,} combination(s) beat it by Romano-Wolf's stepwise test at "
            f"{alpha:.0%} family-wise error"
            if test.stepwise
            else ""
        )
        parts.append(
            f"Against {name}: the best combination {verdict} (Hansen's SPA p = "
            f"{test.p_value:.3f}; bounds {test.p_lower:.3f} to {test.p_upper:.3f}){stepm} "
            f"(stationary bootstrap, mean block {test.block_length} sessions, "
            f"{test.reps:,} resamples)."
        )
    return " ".join([*parts, s.note])


def _fmt_dsr(d: DeflatedSharpe | None) -> str:
    return "n/a" if d is None else f"{d.probability:.2f}"


def reconcile(
    dsr: DeflatedSharpe,
    excess: ExcessSharpe | None,
    pbo: PBOResult | None,
    snoop: Snooping | None = None,
) -> str:
    """One sentence when the statistics point different ways; '' when they agree."""
    parts = []
    spa = snoop.benchmark if snoop is not None else None
    if spa is not None and excess is not None and spa.p_value == spa.p_value:
        spa_yes = spa.p_value < 0.05
        dsr_yes = excess.dsr.probability >= DSR_BAR
        if spa_yes != dsr_yes:
            parts.append(
                f"Against {excess.benchmark}, Hansen's SPA test (p = {spa.p_value:.3f}) and the "
                f"deflated Sharpe ratio in excess of it ({_fmt_dsr(excess.dsr)}) disagree: "
                "SPA compares the daily returns directly and uses how alike the combinations "
                "are, while the DSR deflates a Sharpe ratio by the spread of all trials' "
                "ratios and by skewness and kurtosis; with the two apart, the edge is "
                "borderline."
            )
    high = dsr.probability >= DSR_BAR
    if pbo is not None and high and pbo.pbo >= PBO_BAR:
        parts.append(
            f"The best combination's Sharpe ratio is unlikely to be luck given "
            f"{dsr.n_trials:,} trials (DSR {dsr.probability:.2f}), but choosing by backtest "
            f"picks a below-median performer out of sample {pbo.pbo:.0%} of the time (PBO "
            f"{pbo.pbo:.2f}): the ranking is unstable, so the winner's parameters are not to be "
            "trusted even if some combinations have an edge."
        )
    elif pbo is not None and not high and pbo.pbo < PBO_BAR:
        parts.append(
            f"Choosing by backtest usually keeps an above-median combination out of sample "
            f"(PBO {pbo.pbo:.2f}), but the best one's Sharpe ratio is not clearly above what "
            f"luck gives the best of {dsr.n_trials:,} trials (DSR {dsr.probability:.2f}): the "
            "ranking is stable, the edge is not proven."
        )
    if excess is not None and high and excess.dsr.probability < DSR_BAR:
        parts.append(
            f"Against zero the best combination's Sharpe ratio is unlikely to be luck (DSR "
            f"{dsr.probability:.2f}), but its returns in excess of {excess.benchmark} are not "
            f"(DSR {_fmt_dsr(excess.dsr)}): beating zero is not beating the benchmark."
        )
    return " ".join(parts)
