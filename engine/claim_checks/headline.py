"""The headline of a claim: the answer to the quote, before anything else.

A researcher arrives with a quoted figure ("nine of the past 10 years"). The headline says, for
each finding with a quoted figure (the headline finding first): under which conventions of the
sensitivity table the data give that figure, whether the figure itself would beat the base rate
(and by which test), and then what the default convention gives, with its verdict. A claim that
quotes no figure gets the default convention's result and how many conventions agree.
"""

from __future__ import annotations

import math

import pandas as pd

from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.verdict import SUPPORTED, Rules, fmt

__all__ = ["DEFAULT", "convention_set", "headline_lines", "short_result"]

DEFAULT = "the default"  # how the headline convention is named in a list of conventions
LISTED = 4  # conventions named one by one before "and N more"


def short_result(f: Finding) -> str:
    """A finding's number in a few words (no interval)."""
    if f.test == "proportion" and f.base_hits is not None:
        return (
            f"{f.hits} of {f.n} after the signal ({fmt(f.value, 'share')}) vs {f.base_hits} of "
            f"{f.base_n} otherwise ({fmt(f.base, 'share')}), {_p(f.p_value)}{_adj(f)}"
        )
    if f.test == "proportion":
        return f"{f.hits} of {f.n} ({fmt(f.value, 'share')})"
    if f.test == "mean_difference":
        return (
            f"mean {fmt(f.value, 'return', 2)} vs {fmt(f.base, 'return', 2)} "
            f"(difference {fmt(f.difference, 'return', 2)}, n = {f.n} vs {f.base_n}, "
            f"{_p(f.p_value)}{_adj(f)})"
        )
    return fmt(f.value, f.unit, 2)


