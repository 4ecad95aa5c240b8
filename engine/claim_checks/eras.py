"""A claim's findings era by era, and beside its counterpart on other data.

Calendar effects found in one period often vanish in another (Sullivan, Timmermann and White,
2001), so a claim with `era_breaks` (e.g. [1988]: before 1988, and 1988 on) is recomputed over
the whole span and over each era with the same kind, the same statistics and the same verdict
rules: nothing here computes a statistic. A claim with a `counterpart` (the daily version of a
monthly claim) is set beside that claim's finding when both run together.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.claim_checks.headline import short_result
from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.verdict import Rules, fmt, judge
from engine.data.model import MarketData

if TYPE_CHECKING:
    from collections.abc import Callable

    from engine.claim_checks.definitions import ClaimBase
    from engine.claim_checks.kinds import Kind

__all__ = ["counterpart_lines", "described", "era_answer", "era_table", "eras"]

WHOLE = "all years"


def eras(defn: Any) -> list[tuple[str, int, int | None]]:
    """(label, first year, last year or None = the latest): the whole span, then each era."""
    breaks = list(getattr(defn, "era_breaks", []) or [])
    if not breaks:
        return []
    bounds = [defn.start_year, *breaks]
    out: list[tuple[str, int, int | None]] = [(WHOLE, defn.start_year, defn.end_year)]
    for i, start in enumerate(bounds):
        if i + 1 < len(bounds):
            end: int | None = bounds[i + 1] - 1
            label = f"before {bounds[i + 1]}" if i == 0 else f"{start}-{end}"
        else:
            end, label = defn.end_year, f"{start} on"
        out.append((label, start, end))
    return out


def described(defn: Any, sources: dict[str, str], own: list[str], after: str = "") -> list[str]:
    """The definition's sentences for a kind with eras: its data (`sources`, by the claim's
    `data_source`) and years, the kind's `own` sentences, then the eras it is split into."""
    names = ", ".join(label for label, _, _ in eras(defn)) or "none"
    return [
        f"Data: {sources[defn.data_source]}; years {defn.start_year} to "
        f"{defn.end_year or 'the latest'}.",
        *own,
        f"Eras: {names}, each with the same statistics and verdict rules.{after}",
    ]


def _interval(f: Finding) -> str:
    lo, hi = f.interval
    if math.isnan(lo) or math.isnan(hi):
        return ""
    unit = "return" if f.test == "mean_difference" else f.unit
    return f"{fmt(lo, unit)} to {fmt(hi, unit)}"


def era_table(
    kind: Kind,
    data: MarketData,
    defn: ClaimBase,
    span_of: Callable[[MarketData, ClaimBase], str],
) -> pd.DataFrame:
    """One row per (finding, era): the finding recomputed on the era's years and judged by the
    same rules; `span_of` names the years the kind actually counted ("1927-1987")."""
    rules = Rules(min_n=defn.stats.min_n, confidence=defn.stats.confidence)
    rows = []
    base = {**defn.model_dump(), "era_breaks": [], "sensitivity": {}, "counterpart": None}
    for label, start, end in eras(defn):
        variant = type(defn).model_validate({**base, "start_year": start, "end_year": end})
        span = span_of(data, variant)
        for number, found in enumerate(kind.findings(data, variant), 1):
            f = judge(found, rules)
            rows.append(
                {
                    "finding": f.key,
                    "era": label,
                    "years": span,
                    "n": f.n,
                    "base_n": f.base_n,
                    "result": short_result(f),
                    "interval": _interval(f),
                    "p_value": f.p_value,
                    "vs_base": SIDE_WORD[_side(f.value, f.base)],
                    "verdict": f.verdict,
                    "first": number == 1,
                }
            )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    # the headline finding's rows first, so the eras of the answer sit side by side
    ordered = frame.sort_values("first", ascending=False, kind="stable").drop(columns="first")
    return ordered.reset_index(drop=True)


def era_answer(table: pd.DataFrame, cases: str, base_cases: str) -> list[str]:
    """The headline finding era by era, with how many cases each verdict rests on (`cases`
    against `base_cases`: "signal years" against "years", "Januaries" against "other months")."""
    if table.empty:
        return []
    head = table[table["finding"] == table["finding"].iloc[0]]
    parts = [
        f"{r.era}, {r.years} ({r.n} {cases} against {r.base_n} {base_cases}): {r.result}, "
        f"{r.verdict}"
        for r in head.itertuples()
    ]
    verdicts = set(head["verdict"])
    same = "the same verdict in every era" if len(verdicts) == 1 else "verdicts differ by era"
    return [f"Era by era, on the headline finding ({same}): " + "; ".join(parts) + "."]


def _row_of(result: ClaimResult, key: str, conventions: dict[str, Any]) -> pd.Series | None:
    """The counterpart's sensitivity row for finding `key` under `conventions` (the rest at
    the counterpart's defaults)."""
    sens = result.sensitivity
    if sens.empty:
        return None
    rows = sens[sens["finding"] == key]
    headline = rows[rows["conventions"] == "headline"]
    if headline.empty:
        return None
    wanted = {c: headline.iloc[0][c] for c in rows.columns if c.startswith("set_")}
    unknown = [k for k in conventions if f"set_{k}" not in wanted]
    if unknown:
        return None
    wanted.update({f"set_{k}": str(v) for k, v in conventions.items()})
    chosen = rows
    for column, value in wanted.items():
        chosen = chosen[chosen[column].astype(str) == str(value)]
    return chosen.iloc[0] if len(chosen) else None


