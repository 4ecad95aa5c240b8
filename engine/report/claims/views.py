"""Each claim's section of the claims report as display tables: findings, sensitivity, events,
data, and the verdict table that opens the page. Formatted once for HTML and Markdown."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

from engine.claim_checks.result import ClaimResult, Finding
from engine.claim_checks.summary import quoted_text, result_text
from engine.claim_checks.verdict import Rules, fmt
from engine.report.toolkit.format import human_column, is_missing
from engine.report.toolkit.page import png_data_uri
from engine.report.toolkit.provenance import issues_table
from engine.report.toolkit.tables import Cell, Table, frame_table, has_meaningful_index

__all__ = ["ClaimView", "claim_view", "findings_table", "table_of", "verdict_table"]

EVENTS_SHOWN = 400  # event rows shown in HTML/Markdown; events.csv has them all
TABLE_ROWS_SHOWN = 60  # rows of the other tables shown; their CSV files have them all


def _limited(frame: pd.DataFrame, limit: int, csv_name: str) -> tuple[pd.DataFrame, str]:
    if len(frame) > limit:
        return frame.head(limit), f"The first {limit} of {len(frame)} rows; all in {csv_name}."
    return frame, f"All {len(frame)} rows (also in {csv_name})." if len(frame) else "No rows."


def table_of(frame: pd.DataFrame, title: str, csv_name: str, limit: int) -> Table:
    """A claim's table in words (human column names), numbers right-aligned; the CSV keeps the
    machine names and full precision."""
    shown, note = _limited(frame, limit, csv_name)
    return frame_table(shown, title, note, label=human_column)


def findings_table(findings: list[Finding], rules: Rules) -> Table:
    rows = []
    for i, f in enumerate(findings, 1):
        cls = {"supported": "pos", "not supported": "neg"}.get(f.verdict, "")
        rows.append(
            [
                Cell(str(i)),
                Cell(f.label),
                Cell(str(f.n)),
                Cell(result_text(f)),
                Cell(f.claimed_text),
                Cell(f.verdict, cls),
                Cell(f.reason),
            ]
        )
    columns = ["#", "Statistic", "n", "Result", "Quoted", "Verdict", "Why"]
    note = f"Intervals at {rules.confidence:.0%}; minimum n {rules.min_n}."
    return Table("Findings", columns, rows, [False, False, True, False, False, False, False], note)


def sensitivity_display(frame: pd.DataFrame) -> pd.DataFrame:
    """The sensitivity rows in short form: conventions, statistic, n, value, interval, verdict."""
    if frame.empty:
        return frame
    rows = []
    for _, r in frame.iterrows():
        unit = "share" if r["test"] == "proportion" else "return"
        if r["test"] == "fact":
            value = fmt(r["value"], str(r["unit"]), 2)
            interval = ""
        elif r["test"] == "proportion":
            value = f"{int(r['hits'])}/{int(r['n'])} = {fmt(r['value'], unit)}"
            if not is_missing(r.get("base_hits")):
                value += f" vs {int(r['base_hits'])}/{int(r['base_n'])} = {fmt(r['base'], unit)}"
            interval = f"{fmt(r['ci_low'], unit)} to {fmt(r['ci_high'], unit)}"
        else:
            value = f"{fmt(r['value'], unit, 2)} vs {fmt(r['base'], unit, 2)}"
            interval = f"{fmt(r['ci_low'], unit, 2)} to {fmt(r['ci_high'], unit, 2)}"
        if r["test"] != "fact" and r["direction"] == "above_base":
            interval = f"above {fmt(r['ci_low'], unit, 2)} (one-sided)"
        elif r["test"] != "fact" and r["direction"] == "below_base":
            interval = f"below {fmt(r['ci_high'], unit, 2)} (one-sided)"
        two_sample = r["test"] == "mean_difference" or not is_missing(r.get("base_hits"))
        base = fmt(r["base"], unit) if r["test"] == "proportion" and not two_sample else ""
        rows.append(
            {
                "conventions": r["conventions"],
                "finding": r["finding"],
                "n": str(int(r["n"])),
                "value": value,
                "base rate": base,
                "95% interval": interval,
                "p": "" if is_missing(r["p_value"]) else f"{r['p_value']:.3f}",
                "p adjusted (Holm)": ""
                if is_missing(r.get("p_adjusted")) or int(r.get("family", 0) or 0) < 2
                else f"{r['p_adjusted']:.3f}",
                "verdict": r["verdict"],
                "survives correction": "yes" if r.get("survives") is True else "",
            }
        )
    return pd.DataFrame(rows)


@dataclass
class ClaimView:
    name: str
    title: str
    kind: str
    quotes: list[str]
    source: str
    definition: list[str]
    verdict: str
    verdict_label: str  # the verdict with what it is on: a quoted fact vs a predictive claim
    answer: list[str]  # the headline: the answer to the quote, first
    findings: Table
    notes: list[str]
    sensitivity: Table
    tables: list[Table]
    events: Table
    provenance: Table
    issues: Table
    period: str
    fingerprint: str
    config_toml: str
    charts: dict[str, str] = field(default_factory=dict)  # file name -> data URI


def _provenance(result: ClaimResult) -> tuple[Table, Table]:
    data = result.data
    if data is None:
        empty = Table("Data provenance", [], [], [], "No data.")
        return empty, Table("Data validation issues", [], [], [], "")
    prov = pd.DataFrame([asdict(s) for s in data.sources.values()])
    prov_table = (
        frame_table(prov, "Data provenance", label=human_column)
        if len(prov)
        else Table("Data provenance", [], [], [], "No provenance recorded.")
    )
    issues = issues_table(list(data.issues))
    if issues.empty:
        issues.note = "Validation found no issue."
    return prov_table, issues


def claim_view(result: ClaimResult, charts: dict[str, bytes] | None = None) -> ClaimView:
    stats = result.config.get("stats", {})
    rules = Rules(min_n=stats.get("min_n", 10), confidence=stats.get("confidence", 0.95))
    sens = sensitivity_display(result.sensitivity)
    sens_table = (
        frame_table(
            sens,
            "Sensitivity to conventions",
            label=human_column,
            note=f"{len(sens)} rows; full numbers in {result.name}/sensitivity.csv. 'headline' "
            "is the convention of the findings above.",
        )
        if len(sens)
        else Table("Sensitivity to conventions", [], [], [], "No alternative convention listed.")
    )
    tables = [
        table_of(
            frame, key.replace("_", " ").capitalize(), f"{result.name}/{key}.csv", TABLE_ROWS_SHOWN
        )
        for key, frame in result.tables.items()
        if not frame.empty
    ]
    events = result.events.reset_index() if has_meaningful_index(result.events) else result.events
    prov, issues = _provenance(result)
    charts = charts or {}
    return ClaimView(
        name=result.name,
        title=result.title,
        kind=result.kind,
        quotes=result.quotes,
        source=str(result.config.get("source", "")),
        definition=result.definition,
        verdict=result.verdict,
        verdict_label=result.verdict_label,
        answer=list(result.headline),
        findings=findings_table(result.findings, rules),
        notes=result.notes,
        sensitivity=sens_table,
        tables=tables,
        events=table_of(events, "Events", f"{result.name}/events.csv", EVENTS_SHOWN),
        provenance=prov,
        issues=issues,
        period=f"{result.period[0]} to {result.period[1]}",
        fingerprint=result.data.fingerprint() if result.data is not None else "",
        config_toml=result.config_toml,
        charts={name: png_data_uri(data) for name, data in charts.items()},
    )


VERDICT_CLASS = {
    "supported": "pos",
    "reproduced": "pos",
    "not supported": "neg",
    "not reproduced": "neg",
}


def verdict_table(results: list[ClaimResult]) -> Table:
    rows = []
    for r in results:
        f = r.findings[0]
        cls = VERDICT_CLASS.get(r.verdict, "")
        rows.append(
            [
                Cell(r.name),
                Cell(f.label),
                Cell(str(f.n)),
                Cell(result_text(f)),
                Cell(quoted_text(f)),
                Cell(r.verdict_label or r.verdict, cls),
            ]
        )
    columns = ["Claim", "Headline statistic", "n", "Result", "Quoted", "Verdict"]
    return Table("Verdicts", columns, rows, [False, False, True, False, False, False])
