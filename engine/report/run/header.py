"""What the single-run and the comparison report both state about the run itself: its title,
id, command, period and notes, and how it was made (data provenance, findings, fingerprint,
package versions), formatted once for both views (`RunHeader`, the base of each)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from engine.data.model import MarketData, SourceInfo
from engine.report.toolkit.format import human_column, iso
from engine.report.toolkit.format import plain as _plain
from engine.report.toolkit.provenance import issues_table
from engine.report.toolkit.tables import Cell, Table

__all__ = ["PROVENANCE_COLUMNS", "RunHeader", "header_fields"]

PROVENANCE_COLUMNS = tuple(f.name for f in fields(SourceInfo))  # a column per recorded fact


class RunRecord(Protocol):
    """What a single run's and a comparison's report input both hold about the run."""

    run_id: str
    command: str
    period: tuple[dt.date, dt.date]
    period_note: str
    notes: list[str]
    data: MarketData
    versions: dict[str, str]


@dataclass(kw_only=True)
class RunHeader:
    """The fields every run report's view has, already formatted (the templates and
    `engine.report.run.markdown.run_header_markdown` read them from either view)."""

    title: str
    run_id: str
    command: str
    created_at: str
    period_start: str
    period_end: str
    period_note: str
    notes: list[str]
    provenance: Table
    issues: Table
    fingerprint: str
    versions: Table


def header_fields(
    inp: RunRecord, title: str, fingerprint: str | None, created_at: str | None
) -> dict[str, Any]:
    """The `RunHeader` fields of a report input, as keywords for the view; the data's
    fingerprint and the time now unless given (the writer passes the ones run.json records)."""
    if fingerprint is None:
        fingerprint = inp.data.fingerprint()
    if created_at is None:
        created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return {
        "title": title,
        "run_id": inp.run_id,
        "command": inp.command,
        "created_at": created_at,
        "period_start": iso(inp.period[0]),
        "period_end": iso(inp.period[1]),
        "period_note": inp.period_note,
        "notes": list(inp.notes),
        "provenance": provenance_view(inp.data),
        "issues": issues_table(list(inp.data.issues)),
        "fingerprint": fingerprint,
        "versions": versions_view(inp.versions),
    }


def provenance_view(data: MarketData) -> Table:
    """Where each ticker's prices came from: the requested tickers first, then any other."""
    sources, tickers = data.sources, data.tickers
    order = [t for t in tickers if t in sources] + [t for t in sources if t not in tickers]
    rows = []
    for ticker in order:
        info = asdict(sources[ticker])
        rows.append([Cell(_plain(info[c])) for c in PROVENANCE_COLUMNS])
    numeric = [c == "rows" for c in PROVENANCE_COLUMNS]
    note = "" if rows else "No provenance was recorded for the price data."
    columns = [human_column(c) for c in PROVENANCE_COLUMNS]
    return Table("Data provenance", columns, rows, numeric, note)


def versions_view(versions: dict[str, str]) -> Table:
    rows = [[Cell(str(name)), Cell(str(version))] for name, version in versions.items()]
    return Table("Package versions", ["package", "version"], rows, [False, False])
