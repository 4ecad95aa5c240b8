"""The sweep report's paragraphs: the ranking, luck (DSR, PBO), the walk-forward result and
the cross-check, in plain words with the study's own numbers."""

from __future__ import annotations

import math

from engine.inference.luck import snooping_words
from engine.report.sweep.charts import FORMATS
from engine.report.toolkit.format import format_value
from engine.stats.metrics import METRICS
from engine.stats.returns_nb import PERIODS_PER_YEAR
from engine.tuning.study import CHECK_TOLERANCE, Study
from engine.tuning.sweep import combos_of

__all__ = ["explanations", "sweep_answer", "walk_forward_answer"]


def _fmt(value: object, metric: str) -> str:
    return format_value(value, FORMATS.get(metric, "ratio"))


def explanations(study: Study) -> dict[str, str]:
    """Plain-words paragraphs with the study's own numbers."""
    sweep = study.sweep
    setup = sweep.setup
    metric = sweep.metric
    n = setup.n_combos
    best = combos_of(sweep.top.head(1))[0]
    d = study.dsr
    words: dict[str, str] = {}
    words["ranking"] = (
        f"{n:,} combinations were tried"
        + (f" ({setup.skipped:,} more were refused by the strategy)" if setup.skipped else "")
        + f". Ranked by {metric}, the best scores {_fmt(best[metric], metric)}; the default "
        f"parameters score {_fmt(sweep.default_stats[metric], metric)} and rank "
        f"{sweep.default_rank:,} of {n:,}"
        + ("" if setup.default_in_grid else " (they are not on the grid; ranked among it)")
        + ". The best of many tries looks better than it will be: that is what the two "
        "statistics below measure."
    )
    if math.isfinite(d.probability):
        verdict = (
            "clears the usual 0.95 bar"
            if d.probability >= 0.95
            else "does not clear the usual 0.95 bar: the best result is compatible with luck"
        )
        words["dsr"] = (
            f"Deflated Sharpe ratio {d.probability:.3f}. It estimates the probability that the "
            f"best combination has a real edge (a true Sharpe ratio above what luck explains) "
            f"once we account for having picked it as the best of {d.n_trials:,} tries (whose "
            f"daily Sharpe ratios vary with standard "
            f"deviation {math.sqrt(d.sr_variance):.4f}), for the length of its record "
            f"({d.n_obs:,} days) and for its skewness ({d.skew:.2f}) and kurtosis "
            f"({d.kurtosis:.1f}; 3 for a normal distribution). Luck alone would give the best "
            f"of {d.n_trials:,} a daily Sharpe ratio of about {d.sr0:.4f} (annualised "
            f"{d.sr0 * math.sqrt(PERIODS_PER_YEAR):.2f}); the best has {d.sharpe:.4f} "
            f"(annualised {d.sharpe * math.sqrt(PERIODS_PER_YEAR):.2f}); the deflated Sharpe "
            "ratio is the probability that "
            f"its true Sharpe ratio exceeds that luck level. The result {verdict}."
        )
        if study.dsr_all is not None:
            a = study.dsr_all
            words["dsr"] += (
                f" Counting every combination recorded for this strategy in earlier sweeps "
                f"({a.n_trials:,} in all), the deflated Sharpe ratio is {a.probability:.3f}."
            )
    else:
        words["dsr"] = "The deflated Sharpe ratio is undefined (the best has no return variance)."
    if study.dsr_excess is not None:
        e = study.dsr_excess
        words["dsr"] += (
            f" Against {e.benchmark} rather than zero (the best's daily returns minus the "
            f"benchmark's, traded as in a single run over the same sessions): daily Sharpe ratio "
            f"{e.dsr.sharpe:.4f} vs {e.dsr.sr0:.4f} from luck, deflated Sharpe ratio "
            f"{e.dsr.probability:.3f}. {e.note}"
        )
    # SPA/StepM get their own paragraph, after PBO, with the sentence reconciling the three
    words["spa"] = (
        "Does the best beat the benchmark once the search is counted? "
        + snooping_words(study.snooping)
        if study.snooping is not None
        else ""
    )
    if study.reconciliation:
        words["spa"] = (words["spa"] + " " + study.reconciliation).strip()
    if study.pbo is not None:
        p = study.pbo
        level = (
            "low: the in-sample winner usually stays above the median"
            if p.pbo < 0.25
            else "high: choosing by backtest here is close to picking at random, or worse"
            if p.pbo >= 0.5
            else "moderate"
        )
        words["pbo"] = (
            f"Probability of backtest overfitting {p.pbo:.2f} ({level}). The daily returns were "
            f"cut into {p.blocks} consecutive pieces; for each of {p.n_splits:,} ways of using "
            f"half of them to pick the best combination and the other half to test it, we "
            f"checked whether the pick landed in the worse half of all combinations on the "
            f"unseen half. It did in {p.pbo:.0%} of the splits. The picked combination's "
            f"out-of-sample Sharpe ratio was below zero in {p.prob_oos_loss:.0%} of them. "
            + study.pbo_note
        )
    else:
        words["pbo"] = f"The probability of backtest overfitting was not computed. {study.pbo_note}"
    w = study.walk_forward
    words["walk_forward"] = ""
    if w is not None:
        s = w.summary
        words["walk_forward"] = (
            f"Walk-forward ({w.spec.describe()}, choosing by {w.metric}): in each of "
            f"{len(w.windows)} training windows the best combination was chosen and then run on "
            f"the following test window, which it had not seen. In-sample, the chosen "
            f"combinations averaged a Sharpe ratio of {s.loc['chosen', 'is_sharpe_mean']:.2f} "
            f"and a CAGR of {s.loc['chosen', 'is_cagr_mean']:.2%}; out-of-sample (the test "
            f"windows stitched) they made a Sharpe ratio of {s.loc['chosen', 'oos_sharpe']:.2f} "
            f"and a CAGR of {s.loc['chosen', 'oos_cagr']:.2%}. The default parameters over the "
            f"same windows: in-sample Sharpe {s.loc['default', 'is_sharpe_mean']:.2f}, "
            f"out-of-sample {s.loc['default', 'oos_sharpe']:.2f} (CAGR "
            f"{s.loc['default', 'oos_cagr']:.2%}). A large drop from in-sample to out-of-sample, "
            "or a tuned result no better than the default, means the tuning fitted noise. Each "
            "test window starts from cash at the last training session, so the stitched curve "
            "pays one entry per window."
        )
        if "benchmark" in s.index:
            words["walk_forward"] += (
                f" {w.benchmark}, bought and held over the same test windows: Sharpe ratio "
                f"{s.loc['benchmark', 'oos_sharpe']:.2f}, "
                f"CAGR {s.loc['benchmark', 'oos_cagr']:.2%}."
            )
    words["walk_forward_answer"] = walk_forward_answer(study)
    words["answer"] = " ".join(t for t in (sweep_answer(study), words["walk_forward_answer"]) if t)
    if study.check is not None:
        gap = float(study.check["relative_gap"].max())
        words["check"] = (
            f"Cross-check: {len(study.check)} combinations (the best and random ones) were re-run "
            f"through the standard engine (vectorbt); the largest relative gap in final equity is "
            f"{gap:.1e} (tolerance {CHECK_TOLERANCE:g})."
            + ("" if study.check_passed else " WARNING: above the tolerance.")
        )
    return words


