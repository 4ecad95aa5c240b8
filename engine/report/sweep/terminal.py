"""A sweep in plain text: the answer first, then the best combinations and the luck tests.

The command line prints it and `print(rl.sweep(...))` shows it, from this one function."""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from engine.report.sweep.tables import format_table, top_table
from engine.report.sweep.words import sweep_answer, walk_forward_answer
from engine.tuning.study import Study

__all__ = ["summary_text"]

WIDTH = 100
TOP_ROWS = 10


def _table(frame: object) -> str:
    return tabulate(
        format_table(frame),  # type: ignore[arg-type]
        headers="keys",
        tablefmt="simple",
        showindex=False,
        disable_numparse=True,
    )


def summary_text(study: Study) -> str:
    """The answer in words, the top rows by the ranking metric, the default's rank, the
    deflated Sharpe ratios, PBO, SPA/StepM, the cross-check and the walk-forward table."""
    sweep = study.sweep
    setup, metric = sweep.setup, sweep.metric
    lines = [textwrap.fill(sweep_answer(study), WIDTH)]
    if study.walk_forward is not None:
        lines.append(textwrap.fill(walk_forward_answer(study), WIDTH))
    shown = ["rank", *setup.grid.names, "cagr", "sharpe", "sortino", "max_drawdown", "trades"]
    if metric not in shown:
        shown.append(metric)
    lines.append(f"\ntop by {metric} (of {setup.n_combos:,}); sweep {sweep.seconds:.2f} s")
    lines.append(_table(top_table(study).head(TOP_ROWS)[shown]))
    d = study.dsr
    lines.append(f"default parameters rank {sweep.default_rank:,} of {setup.n_combos:,}")
    lines.append(
        f"deflated Sharpe ratio of the best: {d.probability:.3f} "
        f"(best daily SR {d.sharpe:.4f} vs {d.sr0:.4f} expected from luck, N={d.n_trials:,})"
    )
    if study.dsr_excess is not None:
        e = study.dsr_excess.dsr
        lines.append(
            f"deflated Sharpe ratio in excess of {study.dsr_excess.benchmark}: "
            f"{e.probability:.3f} (daily SR {e.sharpe:.4f} vs {e.sr0:.4f} from luck)"
        )
    if study.pbo is not None:
        sample = sweep.summary.pbo_rows
        lines.append(
            f"probability of backtest overfitting: {study.pbo.pbo:.3f} "
            f"({study.pbo.n_splits:,} CSCV splits of {study.pbo.blocks} blocks"
            + ("" if sample is None else f"; a random sample of {len(sample):,} combinations")
            + ")"
        )
    if study.snooping is not None:
        for test in (study.snooping.benchmark, study.snooping.zero):
            if test is None:
                continue
            stepm = (
                f"; StepM: {len(test.superior):,} combination(s) beat it at 5% family-wise"
                if test.stepwise
                else ""
            )
            lines.append(
                f"SPA p-value of the best against {test.reference}: {test.p_value:.3f} "
                f"(Hansen; {test.tested:,} combinations tested){stepm}"
            )
        lines.append(textwrap.fill(study.snooping.note, WIDTH))
    if study.reconciliation:
        lines.append(textwrap.fill(study.reconciliation, WIDTH))
    if study.check is not None:
        gap = float(study.check["relative_gap"].max())
        flag = "ok" if study.check_passed else "ABOVE TOLERANCE"
        lines.append(
            f"sweep kernel vs vectorbt: max relative gap in final equity {gap:.1e} ({flag})"
        )
    if study.walk_forward is not None:
        lines.append(f"\nwalk-forward {study.options.walk_forward.describe()}:")  # type: ignore[union-attr]
        lines.append(_table(study.walk_forward.summary.reset_index()))
    return "\n".join(lines)
