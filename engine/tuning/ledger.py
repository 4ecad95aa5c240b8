"""The trials ledger, reports/<strategy>/trials-ledger.csv: every sweep's number of combinations.

Later sweeps deflate their best result by every trial recorded, so the ledger must survive
crashes: it is rewritten whole (temporary file, fsync, os.replace) under a lock, never appended
in place. A ledger torn by an older version or a hand edit is not fatal: its readable rows still
count, the unreadable lines are reported in one warning, and the next write keeps a copy of the
damaged file (`*.corrupt-<time>`) before replacing it with the readable rows plus the new one.

The name is chosen so no glob of sweep folders (`sweep-<run-id>`) can match it; the ledger of
older versions, `sweep-trials.csv`, is read when the new one does not exist yet and folded into it
on the next write.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from engine.errors import RotationLabError

__all__ = ["COLUMNS", "LEDGER", "Ledger", "LedgerError", "read_ledger", "record", "recorded_trials"]

LEDGER = "trials-ledger.csv"
OLD_LEDGER = "sweep-trials.csv"
COLUMNS = ("run_id", "created_at", "combinations", "engine", "grid")
LOCK_TIMEOUT_S = 30.0


class LedgerError(RotationLabError):
    """The ledger could not be updated (lock held too long, folder not writable)."""


@dataclass(frozen=True)
class Ledger:
    """The readable rows of a ledger and, when some lines were not, what is wrong."""

    path: Path
    rows: tuple[dict[str, str], ...]
    problem: str = ""  # "" when every line was readable

    @property
    def trials(self) -> int:
        return sum(int(r["combinations"]) for r in self.rows)


def _valid(row: dict[str, str | None]) -> bool:
    if None in row or any(row.get(c) is None for c in COLUMNS):  # wrong number of fields
        return False
    text = str(row["combinations"]).strip()
    return text.isdigit() and int(text) >= 1


def read_ledger(strategy_dir: Path) -> Ledger:
    """The ledger's readable rows; never raises on a damaged file (see `Ledger.problem`)."""
    path = Path(strategy_dir) / LEDGER
    if not path.exists() and (Path(strategy_dir) / OLD_LEDGER).is_file():
        path = Path(strategy_dir) / OLD_LEDGER
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger(path, ())
    except (OSError, UnicodeDecodeError) as exc:
        return Ledger(path, (), f"the trials ledger {path} cannot be read ({exc}); not counted")
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        return Ledger(path, (), f"the trials ledger {path} has an unknown header; not counted")
    rows, bad = [], []
    try:
        for row in reader:
            if _valid(row):
                rows.append(row)
            else:
                bad.append(reader.line_num)
    except csv.Error as exc:
        bad.append(f"{reader.line_num} ({exc})")
    problem = ""
    if bad:
        lines = ", ".join(str(b) for b in bad[:5]) + (" ..." if len(bad) > 5 else "")
        problem = (
            f"the trials ledger {path} has {len(bad)} unreadable line(s) (line {lines}), "
            f"probably torn by a crash; they are not counted ({len(rows)} readable sweep(s) are) "
            "and the next sweep rewrites it, keeping a copy of this file"
        )
    return Ledger(path, tuple({c: str(r[c]) for c in COLUMNS} for r in rows), problem)


def recorded_trials(strategy_dir: Path) -> int:
    """Combinations tried by the recorded sweeps; a damaged ledger is one warning on stderr."""
    ledger = read_ledger(strategy_dir)
    if ledger.problem:
        print(f"warning: {ledger.problem}", file=sys.stderr)
    return ledger.trials


def _text(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record(strategy_dir: Path, row: dict[str, object]) -> Path:
    """Add one sweep's row: the whole ledger is rewritten atomically under its lock."""
    strategy_dir = Path(strategy_dir)
    path = strategy_dir / LEDGER
    try:
        with FileLock(str(strategy_dir / f".{LEDGER}.lock"), timeout=LOCK_TIMEOUT_S):
            ledger = read_ledger(strategy_dir)
            if ledger.problem and ledger.path.exists():
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                keep = ledger.path.with_name(f"{ledger.path.name}.corrupt-{stamp}")
                keep.write_bytes(ledger.path.read_bytes())
            rows = [*ledger.rows, {c: str(row[c]) for c in COLUMNS}]
            _replace(path, _text(rows))
            if ledger.path.name == OLD_LEDGER:  # folded into the new ledger
                ledger.path.unlink(missing_ok=True)
    except Timeout as exc:
        raise LedgerError(
            f"the sweep report was written but {path} is locked by another sweep for more "
            f"than {LOCK_TIMEOUT_S:g} s; this sweep's {row['combinations']} combination(s) "
            "are not recorded. Rerun when the other sweep has finished."
        ) from exc
    except OSError as exc:
        raise LedgerError(
            f"the sweep report was written but {path} could not be updated "
            f"({exc.strerror or exc}); this sweep's trials are not recorded"
        ) from exc
    return path