def _p(p: float) -> str:
    if math.isnan(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _adj(f: Finding) -> str:
    if f.family <= 1:
        return ""
    bare = _p(f.p_adjusted).removeprefix("p = ").removeprefix("p ")
    return f", {bare} adjusted for {f.family} conventions"


def _values(rows: pd.DataFrame, key: str) -> list[str]:
    return list(dict.fromkeys(rows[f"set_{key}"].astype(str)))


def convention_set(rows: pd.DataFrame, chosen: pd.DataFrame, keys: list[str]) -> str:
    """The conventions of `chosen` (a subset of `rows`, the sensitivity rows of one finding) in
    words: by the values that matter when the subset is a product of values, else one by one."""
    total = len(rows)
    if chosen.empty:
        return f"none of the {total} conventions"
    if len(chosen) == total:
        return f"all {total} conventions"
    count = f"{len(chosen)} of {total} conventions"
    wanted = {k: _values(chosen, k) for k in keys}
    inside = pd.Series(True, index=rows.index)
    for k, values in wanted.items():
        inside &= rows[f"set_{k}"].astype(str).isin(values)
    if keys and int(inside.sum()) == len(chosen):
        parts = [
            f"{k} = {' or '.join(v)}" for k, v in wanted.items() if len(v) < len(_values(rows, k))
        ]
        others = ", any value of the other conventions" if len(parts) < len(keys) else ""
        return f"{', '.join(parts)} ({count}{others})"
    names = [DEFAULT if c == "headline" else str(c) for c in chosen["changed"]]
    shown = "; ".join(names[:LISTED])
    more = f"; and {len(names) - LISTED} more" if len(names) > LISTED else ""
    return f"{shown}{more} ({count})"


def _quote_test(f: Finding, rules: Rules) -> str:
    if f.test == "fact":
        return (
            "A quoted fact says what the data show, not what follows from it: no base rate to beat."
        )
    if math.isnan(f.quote_p):
        return ""
    beats = f.quote_p < 1.0 - rules.confidence
    if f.test == "proportion" and f.base_hits is not None:
        quoted = f"{f.claimed_text} ({fmt(f.claimed, 'share')})"
        against = f"{f.base_hits} of {f.base_n} otherwise ({fmt(f.base, 'share')})"
    elif f.test == "proportion":
        quoted = f"{f.claimed_text} ({fmt(f.claimed, 'share')})"
        against = f"the {fmt(f.base, 'share')} base rate"
    else:
        quoted = f.claimed_text
        against = f"the mean of {f.base_label} ({fmt(f.base, 'return', 2)})"
    verb = "would beat" if beats else "would not beat"
    test = f"{f.quote_p_method}, {_p(f.quote_p)}"
    return f"Even exactly as quoted, {quoted} {verb} {against}: {test}."


def _default(f: Finding) -> str:
    return f"Default convention: {short_result(f)}, {f.verdict_label}."


def _rows(sens: pd.DataFrame, number: int) -> pd.DataFrame:
    """The sensitivity rows of the finding in place `number` (its key may vary with them)."""
    return sens[sens["number"] == number] if not sens.empty else sens


def _quoted_line(f: Finding, number: int, sens: pd.DataFrame, keys: list[str], rules: Rules) -> str:
    rows = _rows(sens, number)
    if rows.empty:
        where = "under the default convention" if f.quote_reproduced else "not under the default"
        lead = f'Quoted "{f.claimed_text}": reproduced {where}.'
    else:
        chosen = rows[rows["quote_reproduced"].fillna(False).astype(bool)]
        lead = f'Quoted "{f.claimed_text}": reproduced under {convention_set(rows, chosen, keys)}.'
    return " ".join(part for part in (lead, _quote_test(f, rules), _default(f)) if part)


def _finding_line(f: Finding, sens: pd.DataFrame, keys: list[str], quoted_any: bool) -> str:
    """The headline finding (number 1) when it quotes no figure."""
    lead = "The headline finding" if quoted_any else "No figure is quoted; the headline finding"
    label = f.label[0].lower() + f.label[1:] if f.label[1:2].islower() else f.label  # not "BIG"
    text = f"{lead}, {label}: {short_result(f)}, {f.verdict_label}."
    rows = _rows(sens, 1)
    if len(rows) > 1 and f.claim_type == "predictive claim":
        chosen = rows[rows["survives"].fillna(False).astype(bool)] if "survives" in rows else rows
        raw = int((rows["verdict"] == SUPPORTED).sum())
        text += (
            f" Supported under {convention_set(rows, chosen, keys)} after Holm's correction "
            f"for the conventions tried ({raw} before it)."
        )
    return text


_MEASURES = {
    "proportion": "the share of cases with the outcome",
    "mean_difference": "the mean return",
}


def disagreement(result: ClaimResult) -> str:
    """A sentence naming each predictive finding whose verdict differs from the headline
    finding's, and why they can differ, so the headline never contradicts a finding silently."""
    head = result.findings[0]
    if head.claim_type != "predictive claim":
        return ""
    parts = []
    for number, f in enumerate(result.findings[1:], 2):
        if f.claim_type != "predictive claim" or f.verdict == head.verdict:
            continue
        if f.test != head.test:
            why = (
                f"it tests {_MEASURES.get(f.test, f.test)}, not "
                f"{_MEASURES.get(head.test, head.test)}: a few large moves can shift a mean "
                "without changing how often the outcome happens"
            )
        else:
            why = "it counts another sample or outcome (see its label)"
        parts.append(f"finding {number} ({f.label[:60]}) is {f.verdict}: {why}")
    return ("Not a contradiction: " + "; ".join(parts) + ".") if parts else ""


def headline_lines(result: ClaimResult, keys: list[str], rules: Rules) -> list[tuple[int, str]]:
    """(finding number, line): one per finding with a quoted figure (in finding order, so the
    headline finding's first), then the headline finding's own line when it quotes none."""
    if not result.findings:
        return []
    head = result.findings[0]
    quoted = [(i, f) for i, f in enumerate(result.findings, 1) if f.quote_reproduced is not None]
    sens = result.sensitivity
    lines = [(i, _quoted_line(f, i, sens, keys, rules)) for i, f in quoted]
    if head.quote_reproduced is None:
        lines.append((1, _finding_line(head, sens, keys, bool(quoted))))
    other = disagreement(result)
    if other:  # said in the same line as the headline finding's verdict
        lines = [(n, f"{line} {other}" if n == 1 else line) for n, line in lines]
    return lines
