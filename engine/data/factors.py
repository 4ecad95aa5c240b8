"""The Fama/French monthly factors, read strictly: the offline copy and French's published file.

Two shapes of one table (Kenneth R. French Data Library, "Fama/French 3 Factors", dataset
`F-F_Research_Data_Factors`; monthly returns in percent, months as YYYYMM):

- the mirror copy (`../shared/factor-data/F-F_Research_Data_Factors_monthly.csv`, see its
  SOURCES.md): a header `Date,Mkt-RF,SMB,HML,RF`, then one row per month, nothing else;
- the published file (the library's `F-F_Research_Data_Factors_CSV.zip`, one CSV inside): a
  text preamble, the header `,Mkt-RF,SMB,HML,RF`, the monthly rows, a blank line, an
  "Annual Factors: January-December" section with its own header and one row per year, then a
  copyright line. Only the monthly section is used; the annual rows are counted for provenance.

Strict because a month silently lost or misread would move every yearly figure: a wrong
header, an unparsable month or number, months out of order or twice are refused with the line
named. French marks a missing value -99.99 (or -999): such a month is kept as missing and
flagged by `month_gaps`, never filled.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data.model import DataIssue
from engine.errors import DataQualityError, DataUnavailableError

__all__ = [
    "COLUMNS",
    "DATASET",
    "MISSING_CODES",
    "FactorTable",
    "month_gaps",
    "parse_mirror",
    "parse_published",
    "read_zip",
]

DATASET = "F-F_Research_Data_Factors"
COLUMNS = ("Mkt-RF", "SMB", "HML", "RF")
MISSING_CODES = (-99.99, -999.0)  # French's marks for a missing value
MAX_ABS_PERCENT = 100.0  # a monthly factor return beyond +-100% is not a plausible value
ANNUAL_TITLE = re.compile(r"annual\s+factors", re.IGNORECASE)


@dataclass(frozen=True)
class FactorTable:
    """The monthly factors (percent), indexed by month (a monthly PeriodIndex named "month")."""

    monthly: pd.DataFrame
    annual_rows: int = 0  # rows of the published file's annual section (0 for the mirror copy)


def _fail(origin: str, line: int | None, problem: str) -> DataQualityError:
    where = f"{origin}, line {line}" if line is not None else origin
    return DataQualityError(
        f"{where}: {problem}. The factor file must hold the header {','.join(('Date', *COLUMNS))}"
        " and one row per month (YYYYMM, ascending, numbers in percent); fix or replace it."
    )


def _rows_to_table(rows: list[tuple[int, list[str]]], origin: str) -> pd.DataFrame:
    """(line, cells) of monthly rows -> the checked frame."""
    if not rows:
        raise _fail(origin, None, "no monthly rows")
    months: list[pd.Period] = []
    values = np.full((len(rows), len(COLUMNS)), np.nan)
    for i, (line, cells) in enumerate(rows):
        if len(cells) != len(COLUMNS) + 1:
            raise _fail(origin, line, f"{len(cells)} fields, expected {len(COLUMNS) + 1}")
        text = cells[0].strip()
        if not re.fullmatch(r"\d{6}", text) or not 1 <= int(text[4:]) <= 12:
            raise _fail(origin, line, f"unparsable month {text!r} (expected YYYYMM)")
        month = pd.Period(year=int(text[:4]), month=int(text[4:]), freq="M")
        if months and month <= months[-1]:
            what = "appears twice" if month == months[-1] else "is earlier than the line before"
            raise _fail(origin, line, f"month {text} {what}")
        months.append(month)
        for j, cell in enumerate(cells[1:]):
            try:
                number = float(cell.strip())
            except ValueError:
                raise _fail(origin, line, f"{COLUMNS[j]} value {cell!r} is not a number") from None
            if any(abs(number - code) < 1e-9 for code in MISSING_CODES):
                continue  # French's missing-value mark: stays missing, flagged by month_gaps
            if not np.isfinite(number) or abs(number) > MAX_ABS_PERCENT:
                raise _fail(origin, line, f"{COLUMNS[j]} value {cell.strip()} is not plausible")
            values[i, j] = number
    index = pd.PeriodIndex(months, freq="M", name="month")
    return pd.DataFrame(values, index=index, columns=list(COLUMNS))


def _decode(raw: bytes, origin: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # French's files are plain ASCII; older copies cp1252


def parse_mirror(raw: bytes, origin: str) -> FactorTable:
    """The mirror copy: header `Date,Mkt-RF,SMB,HML,RF`, then only monthly rows."""
    reader = csv.reader(io.StringIO(_decode(raw, origin), newline=""))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != ("Date", *COLUMNS):
        raise _fail(origin, 1, f"bad header {','.join(header or [])!r}")
    rows: list[tuple[int, list[str]]] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        rows.append((reader.line_num, cells))
    return FactorTable(_rows_to_table(rows, origin))


def parse_published(text: str, origin: str) -> FactorTable:
    """French's published CSV: preamble, monthly section, annual section, copyright."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header_at = next((i for i, ln in enumerate(lines) if ln.lstrip().startswith(",")), None)
    if header_at is None or [c.strip() for c in lines[header_at].split(",")] != ["", *COLUMNS]:
        line = None if header_at is None else header_at + 1
        raise _fail(origin, line, f"no header line ',{','.join(COLUMNS)}' (is it {DATASET}?)")
    rows: list[tuple[int, list[str]]] = []
    end = len(lines)
    for i in range(header_at + 1, len(lines)):
        if not lines[i].strip():
            end = i
            break  # the monthly section ends at the first blank line
        rows.append((i + 1, lines[i].split(",")))
    table = _rows_to_table(rows, origin)
    annual = 0
    rest = lines[end:]
    title = next((i for i, ln in enumerate(rest) if ANNUAL_TITLE.search(ln)), None)
    if title is not None:
        for ln in rest[title + 2 :]:  # after the title and the section's header
            head = ln.split(",", 1)[0].strip()
            if not re.fullmatch(r"\d{4}", head):
                break
            annual += 1
    return FactorTable(table, annual_rows=annual)


def read_zip(raw: bytes, origin: str) -> str:
    """The one CSV inside the library's zip download, as text."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise DataUnavailableError(
                    f"{origin}: expected one CSV file in the zip, found {names or 'none'}"
                )
            return _decode(archive.read(names[0]), origin)
    except zipfile.BadZipFile as exc:
        raise DataUnavailableError(f"{origin}: not a zip file ({exc})") from exc


def month_gaps(table: pd.DataFrame, label: str) -> list[DataIssue]:
    """Months missing between the first and the last, and months with a missing value: each a
    warning naming the months (the compounded series stop at the first one, see
    `factor_levels`)."""
    full = pd.period_range(table.index[0], table.index[-1], freq="M")
    gaps = (
        (
            full.difference(table.index),
            "missing_months",
            "month(s) missing inside the data ({listed}); nothing is filled: the compounded "
            "series stop before the first gap",
        ),
        (
            table.index[table.isna().any(axis=1).to_numpy()],
            "missing_values",
            "month(s) with a missing value (-99.99 or -999 in French's files: {listed}); nothing "
            "is filled: the series with a gap stop before it",
        ),
    )
    issues = []
    for months, kind, text in gaps:
        if len(months):
            shown = [str(m) for m in months]
            listed = ", ".join(shown[:10]) + (" ..." if len(shown) > 10 else "")
            message = f"{label}: {len(shown)} " + text.format(listed=listed)
            issues.append(DataIssue(label, kind, "warning", message, tuple(shown)))
    return issues
