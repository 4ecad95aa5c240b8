"""Running claims: load the prices a claim needs, compute it, judge it, redo it under every
convention of its `[sensitivity]` table.

Prices come only through `engine.data.load_market_data`, so provenance and validation are the
same as for backtests. The data are cut at the last session any loaded ticker has a price.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import tomli_w
from pydantic_core import to_jsonable_python

from engine.claim_checks.definitions import ClaimBase, definition_dict, variants
from engine.claim_checks.eras import counterpart_lines
from engine.claim_checks.headline import headline_lines
from engine.claim_checks.kinds import Kind, registry
from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.verdict import NOT_SUPPORTED, SUPPORTED, Rules, judge
from engine.config.settings import DataSettings
from engine.data import load_market_data
from engine.data.model import MarketData
from engine.errors import BadInputError, DataQualityError
from engine.inference.multiplicity import holm

SMALL_N_FACTOR = 3  # below min_n * this, intervals are called wide in the notes


def load_claim_data(
    kind: Kind, definitions: list[ClaimBase], settings: DataSettings, project_root: Path
) -> MarketData:
    """Every ticker any of the definitions reads, from the earliest start any needs (or the
    monthly factors, for a kind that reads them)."""
    sources = {kind.data_source(d) for d in definitions}
    if sources == {"factors"}:
        from engine.data.factor_source import factor_market_data, load_factors

        return factor_market_data(load_factors(settings, project_root))
    tickers = list(dict.fromkeys(t for d in definitions for t in kind.tickers(d)))
    starts = [kind.data_start(d) for d in definitions]
    start = None if any(s is None for s in starts) else min(s for s in starts if s)
    data = load_market_data(tickers, start, None, settings, project_root)
    last = data.last_valid().dropna()
    if last.empty:
        raise DataQualityError(f"none of {', '.join(tickers)} has a price in the range asked")
    data = data.select(end=last.max())
    first = data.first_valid().dropna()
    for defn in definitions:
        _check_claim_date(defn, data.index[data.index >= first.min()])
    return data


DATE_SLACK = pd.Timedelta(days=4)  # a weekend or holiday after the last session still reads it


def _check_claim_date(defn: ClaimBase, index: pd.DatetimeIndex) -> None:
    """A claim date outside the data would be answered with another day's value (the last
    session's, or none): refuse it, naming the range the data cover."""
    field = type(defn).DATE_FIELD
    when = getattr(defn, field) if field else None
    if when is None or index.empty:
        return
    day = pd.Timestamp(when)
    if index[0] <= day <= index[-1] + DATE_SLACK:
        return
    raise BadInputError(
        f"claim {defn.name}: {field} = {day.date()} is outside the data, which cover "
        f"{index[0].date()}..{index[-1].date()}; give a date in that range (or none for the "
        "latest)"
    )


def _conventions_text(combo: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in combo.items()) or "headline"


def finding_row(f: Finding) -> dict[str, object]:
    """A finding as one flat row (for findings.csv and the sensitivity table)."""
    return {
        "finding": f.key,
        "label": f.label,
        "test": f.test,
        "direction": f.direction,
        "unit": f.unit,
        "n": f.n,
        "hits": f.hits,
        "value": f.value,
        "base": f.base,
        "base_n": f.base_n,
        "base_label": f.base_label,
        "difference": f.difference if f.test == "mean_difference" else None,
        "ci_low": f.interval[0],
        "ci_high": f.interval[1],
        "base_hits": f.base_hits,
        "p_value": f.p_value,
        "p_adjusted": f.p_adjusted,
        "family": f.family,
        "p_method": f.p_method,
        "interval_method": f.interval_method,
        "dependence": f.dependence,
        "claimed": f.claimed,
        "excluded": f.excluded,
        "claim_type": f.claim_type,
        "quoted": "; ".join(f"{q:g}" for q in f.quoted),
        "observed": "; ".join(f"{o:g}" for o in f.observed),
        "quote_reproduced": f.quote_reproduced,
        "quote_p_value": f.quote_p,
        "quote_test": f.quote_p_method,
        "verdict": f.verdict,
        "verdict_label": f.verdict_label,
        "reason": f.reason,
        "answer": f.answer,
    }


def sensitivity_table(
    kind: Kind, data: MarketData, defn: ClaimBase, rules: Rules, headline: list[Finding]
) -> pd.DataFrame:
    """One row per (convention combination, finding); the headline combination first."""
    rows = []
    listed = variants(defn)
    default = listed[0][0]
    for i, (combo, variant) in enumerate(listed):
        found = headline if i == 0 else [judge(f, rules) for f in kind.findings(data, variant)]
        changed = {k: v for k, v in combo.items() if v != default[k]}
        for number, f in enumerate(found, 1):
            row: dict[str, object] = {
                "conventions": _conventions_text(combo) if i else "headline",
                "changed": _conventions_text(changed) if i else "headline",
                "number": number,  # the finding's place: its key may name a convention
            }
            row.update({f"set_{k}": str(v) for k, v in combo.items()})
            row.update(finding_row(f))
            rows.append(row)
    return with_family_correction(pd.DataFrame(rows), rules)


