"""The headline: which conventions reproduce the quote, whether the quote beats the base rate,
then the default convention's result; and the summary's wrapping."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from scipy import stats as sps

from engine.claim_checks.headline import convention_set
from engine.claim_checks.quotes import quoted_mean_test
from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.runner import evaluate
from engine.claim_checks.summary import WIDTH, run_summary
from engine.claim_checks.verdict import Rules, judge
from tests.claims.builders import leadership_def
from tests.claims.test_leadership import planted
from tests.helpers import market_data


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "set_a": ["x", "x", "y", "y"],
            "set_b": [1, 2, 1, 2],
            "changed": ["headline", "b=2", "a=y", "a=y, b=2"],
        }
    )


def test_convention_sets_in_words():
    rows = _rows()
    keys = ["a", "b"]
    assert convention_set(rows, rows.iloc[[2, 3]], keys) == (
        "a = y (2 of 4 conventions, any value of the other conventions)"
    )
    # Not a product of values: listed one by one, the headline convention as "the default".
    assert (
        convention_set(rows, rows.iloc[[0, 3]], keys)
        == "the default; a=y, b=2 (2 of 4 conventions)"
    )
    assert convention_set(rows, rows.iloc[[]], keys) == "none of the 4 conventions"
    assert convention_set(rows, rows, keys) == "all 4 conventions"


def test_first10days_style_headline_on_planted_years():
    """Last 3 complete signal years: 2017 (down), 2018, 2020 (up): 2 of 3 under recent_years = 3;
    the last 2 (2018, 2020) give 2 of 2. Base: 4 of 6 complete years up."""
    defn = leadership_def(
        claimed={"recent_hits": 2, "recent_n": 3},
        sensitivity={"recent_years": [3, 2]},
    )
    result = evaluate(defn, market_data(planted()))
    head = result.findings[0]
    assert head.quoted == (2.0, 3.0) and head.observed == (2.0, 3.0) and head.quote_reproduced
    # Two samples: 2 of 3 recent signal years up against the 1 non-signal year of the same
    # span (2019, up). Fisher's exact test, one-sided: with the margins fixed, 2 or 3 of the
    # 3 up years fall in the signal row with probability 1.
    assert (head.base_hits, head.base_n) == (1, 1)
    expected_p = float(sps.fisher_exact([[2, 1], [1, 0]], alternative="greater").pvalue)
    assert head.quote_p == pytest.approx(expected_p) and expected_p == pytest.approx(1.0)
    line = result.headline[0]
    assert line == (
        'Quoted "2 of 3": reproduced under recent_years = 3 (1 of 2 conventions). Even exactly '
        "as quoted, 2 of 3 (66.7%) would not beat 1 of 1 otherwise (100.0%): Fisher's exact "
        "test of 2 of 3 against 1 of 1 otherwise, one-sided, p = 1.000. "
        "Default convention: 2 of 3 after the signal (66.7%) vs 1 of 1 otherwise (100.0%), "
        "p = 1.000, 1.000 adjusted for 2 conventions, too few cases to tell."
    )
    assert head.answer == line
    sens = result.sensitivity
    assert sens.loc[sens["number"] == 1, "quote_reproduced"].tolist() == [True, False]


def test_a_claim_without_a_quote_gets_the_default_result():
    result = evaluate(leadership_def(), market_data(planted()))
    assert result.headline[0].startswith("No figure is quoted; the headline finding, BIG closed")
    assert "2 of 3 after the signal (66.7%) vs 1 of 1 otherwise (100.0%)" in result.headline[0]
    assert result.headline[0].endswith("too few cases to tell.")


def _mean_finding() -> Finding:
    return Finding(
        key="m",
        label="mean spread",
        test="mean_difference",
        direction="above_base",
        unit="return",
        n=3,
        value=0.02,
        base=-0.01,
        base_n=3,
    )


def test_quoted_means_are_reproduced_within_half_a_point():
    from engine.claim_checks.definitions import StatsSettings

    settings = StatsSettings()
    events, others = [0.01, 0.02, 0.03], [-0.02, -0.01, 0.0]
    near = quoted_mean_test(
        _mean_finding(), (0.18, 0.12), (0.184, 0.116), "18% vs 12%", events, others, settings, "k"
    )
    assert near.quote_reproduced and 0.0 <= near.quote_p <= 1.0
    assert "shifted to the quoted mean (+6.0 points)" in near.quote_p_method
    far = quoted_mean_test(
        _mean_finding(), (0.18, 0.12), (0.127, 0.101), "18% vs 12%", events, others, settings, "k"
    )
    assert far.quote_reproduced is False
    # Shifted to a +6-point mean, three signal years all beat the others: the smallest p a
    # permutation test of 3 vs 3 can give is 1 / C(6, 3) = 0.05.
    assert far.quote_p == pytest.approx(0.05, abs=0.02)


def test_summary_lines_are_wrapped_never_cut_mid_word():
    label = " ".join(f"word{i}" for i in range(60))  # far longer than a line
    f = judge(
        Finding(
            key="k",
            label=label,
            test="fact",
            direction="equals",
            unit="number",
            n=1,
            value=14.0,
            claimed=14.0,
        ),
        Rules(),
    )
    result = ClaimResult(
        name="c",
        title="t",
        kind="k",
        quotes=["q"],
        definition=["d"],
        findings=[f],
        events=pd.DataFrame(),
        headline=[label],
    )
    text = run_summary([result])
    assert all(len(line) <= WIDTH for line in text.splitlines())
    words = re.findall(r"word\d+", text)
    # Every occurrence of the label is whole: the 60 words in order, none split.
    assert len(words) % 60 == 0 and len(words) >= 60 * 3
    assert all(w == f"word{i % 60}" for i, w in enumerate(words))
    assert not math.isnan(f.value)


def test_a_headline_never_contradicts_another_finding_silently():
    """The headline finding 'not supported' while finding 2 (a mean) is 'supported': the same
    line names finding 2 and says why the two can differ."""
    from engine.claim_checks.headline import headline_lines

    share = judge(
        Finding(
            key="s",
            label="share up",
            test="proportion",
            direction="above_base",
            unit="share",
            n=20,
            hits=12,
            value=0.6,
            base=0.5,
            base_n=20,
            base_hits=10,
            interval=(-0.1, 1.0),
            p_value=0.4,
        ),
        Rules(),
    )
    mean = judge(
        Finding(
            key="m",
            label="Mean return up vs down",
            test="mean_difference",
            direction="above_base",
            unit="return",
            n=20,
            value=0.05,
            base=0.01,
            base_n=20,
            interval=(0.01, math.inf),
            p_value=0.01,
        ),
        Rules(),
    )
    assert (share.verdict, mean.verdict) == ("not supported", "supported")
    result = ClaimResult("c", "t", "k", [], [], [share, mean], pd.DataFrame())
    (number, line), *_ = headline_lines(result, [], Rules())
    assert number == 1 and "not supported" in line
    assert "Not a contradiction: finding 2 (Mean return up vs down) is supported" in line
    assert "tests the mean return, not the share of cases with the outcome" in line