SIGNIFICANCE = 0.05  # SPA's level for "beats the benchmark once the search is counted"


def sweep_answer(study: Study) -> str:
    """The sweep's answer in one sentence: the best combination and the default, then whether
    the best beats the main benchmark once the search is counted (Hansen's SPA when it ran,
    else the deflated Sharpe ratio against the benchmark, else against zero)."""
    sweep = study.sweep
    setup, metric = sweep.setup, sweep.metric
    n = setup.n_combos
    best = combos_of(sweep.top.head(1))[0]
    params = ", ".join(
        f"{k} = {best[k]:g}" if isinstance(best[k], float) else f"{k} = {best[k]}"
        for k in setup.grid.swept
    )
    label = METRICS[metric][0] if metric in METRICS else metric
    text = (
        f"The best of {n:,} combinations ({params or 'the only one'}) has a {label} of "
        f"{_fmt(best[metric], metric)}; the default parameters have "
        f"{_fmt(sweep.default_stats[metric], metric)} and rank {sweep.default_rank:,} of {n:,}"
    )
    test = study.snooping.benchmark if study.snooping is not None else None
    if test is not None and math.isfinite(test.p_value):
        verdict = (
            f"the best beats {test.reference} even once the search is counted"
            if test.p_value < SIGNIFICANCE
            else f"no combination is shown to beat {test.reference} once the search is counted"
        )
        return f"{text}. {verdict[0].upper()}{verdict[1:]} (SPA p = {test.p_value:.3f})."
    luck = study.dsr_excess.dsr if study.dsr_excess is not None else study.dsr
    against = study.dsr_excess.benchmark if study.dsr_excess is not None else "zero"
    if not math.isfinite(luck.probability):
        return text + "."
    clears = "clears" if luck.probability >= 0.95 else "does not clear"
    return (
        f"{text}. Against {against}, its deflated Sharpe ratio {luck.probability:.2f} {clears} "
        "the usual 0.95 bar for an edge beyond luck."
    )


SAME_SHARPE = 0.05  # out-of-sample Sharpe ratios closer than this read as "about the same"


def walk_forward_answer(study: Study) -> str:
    """The walk-forward result in one sentence: did choosing the parameters on past data beat
    the default (and the main benchmark) on the data that came after? Empty without one."""
    w = study.walk_forward
    if w is None:
        return ""
    s = w.summary
    chosen, default = float(s.loc["chosen", "oos_sharpe"]), float(s.loc["default", "oos_sharpe"])
    gap = chosen - default
    verdict = (
        "did better than"
        if gap > SAME_SHARPE
        else "did worse than"
        if gap < -SAME_SHARPE
        else "did about as well as"
    )
    text = (
        f"Out of sample, the parameters chosen on each training window {verdict} the default "
        f"parameters: Sharpe ratio {chosen:.2f} against {default:.2f}, CAGR "
        f"{s.loc['chosen', 'oos_cagr']:.2%} against {s.loc['default', 'oos_cagr']:.2%}"
    )
    if "benchmark" in s.index:
        text += (
            f"; {w.benchmark} bought and held made Sharpe {s.loc['benchmark', 'oos_sharpe']:.2f}, "
            f"CAGR {s.loc['benchmark', 'oos_cagr']:.2%}"
        )
    tuned_is = float(s.loc["chosen", "is_sharpe_mean"])
    return text + (
        f". In sample the chosen parameters averaged Sharpe {tuned_is:.2f}: "
        + ("most of the tuned edge did not last." if tuned_is - chosen > 0.3 else "it held up.")
    )
