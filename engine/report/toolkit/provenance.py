"""What every report records about how it was made: versions, run id, data and its findings."""

from __future__ import annotations

import datetime as dt
import platform
import secrets
from collections.abc import Iterable
from dataclasses import asdict
from importlib import metadata

from engine.data.model import DataIssue, MarketData

__all__ = [
    "PACKAGES",
    "data_record",
    "grouped_issues",
    "new_run_id",
    "package_versions",
    "period_record",
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
