"""What every report records about how it was made: versions, run id, data and its findings."""

from __future__ import annotations

import datetime as dt
import platform
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from importlib import metadata
from typing import TYPE_CHECKING, Any

from engine.data.model import DataIssue, MarketData

if TYPE_CHECKING:
    from engine.report.toolkit.tables import Table

__all__ = [
    "PACKAGES",
    "data_record",
    "grouped_issues",
    "issues_table",
    "new_run_id",
    "package_versions",
    "period_record",
    "run_json",
]

# The packages whose versions can move a report's numbers or its look.
PACKAGES = (
    "vectorbt",
    "pandas",
    "numpy",
    "numba",
    "scipy",
    "yfinance",
    "matplotlib",
    "exchange-calendars",
    "pyarrow",
    "pydantic",
    "jinja2",
)
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def new_run_id() -> str:
    """UTC time to the second plus 6 random hex digits: sortable and unique enough."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def data_record(data: MarketData, fingerprint: str) -> dict[str, object]:
    """run.json's data section: the fingerprint, each ticker's provenance, every finding."""
    return {
        "fingerprint_sha256": fingerprint,
        "tickers": {ticker: asdict(info) for ticker, info in data.sources.items()},
        "issues": [asdict(issue) for issue in data.issues],
    }


def period_record(period: tuple[object, object], note: str) -> dict[str, str]:
    """A period as run.json states it: ISO start and end dates and why they are what they are."""
    from engine.report.toolkit.format import iso

    return {"start": iso(period[0]), "end": iso(period[1]), "note": note}


def grouped_issues(issues: Iterable[DataIssue]) -> list[tuple[str, list[DataIssue]]]:
    """The findings as a reader wants them: errors and warnings first, one by one; info-level
    findings ("history ends before today") grouped into one entry per kind.

    Returns (severity, issues) pairs: a warning or error alone, or every info of one kind.
    """
    issues = list(issues)
    serious = [i for i in issues if i.severity != "info"]
    serious.sort(key=lambda i: SEVERITY_ORDER.get(i.severity, 1))
    out: list[tuple[str, list[DataIssue]]] = [(i.severity, [i]) for i in serious]
    kinds: dict[str, list[DataIssue]] = {}
    for issue in issues:
        if issue.severity == "info":
            kinds.setdefault(issue.kind, []).append(issue)
    out += [("info", group) for group in kinds.values()]
    return out


def run_json(
    inp: Any, fingerprint: str, created_at: str, files: list[dict[str, object]], **kind: object
) -> dict[str, object]:
    """The run.json of a single-run or compare report: what every run records (id, title,
    command, period, versions, data, notes, files) around what its kind adds (`kind`)."""
    return {
        "run_id": inp.run_id,
        "title": inp.title,
        "command": inp.command,
        "created_at": created_at,
        "period": period_record(inp.period, inp.period_note),
        **kind,
        "versions": inp.versions,
        "data": data_record(inp.data, fingerprint),
        "notes": list(inp.notes),
        "files": files,
    }


ISSUE_DATES_SHOWN = 5  # affected dates listed per data issue


def _issue_dates(dates: tuple[str, ...]) -> str:
    from engine.report.toolkit.format import iso  # lazily, as period_record

    shown = ", ".join(iso(d) for d in dates[:ISSUE_DATES_SHOWN])
    more = len(dates) - ISSUE_DATES_SHOWN
    return f"{shown}, … (+{more} more)" if more > 0 else shown


def issues_table(issues: list) -> Table:
    """Validation findings, errors and warnings first (one row each), then the info-level ones
    grouped into one row per kind ("history ends before today" for six tickers is one line);
    the grouped messages are kept whole in the table's details."""
    from engine.report.toolkit.tables import Cell, Table

    rows = []
    details: list[str] = []
    for severity, group in grouped_issues(issues):
        first = group[0]
        dates = tuple(dict.fromkeys(d for issue in group for d in issue.dates))
        if len(group) == 1:
            ticker, message = first.ticker, first.message
        else:
            ticker = ", ".join(dict.fromkeys(i.ticker for i in group))
            message = f"{first.message} (and {len(group) - 1} more like it, listed below)"
            details += [i.message for i in group]
        rows.append(
            [
                Cell(ticker),
                Cell(first.kind),
                Cell(severity, f"sev-{severity}"),
                Cell(message),
                Cell(str(len(dates))),
                Cell(_issue_dates(dates)),
            ]
        )
    columns = ["Ticker", "Kind", "Severity", "Finding", "Dates", "First dates"]
    note = "" if rows else "Validation found no issue in the price data."
    numeric = [False, False, False, False, True, False]
    label = f"Every grouped info-level finding ({len(details)})" if details else ""
    return Table("Data validation issues", columns, rows, numeric, note, [], details, label)
