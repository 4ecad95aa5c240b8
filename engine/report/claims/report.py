"""The claims report: one folder per run with HTML, Markdown, the summary and every event as CSV.

Layout of reports_root/claims/<run_id>/:
    report.html, report.md   one section per claim (quotes, definition, findings, verdicts,
                             caveats, sensitivity table, tables, events, data provenance)
    summary.txt              the summary printed in the terminal
    findings.csv             every headline finding of every claim, one row each
    <claim>/events.csv       every event of the claim with its outcomes
    <claim>/sensitivity.csv  the findings recomputed under every listed convention
    <claim>/<table>.csv      the claim's other tables
    <claim>/definition.toml  the effective definition
    run.json                 command, versions, per-claim config and data provenance, and
                             every file with its SHA-256 (written last)

The folder is assembled under a temporary name and renamed into place when complete (as for
strategy reports, engine.report.run.writer), so a report exists complete or not at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from engine.claim_checks.result import ClaimResult
from engine.claim_checks.runner import finding_row
from engine.claim_checks.summary import run_summary
from engine.claim_checks.verdict import Rules
from engine.report.claims.plots import claim_charts
from engine.report.claims.views import ClaimView, claim_view, verdict_table
from engine.report.toolkit.escape import markdown_cell
from engine.report.toolkit.folder import ReportFolder, csv_text, publish_folder
from engine.report.toolkit.markdown import fenced, table_markdown
from engine.report.toolkit.page import render_page
from engine.report.toolkit.provenance import data_record, new_run_id
from engine.report.toolkit.provenance import package_versions as _versions
from engine.report.toolkit.tables import Cell, Table, has_meaningful_index

__all__ = ["TITLE", "package_versions", "write_claims_report"]

TITLE = "claims"
VERSIONED_PACKAGES = ("pandas", "numpy", "scipy", "numba", "pydantic", "exchange-calendars")


def package_versions() -> dict[str, str]:
    return _versions(VERSIONED_PACKAGES)


# --------------------------------------------------------------------------- rendering


CONVENTIONS = [
    "Forward windows are counted in sessions: 21, 63, 126 and 252 sessions stand for about 1, 3, "
    "6 and 12 months. An event whose window runs past the data is left out of that horizon "
    "and counted as such.",
    "Index levels use `close` (= adjusted close for an index); funds use `adj_close` (total "
    "return) unless a claim's definition says otherwise.",
    "A calendar year counts only when its last session is in the data; incomplete years are "
    "listed in the notes and never counted.",
    "Overlapping events are counted once per episode: a streak once, from the session it first "
    "reached k sessions; an RSI cross once, after at least m sessions below the threshold.",
    "After-the-signal shares are compared with the other years: Fisher's exact test and "
    "Newcombe's interval of the difference, both counts shown; a share against a quoted value "
    "gets the exact binomial (Clopper-Pearson) interval. Differences of yearly means get a "
    "bootstrap interval and a permutation p-value. Daily events with overlapping forward "
    "windows: means by a circular block bootstrap interval and a circular-shift p-value, "
    "shares on non-overlapping subsamples (each finding says which). One-sided claims get "
    "one-sided tests and intervals. Resampling is seeded (stats.seed), so a run is "
    "reproducible.",
]

MULTIPLE_TESTING = (
    "Testing many conventions inflates the chance of a 'hit': at the 5% level, about one test "
    "in twenty comes out 'supported' by chance alone. So the default convention (the test "
    "stated first) gives the verdict, the other conventions' p-values are corrected for the "
    "number tried (Holm), and 'supported under k of N conventions' counts only those that "
    "survive; the sensitivity tables show both p-values."
)


def render_html(views: list[ClaimView], meta: dict[str, object]) -> str:
    return render_page(
        "claims.html.j2",
        claims=views,
        meta=meta,
        conventions=CONVENTIONS,
        multiple_testing=MULTIPLE_TESTING,
    )


def render_markdown(views: list[ClaimView], meta: dict[str, object]) -> str:
    out = [f"# Claim checks ({len(views)} claim(s))"]
    out.append(f"Run `{meta['run_id']}`, generated {meta['created_at']}")
    out.append("**Command:**\n\n" + fenced(str(meta["command"]), "sh"))
    out.append("## Verdicts")
    out.append(table_markdown(meta["verdict_table"]))  # type: ignore[arg-type]
    out.append("## How to read this report")
    out.append("\n".join(f"- {c}" for c in CONVENTIONS))
    out.append("**Verdict rules.**\n\n" + "\n".join(f"- {r}" for r in meta["rules"]))  # type: ignore[union-attr]
    out.append(f"> **Many conventions, many chances.** {MULTIPLE_TESTING}")
    for v in views:
        out.append(f"## {markdown_cell(v.name)}: {markdown_cell(v.title)}")
        out.append(
            "\n".join(f"> {markdown_cell(q)}" for q in v.quotes)
            + (f"\n>\n> — {markdown_cell(v.source)}" if v.source else "")
        )
        if v.answer:
            out.append("**Answer.**\n\n" + "\n".join(f"- {line}" for line in v.answer))
        out.append(f"**Verdict: {v.verdict_label or v.verdict}.** Data {v.period}.")
        out += [f"![{v.name}: {name}]({v.name}/{name})" for name in v.charts]
        out.append("### Definition\n\n" + "\n".join(f"- {d}" for d in v.definition))
        out.append("### Findings")
        out.append(table_markdown(v.findings))
        if v.notes:
            out.append("### Notes and caveats\n\n" + "\n".join(f"- {n}" for n in v.notes))
        out.append(f"### {v.sensitivity.title}")
        out.append(table_markdown(v.sensitivity))
        for t in v.tables:
            out.append(f"### {t.title}")
            out.append(table_markdown(t))
        out.append("### Events")
        out.append(table_markdown(v.events))
        out.append("### Data")
        out.append(table_markdown(v.provenance))
        out.append(table_markdown(v.issues))
        out.append(f"SHA-256 of the prices used: `{v.fingerprint}`")
        out.append("### Effective definition")
        out.append(fenced(v.config_toml, "toml"))
    out.append("## Package versions")
    out.append(table_markdown(meta["versions_table"]))  # type: ignore[arg-type]
    return "\n\n".join(p for p in out if p) + "\n"


# Both kinds of "yes" in green, both kinds of "no" in red; the words say which kind it is.
# --------------------------------------------------------------------------- files


class _Files(ReportFolder):
    """The claims folder: ReportFolder with the claims' CSV conventions (nullable booleans)."""

    def text(self, name: str, text: str) -> None:
        self.write_text(name, text)

    def csv(self, name: str, frame: pd.DataFrame, index: bool) -> None:
        self.write_text(name, csv_text(_csv_ready(frame), index=index))


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable booleans as True/False/empty (pandas writes <NA> otherwise)."""
    out = frame.copy()
    for position, dtype in enumerate(out.dtypes):
        if isinstance(dtype, pd.BooleanDtype):
            out.isetitem(
                position,
                out.iloc[:, position].astype(object).where(out.iloc[:, position].notna(), None),
            )
    return out


def _claim_record(result: ClaimResult) -> dict[str, object]:
    data = result.data
    return {
        "title": result.title,
        "kind": result.kind,
        "quotes": result.quotes,
        "definition": result.definition,
        "verdict": result.verdict,
        "findings": [finding_row(f) for f in result.findings],
        "notes": result.notes,
        "config": result.config,
        "period": {"first": result.period[0], "last": result.period[1]},
        "data": data_record(data, data.fingerprint()) if data is not None else None,
    }


def _write_files(
    results: list[ClaimResult], folder: Path, run_id: str, command: str, summary: str
) -> None:
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = _Files(folder)
    charts: dict[str, dict[str, bytes]] = {}
    for r in results:
        charts[r.name] = claim_charts(r)
        for name, data in charts[r.name].items():
            out.write_bytes(f"{r.name}/{name}", data)
        out.csv(f"{r.name}/events.csv", r.events, index=has_meaningful_index(r.events))
        out.csv(f"{r.name}/sensitivity.csv", r.sensitivity, index=False)
        for key, frame in r.tables.items():
            out.csv(f"{r.name}/{key}.csv", frame, index=has_meaningful_index(frame))
        out.text(f"{r.name}/definition.toml", r.config_toml)
    rows = [{"claim": r.name, **finding_row(f)} for r in results for f in r.findings]
    out.csv("findings.csv", pd.DataFrame(rows), index=False)
    out.text("summary.txt", summary + "\n")
    versions = package_versions()
    first_stats = results[0].config.get("stats", {}) if results else {}
    rules = Rules(
        min_n=first_stats.get("min_n", 10), confidence=first_stats.get("confidence", 0.95)
    )
    meta: dict[str, object] = {
        "run_id": run_id,
        "created_at": created_at,
        "command": command,
        "rules": rules.describe(),
        "verdict_table": verdict_table(results),
        "versions_table": Table(
            "Package versions",
            ["package", "version"],
            [[Cell(k), Cell(v)] for k, v in versions.items()],
            [False, False],
        ),
    }
    views = [claim_view(r, charts[r.name]) for r in results]
    out.text("report.html", render_html(views, meta))
    out.text("report.md", render_markdown(views, meta))
    record = {
        "run_id": run_id,
        "title": TITLE,
        "command": command,
        "created_at": created_at,
        "versions": versions,
        "verdict_rules": rules.describe(),
        "claims": {r.name: _claim_record(r) for r in results},
        "files": list(out.files),
    }
    out.write_json("run.json", record)


def write_claims_report(
    results: list[ClaimResult],
    reports_root: Path,
    command: str,
    summary: str | None = None,
    run_id: str | None = None,
) -> Path:
    """Write the report of a claims run to reports_root/claims/<run_id>/ and return the folder.

    Refuses to overwrite an existing run folder; leaves no partial folder on failure.
    """
    run_id = run_id or new_run_id()
    text = summary or run_summary(results)
    return publish_folder(
        Path(reports_root),
        TITLE,
        run_id,
        lambda folder: _write_files(results, folder, run_id, command, text),
    )