def with_family_correction(table: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Holm-adjusted p-values per finding across the conventions, and which rows survive.

    The default convention is the pre-stated primary test; the other conventions re-test the
    same claim on largely the same years, so the family of a finding is its tested rows over
    every convention (those with a claimed direction and a p-value), and Holm's step-down
    correction holds the chance of any false 'supported' in it at 1 - confidence under any
    dependence. Romano-Wolf's stepwise test would use that dependence and be less strict, but
    needs resampled statistics of every convention on common draws, which the kinds do not
    share. `survives`: supported and still below 1 - confidence after the correction.
    """
    if table.empty:
        return table
    table = table.copy()
    table["p_adjusted"] = float("nan")
    table["family"] = 0
    tested = table["direction"].isin(["above_base", "below_base"]) & (table["test"] != "fact")
    for _, rows in table[tested].groupby("number"):
        ps = rows["p_value"].astype(float).to_numpy()
        adjusted = holm(ps)
        table.loc[rows.index, "p_adjusted"] = adjusted
        table.loc[rows.index, "family"] = int(pd.notna(ps).sum())
    alpha = 1.0 - rules.confidence
    table["survives"] = (table["verdict"] == SUPPORTED) & (table["p_adjusted"] < alpha)
    return table


def _with_adjusted(findings: list[Finding], table: pd.DataFrame) -> list[Finding]:
    """The headline findings with their family-adjusted p-values (the default row's)."""
    if table.empty:
        return findings
    head = table[table["conventions"] == "headline"].set_index("number")
    out = []
    for number, f in enumerate(findings, 1):
        if number in head.index and int(head.at[number, "family"]) > 1:
            f = replace(
                f,
                p_adjusted=float(head.at[number, "p_adjusted"]),
                family=int(head.at[number, "family"]),
            )
        out.append(f)
    return out


def _notes(result: ClaimResult, rules: Rules) -> list[str]:
    notes = []
    few = [f for f in result.findings if f.test != "fact" and f.n < rules.min_n]
    if few:
        notes.append(
            "Too few cases to tell: "
            + "; ".join(f"{f.label} (n = {f.n})" for f in few)
            + f". The minimum is {rules.min_n} (stats.min_n)."
        )
    small = [
        f
        for f in result.findings
        if f.test != "fact" and rules.min_n <= f.n < rules.min_n * SMALL_N_FACTOR
    ]
    if small:
        notes.append(
            "Small samples, wide intervals: "
            + "; ".join(f"{f.label} (n = {f.n})" for f in small)
            + ". One or two cases more or less would move these shares by several points."
        )
    tested = result.sensitivity
    if not tested.empty:
        judged = tested[
            tested["verdict"].isin([SUPPORTED, NOT_SUPPORTED]) & (tested["test"] != "fact")
        ]
        combos = tested["conventions"].nunique()
        hits = int((judged["verdict"] == SUPPORTED).sum())
        survivors = int(judged["survives"].sum())
    if not tested.empty and judged.empty:
        notes.append(
            f"The sensitivity table recomputes the findings under {combos} convention(s); none "
            "of its rows tests a claimed direction (only quoted facts and descriptive "
            "statistics), so the values themselves show how much the convention matters."
        )
    elif not tested.empty:
        notes.append(
            f"Many conventions, many chances: the sensitivity table recomputes the findings "
            f"under {combos} convention(s): {len(judged)} judged tests, of which {hits} came out "
            f"'supported' and {survivors} still do after Holm's correction for the conventions "
            f"tried (per finding). With no real effect, about {1 - rules.confidence:.0%} of "
            "independent tests would come out 'supported' by chance; the corrected count "
            "removes that. The verdict is the default convention's (the pre-stated primary "
            "test); the press rarely says which convention it used."
        )
    excluded = [f for f in result.findings if f.excluded]
    for f in excluded:
        notes.append(f"{f.label}: {f.excluded} event(s) left out (outcome not in the data).")
    return notes


def run_claim(defn: ClaimBase, settings: DataSettings, project_root: Path) -> ClaimResult:
    """One claim: load its prices (for every convention listed), then `evaluate`."""
    kind = registry()[defn.kind]
    data = load_claim_data(kind, [v for _, v in variants(defn)], settings, project_root)
    return evaluate(defn, data)


def evaluate(defn: ClaimBase, data: MarketData) -> ClaimResult:
    """One claim on given prices: result, verdicts, sensitivity table, notes, config."""
    kind = registry()[defn.kind]
    result = kind.compute(data, defn)
    rules = Rules(min_n=defn.stats.min_n, confidence=defn.stats.confidence)
    result.findings = [judge(f, rules) for f in result.findings]
    result.sensitivity = sensitivity_table(kind, data, defn, rules, result.findings)
    result.findings = _with_adjusted(result.findings, result.sensitivity)
    answers = headline_lines(result, list(defn.sensitivity), rules)
    result.headline = [line for _, line in answers] + result.headline  # then the kind's
    for number, line in answers:  # each finding carries its answer into findings.csv
        result.findings[number - 1] = replace(result.findings[number - 1], answer=line)
    result.notes = result.notes + _notes(result, rules)
    config = definition_dict(defn)
    result.config = to_jsonable_python(config)  # JSON types, as the report records them
    result.config_toml = f"# effective definition of {defn.name}\n" + tomli_w.dumps(config)
    result.data = data
    if not all(result.period):
        firsts, lasts = data.first_valid().dropna(), data.last_valid().dropna()
        result.period = (_iso(firsts.min()), _iso(lasts.max()))
    return result


def _iso(value: object) -> str:
    return pd.Timestamp(value).date().isoformat() if pd.notna(value) else ""


def run_claims(
    definitions: list[ClaimBase], settings: DataSettings, project_root: Path
) -> list[ClaimResult]:
    """Several claims; a claim's counterpart run alongside is set beside it."""
    results = [run_claim(d, settings, project_root) for d in definitions]
    counterpart_lines(results)
    return results