SIDE_WORD = {1: "above", -1: "below", 0: "level"}
SIDE = {1: "above its base", -1: "below its base", 0: "level with its base"}


def _side(value: float, base: float) -> int:
    """Where an estimate lies against its base (a base rate, or the other sample's mean)."""
    edge = value - base
    return 0 if math.isnan(edge) or edge == 0 else (1 if edge > 0 else -1)


def counterpart_lines(results: list[ClaimResult]) -> None:
    """Add, to each result whose definition names a counterpart run alongside, a sentence and
    a `counterpart` table setting the two versions side by side."""
    by_name = {r.name: r for r in results}
    for r in results:
        spec = r.config.get("counterpart") if isinstance(r.config, dict) else None
        if not spec or not r.findings:
            continue
        if spec.get("claim") not in by_name:
            r.headline.append(
                f"Its counterpart {spec.get('claim')} was not run alongside; run both (e.g. "
                f"`claims {r.name} {spec.get('claim')}`, or `claims` for all) to compare them."
            )
            continue
        other = by_name[spec["claim"]]
        row = _row_of(other, spec["finding"], dict(spec.get("conventions") or {}))
        if row is None:
            r.headline.append(
                f"The counterpart {spec['claim']} has no finding {spec['finding']!r} under "
                f"{spec.get('conventions') or 'its defaults'}; nothing to compare."
            )
            continue
        conventions = ", ".join(f"{k} = {v}" for k, v in (spec.get("conventions") or {}).items())
        theirs = _counterpart_frame(other, row, conventions)
        ours = _own_rows(r)
        r.headline.append(_comparison(ours, theirs, spec["claim"]))
        both = pd.concat([ours, theirs], ignore_index=True)
        r.tables = {"counterpart": both.drop(columns="_side"), **r.tables}


def _own_rows(r: ClaimResult) -> pd.DataFrame:
    """This claim's headline finding over all years and the last era (or as found)."""
    eras_frame = r.tables.get("eras", pd.DataFrame())
    if not eras_frame.empty:
        head = eras_frame[eras_frame["finding"] == eras_frame["finding"].iloc[0]]
        picked = head.iloc[[0, -1]] if len(head) > 1 else head
        sides = [{v: k for k, v in SIDE_WORD.items()}[s] for s in picked["vs_base"]]
    else:
        f = r.findings[0]
        picked = pd.DataFrame(
            [{"era": WHOLE, "years": f"{r.period[0][:4]}-{r.period[1][:4]}", "n": f.n,
              "base_n": f.base_n, "result": short_result(f), "verdict": f.verdict}]
        )  # fmt: skip
        sides = [_side(f.value, f.base)]
    out = picked[["era", "years", "n", "base_n", "result", "verdict"]].copy()
    out = out.rename(columns={"era": "era_or_conventions"})
    out.insert(0, "claim", r.name)
    out["_side"] = sides
    return out


def _counterpart_frame(other: ClaimResult, row: pd.Series, conventions: str) -> pd.DataFrame:
    f = Finding(
        key=str(row["finding"]),
        label=str(row["label"]),
        test=row["test"],
        direction=row["direction"],
        unit=row["unit"],
        n=int(row["n"]),
        value=float(row["value"]),
        base=float(row["base"]),
        base_n=int(row["base_n"]),
        hits=None if pd.isna(row["hits"]) else int(row["hits"]),
    )
    return pd.DataFrame(
        [
            {
                "claim": other.name,
                "era_or_conventions": conventions or "its default conventions",
                "years": f"{other.period[0][:4]}-{other.period[1][:4]}",
                "n": f.n,
                "base_n": f.base_n,
                "result": short_result(f),
                "verdict": str(row["verdict"]),
                "_side": _side(f.value, f.base),
            }
        ]
    )


SIDE = {1: "above its base", -1: "below its base", 0: "level with its base"}


def _comparison(ours: pd.DataFrame, theirs: pd.DataFrame, name: str) -> str:
    t = theirs.iloc[0]
    recent = ours.iloc[-1]
    agree = "agree" if recent["verdict"] == t["verdict"] else "disagree"
    same_way = recent["_side"] == t["_side"]
    way = "the same side" if same_way else "opposite sides"
    theirs_as, ours_as = t["era_or_conventions"], recent["era_or_conventions"]
    return (
        f"Against {name} ({theirs_as}; n = {t['n']} against {t['base_n']}, data {t['years']}): "
        f"{t['result']}, {t['verdict']}. On the overlapping years ({ours_as}, "
        f"{recent['years']}: {recent['result']}, {recent['verdict']}) the two {agree} on the "
        f"verdict, and their estimates lie on {way} "
        f"of their base rates ({name}: {SIDE[int(t['_side'])]}; this claim: "
        f"{SIDE[int(recent['_side'])]})."
    )
