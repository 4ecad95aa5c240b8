"""Is the best combination's edge over the benchmark luck, and do DSR and PBO agree?

The deflated Sharpe ratio of `Study.dsr` asks whether the best combination beats zero. The
researcher's question is whether it beats the main benchmark (`engine.tuning.benchmark`): the
same statistic on its daily returns minus the benchmark's. The spread of the trials' Sharpe
ratios (which sets the luck level SR0) is then that of every trial's excess returns: their
information ratios, which the sweep kernel computes for every combination.

`reconcile` puts a DSR and a PBO that seem to disagree into one plain sentence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.tuning.overfitting import DeflatedSharpe, PBOResult, deflated_sharpe_of_returns

__all__ = ["ExcessSharpe", "excess_deflated_sharpe", "reconcile"]

DSR_BAR = 0.95
PBO_BAR = 0.5


@dataclass(frozen=True)
class ExcessSharpe:
    benchmark: str
    dsr: DeflatedSharpe  # of the best combination's daily returns minus the benchmark's
    note: str


def excess_deflated_sharpe(
    best: np.ndarray, benchmark: np.ndarray, trial_sharpes: np.ndarray, n_trials: int
) -> DeflatedSharpe:
    """DSR of `best - benchmark` (daily, same sessions); `trial_sharpes` per period. The
    benchmark takes the place of the risk-free rate, so none is subtracted."""
    return deflated_sharpe_of_returns(
        np.asarray(best, float) - np.asarray(benchmark, float), trial_sharpes, n_trials, 0.0
    )


def _fmt_dsr(d: DeflatedSharpe | None) -> str:
    return "n/a" if d is None else f"{d.probability:.2f}"


def reconcile(dsr: DeflatedSharpe, excess: ExcessSharpe | None, pbo: PBOResult | None) -> str:
    """One sentence when the statistics point different ways; '' when they agree."""
    parts = []
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
