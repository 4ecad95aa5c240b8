"""The offline mirror: a folder of `<TICKER>.csv` files, parsed strictly.

Strict because these files are edited by hand: a wrong header, an unparsable date or number,
or a row with the wrong number of fields is refused with the file and line named, instead of
being guessed at. Duplicate dates are left to validation (they parse, but are ambiguous); the
History keeps each row's line so that refusal can name the lines too.
"""

from __future__ import annotations

import _csv
import csv
import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.cache import History, utc_now_iso
from engine.data.mirror_file import read_file
from engine.data.model import FIELDS
from engine.errors import DataUnavailableError

COLUMNS = ("date", *FIELDS)
TAIL_BYTES = 4096


def mirror_path(mirror_dir: Path, ticker: str) -> Path:
    return mirror_dir / f"{ticker}.csv"


def read_mirror(mirror_dir: Path, ticker: str) -> History | None:
    """The ticker's history from the mirror, None when the folder or the file is absent."""
    path = mirror_path(mirror_dir, ticker)
    try:
        raw, stat = read_file(path, ticker)
    except FileNotFoundError:
        return None
    frame, lines = parse_csv_lines(raw, path)
    if frame.empty:
        raise DataUnavailableError(
            f"{ticker}: the mirror file {path} has a header but no rows. Fill it or delete it."
        )
    return History(
        ticker=ticker,
        frame=frame,
        provider="mirror",
        origin=str(path.resolve()),
        fetched_at=utc_now_iso(),
        extra={
            "mirror_size": str(stat.st_size),
            "mirror_mtime_ns": str(stat.st_mtime_ns),
            "mirror_sha256": hashlib.sha256(raw).hexdigest(),
        },
        source_lines=lines,
    )


def _fail(path: Path, line: int | None, problem: str) -> DataUnavailableError:
    where = f"{path}, line {line}" if line is not None else str(path)
    return DataUnavailableError(
        f"{where}: {problem}. Fix the file (expected header {','.join(COLUMNS)}, ISO dates "
        "ascending, numbers or empty fields) or remove it from the mirror folder."
    )


def parse_csv(raw: bytes, path: Path) -> pd.DataFrame:
    """Parse mirror CSV bytes into a history frame; errors name the file and 1-based line."""
    return parse_csv_lines(raw, path)[0]


def parse_csv_lines(raw: bytes, path: Path) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """`parse_csv` plus the 1-based file line of each row (later findings can name them)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, None, f"not UTF-8 text ({exc})") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(path, 1, "the file is empty (no header)")
        _check_header([h.strip() for h in header], path)
        lines, rows = _rows(reader, path)
    except csv.Error as exc:
        raise _fail(path, reader.line_num, f"malformed CSV ({exc})") from exc
    return _to_frame(lines, rows, path), tuple(lines)


def _check_header(header: list[str], path: Path) -> None:
    if tuple(header) == COLUMNS:
        return
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    parts = []
    if missing:
        parts.append(f"missing column(s) {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected column(s) {', '.join(extra)}")
    if not parts:
        parts.append(f"columns in the wrong order ({','.join(header)})")
    raise _fail(path, 1, "bad header: " + "; ".join(parts))


def _rows(reader: _csv.Reader, path: Path) -> tuple[list[int], list[list[str]]]:
    """Every data row with its line number; only trailing blank lines are tolerated."""
    lines: list[int] = []
    rows: list[list[str]] = []
    blank_at: int | None = None
    for row in reader:
        if not row or all(not cell.strip() for cell in row):
            blank_at = blank_at or reader.line_num
            continue
        if blank_at is not None:
            raise _fail(path, blank_at, "blank line inside the data")
        if len(row) != len(COLUMNS):
            raise _fail(path, reader.line_num, f"{len(row)} fields, expected {len(COLUMNS)}")
        lines.append(reader.line_num)
        rows.append(row)
    return lines, rows


def _to_frame(lines: list[int], rows: list[list[str]], path: Path) -> pd.DataFrame:
    cells = np.array(rows, dtype=object).reshape(len(rows), len(COLUMNS))
    raw_dates = pd.Series(cells[:, 0], dtype=object).str.strip()
    dates = pd.to_datetime(raw_dates, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        i = int(bad[0])
        raise _fail(path, lines[i], f"unparsable date {cells[i, 0]!r} (expected YYYY-MM-DD)")
    index = pd.DatetimeIndex(dates, name="date").as_unit("ns")
    backwards = np.flatnonzero(np.diff(index.asi8) < 0)
    if backwards.size:
        i = int(backwards[0]) + 1
        raise _fail(path, lines[i], f"date {cells[i, 0]} is earlier than the line before")
    data = {}
    for j, name in enumerate(FIELDS, start=1):
        data[name] = _numbers(cells[:, j], name, lines, path)
    return pd.DataFrame(data, index=index, columns=list(FIELDS))


def _numbers(column: np.ndarray, name: str, lines: list[int], path: Path) -> np.ndarray:
    text = pd.Series(column, dtype=object).str.strip()
    empty = (text == "").to_numpy()
    values = pd.to_numeric(text.where(~empty, None), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~empty & ~np.isfinite(values))
    if bad.size:
        i = int(bad[0])
        raise _fail(path, lines[i], f"{name} value {column[i]!r} is not a finite number")
    return values


def list_tickers(mirror_dir: Path) -> list[str]:
    """Tickers the mirror folder holds (file stems), empty when the folder is absent."""
    if not mirror_dir.is_dir():
        return []
    return sorted(p.stem for p in mirror_dir.glob("*.csv") if p.is_file())


def summary(path: Path) -> tuple[str | None, str | None, int]:
    """(first date, last date, rows) of a mirror file without parsing it.

    Reads the first data line, the tail of the file and counts newlines, which is enough for
    `data status` and cheap on large files.
    """
    with path.open("rb") as handle:
        handle.readline()  # header
        first_line = handle.readline()
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read()
        handle.seek(0)
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    lines = [ln for ln in tail.splitlines() if ln.strip()]
    ends_with_newline = tail.endswith(b"\n")
    total_lines = newlines + (0 if ends_with_newline or size == 0 else 1)
    rows = max(0, total_lines - 1 - _trailing_blank_lines(tail))
    first = _date_of(first_line)
    last = _date_of(lines[-1]) if lines and rows else None
    return first, last, rows


def _trailing_blank_lines(tail: bytes) -> int:
    count = 0
    for line in reversed(tail.splitlines()):
        if line.strip():
            break
        count += 1
    return count


def _date_of(line: bytes) -> str | None:
    head = line.split(b",", 1)[0].strip().decode("utf-8-sig", errors="replace")
    return head or None
