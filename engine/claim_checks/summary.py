"""Plain-text statements of findings: the terminal summary and the report use the same words.

Each finding reads as: what was measured, the result with n, the base rate it is compared with,
the interval or p-value, the quoted figure, then the verdict and why.
"""

from __future__ import annotations

import math
import textwrap

from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.verdict import Rules, fmt, interval_text

WIDTH = 100


def _p(value: float) -> str:
    if math.isnan(value):
        return "p = n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def p_text(f: Finding) -> str:
    """The primary p-value, and the one adjusted for the conventions searched when there are."""
    text = f"{_p(f.p_value)} ({f.p_method})"
    if f.family > 1:
        text += f"; adjusted for the {f.family} conventions tried (Holm): {_p(f.p_adjusted)}"
    return text


def counts_text(f: Finding) -> str:
    """ "k of n after the signal (x%), j of m otherwise (y%)" for a two-sample share."""
    return (
        f"{f.hits} of {f.n} after the signal ({fmt(f.value, 'share')}), {f.base_hits} of "
        f"{f.base_n} otherwise ({fmt(f.base, 'share')})"
    )


def result_text(f: Finding, rules: Rules | None = None) -> str:
    """The numbers of a finding in one sentence (no verdict)."""
    rules = rules or Rules()
    if f.test == "proportion" and f.base_hits is not None:
        text = (
            f"{counts_text(f)}, otherwise = {f.base_label}; difference "
            f"{fmt(f.difference, 'share')}, {interval_text(f, rules)}; {p_text(f)}"
        )
    elif f.test == "proportion":
        lo, hi = f.interval
        text = (
            f"{f.hits} of {f.n} ({fmt(f.value, 'share')}), 95% interval {fmt(lo, 'share')} to "
            f"{fmt(hi, 'share')}; base rate {fmt(f.base, 'share')} ({f.base_label}); "
            f"{p_text(f)}"
        )
    elif f.test == "mean_difference":
        text = (
            f"mean {fmt(f.value, 'return', 2)} over n = {f.n} vs {fmt(f.base, 'return', 2)} over "
            f"{f.base_label} (n = {f.base_n}); difference {fmt(f.difference, 'return', 2)}, "
            f"{interval_text(f, rules)}; {p_text(f)}"
        )
    else:
        text = f"{fmt(f.value, f.unit, 2)}"
        if f.detail:
            text += f" ({f.detail})"
        if f.base_label and not math.isnan(f.base):
            text += f"; {f.base_label}: {fmt(f.base, f.base_unit)}"
        return text
    if f.detail:
        text += f"; {f.detail}"
    if f.excluded:
        text += f"; {f.excluded} event(s) without an outcome left out"
    if f.dependence:
        text += f"; {f.dependence}"
    return text


def quoted_text(f: Finding) -> str:
    return f"quoted: {f.claimed_text}" if f.claimed_text else ""


def _wrap(text: str, indent: str, first: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=first or indent, subsequent_indent=indent) or [
        first
    ]


def finding_lines(f: Finding, number: int) -> list[str]:
    lines = _wrap(f"{f.label}", "     ", f"  {number}. ")
    lines += _wrap(result_text(f), "     ")
    if f.claimed_text:
        lines += _wrap(quoted_text(f).capitalize(), "     ")
    lines += _wrap(f"-> {f.verdict_label}: {f.reason}", "        ", "     ")
    return lines


def claim_summary(result: ClaimResult) -> str:
    """About one screen per claim: quotes, definition, findings with verdicts."""
    rule = "=" * WIDTH
    lines = [rule, f"{result.name}: {result.title}", rule]
    for quote in result.quotes:
        lines += _wrap(f'"{quote}"', "   ", "  ")
    if result.headline:
        lines.append("Answer:")
        for sentence in result.headline:
            lines += _wrap(sentence, "    ", "  - ")
    lines.append("Definition:")
    for sentence in result.definition:
        lines += _wrap(sentence, "    ", "  - ")
    lines.append("Results:")
    for i, f in enumerate(result.findings, 1):
        lines += finding_lines(f, i)
    lines.append(f"Verdict: {result.verdict_label} (on the headline finding, 1.)")
    return "\n".join(lines)


def run_summary(results: list[ClaimResult]) -> str:
    """Every claim's summary, then each claim's answer in a few wrapped lines (never cut)."""
    parts = [claim_summary(r) for r in results]
    table = ["", "Claim answers (the quote first, then the headline finding's verdict):"]
    for r in results:
        lines = r.headline or [r.findings[0].label]
        table += _wrap(f"{r.name}: {lines[0]}", "      ", "  ")
        for line in lines[1:]:
            table += _wrap(line, "      ", "      ")
        table += _wrap(f"Verdict: {r.verdict_label}, n = {r.findings[0].n}", "      ", "      ")
    return "\n\n".join(parts) + "\n" + "\n".join(table)
