"""The report folder: its layout, the CSV/JSON files, and the atomic publish.

Layout: reports_root/<title>/<run_id>/ holding report.html, report.md, equity.png, drawdown.png,
stats.csv, yearly_returns.csv, equity.csv, weights.csv, target_weights.csv, orders.csv,
<key>.csv per strategy table, config.toml and run.json (written last: it lists every other file
with its SHA-256). reports_root/<title>/latest.txt holds the id of the latest run written.

Everything is written into reports_root/<title>/.tmp-<run_id>-<random>/ and renamed into place
only once complete; on any failure the temporary folder is removed, so a report folder either
exists complete or not at all. An existing run folder is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.data.model import MarketData
from engine.errors import RotationLabError
from engine.report import html, markdown, plots
from engine.report.model import ReportInput
from engine.results import BacktestResult

TEMP_PREFIX = ".tmp-"
LATEST_FILE = "latest.txt"
FIXED_FILES = (
    "report.html",
    "report.md",
    "equity.png",
    "drawdown.png",
    "stats.csv",
    "yearly_returns.csv",
    "equity.csv",
    "weights.csv",
    "target_weights.csv",
    "orders.csv",
    "config.toml",
    "run.json",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
_FORBIDDEN_IN_COMPONENT = ("/", "\\", "\0")


class ReportError(RotationLabError):
    """The report could not be written (folder not writable, run folder exists, bad name)."""


# --------------------------------------------------------------------------- JSON and CSV


def jsonable(value: object) -> object:
    """`value` with only JSON types: NaN/inf -> None, dates -> ISO text, numpy -> Python."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if value is pd.NaT:
        return None
    if isinstance(value, dt.date | np.datetime64):
        return html.iso(value)
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return jsonable(asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset | np.ndarray | pd.Index | pd.Series):
        return [jsonable(v) for v in value]
    return str(value)


def csv_text(frame: pd.DataFrame, index: bool = True) -> str:
    """CSV with full float precision (shortest round-trip repr) and ISO dates."""
    out = frame.copy()
    for position, dtype in enumerate(out.dtypes):
        if pd.api.types.is_object_dtype(dtype):  # dates held in object columns
            out.isetitem(position, out.iloc[:, position].map(_csv_cell))
    if index and pd.api.types.is_object_dtype(out.index.dtype):
        out.index = pd.Index([_csv_cell(v) for v in out.index], name=out.index.name)
    return out.to_csv(index=index, date_format="%Y-%m-%d", lineterminator="\n")


def _csv_cell(value: object) -> object:
    if isinstance(value, dt.date | np.datetime64) and not html.is_missing(value):
        return html.iso(value)
    return value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ReportFolder:
    """Writes files into one folder and remembers each file's name, size and SHA-256."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files: list[dict[str, object]] = []

    def write_bytes(self, name: str, data: bytes) -> None:
        if any(f["name"] == name for f in self.files):
            raise ReportError(f"report file {name} would be written twice")
        (self.path / name).write_bytes(data)
        self.files.append({"name": name, "bytes": len(data), "sha256": _sha256(data)})

    def write_text(self, name: str, text: str) -> None:
        self.write_bytes(name, text.encode("utf-8"))

    def write_csv(self, name: str, frame: pd.DataFrame, index: bool = True) -> None:
        self.write_text(name, csv_text(frame, index=index))

    def write_json(self, name: str, record: dict[str, object]) -> None:
        """`record` as strict JSON (NaN and infinities as null, dates as ISO text)."""
        text = json.dumps(jsonable(record), indent=2, ensure_ascii=False, allow_nan=False)
        self.write_text(name, text + "\n")


# --------------------------------------------------------------------------- the frames


def equity_frame(inp: ReportInput) -> pd.DataFrame:
    """Daily equity of the strategy and every benchmark, one column each (outer-joined dates)."""
    columns = {inp.strategy.name: inp.strategy.equity}
    columns.update({name: result.equity for name, result in inp.benchmarks.items()})
    frame = pd.concat(columns, axis=1)
    frame.index.name = "date"
    return frame


def realised_weights_frame(result: BacktestResult) -> pd.DataFrame:
    """Realised daily weights of one run plus the uninvested share as `cash`."""
    frame = result.weights.copy()
    frame["cash"] = result.cash_weight.reindex(frame.index)
    frame.index.name = "date"
    return frame


def weights_frame(inp: ReportInput) -> pd.DataFrame:
    """Realised daily weights of the strategy plus the uninvested share as `cash`."""
    return realised_weights_frame(inp.strategy)


def target_weights_frame(inp: ReportInput) -> pd.DataFrame:
    """The strategy's decision rows (the all-NaN 'no change' rows left out)."""
    target = inp.strategy.target_weights
    frame = target[~target.isna().all(axis=1)].copy()
    frame.index.name = "date"
    return frame


def data_record(data: MarketData, fingerprint: str) -> dict[str, object]:
    """run.json's data section: the fingerprint, each ticker's provenance, every finding."""
    return {
        "fingerprint_sha256": fingerprint,
        "tickers": {ticker: asdict(info) for ticker, info in data.sources.items()},
        "issues": [asdict(issue) for issue in data.issues],
    }


def period_record(period: tuple[object, object], note: str) -> dict[str, str]:
    """A period as run.json states it: ISO start and end dates and why they are what they are."""
    return {"start": html.iso(period[0]), "end": html.iso(period[1]), "note": note}


def run_record(
    inp: ReportInput, fingerprint: str, created_at: str, files: list[dict[str, object]]
) -> dict[str, object]:
    """The content of run.json."""
    return {
        "run_id": inp.run_id,
        "title": inp.title,
        "description": inp.description,
        "command": inp.command,
        "created_at": created_at,
        "period": period_record(inp.period, inp.period_note),
        "config": inp.config,
        "versions": inp.versions,
        "data": data_record(inp.data, fingerprint),
        "notes": list(inp.notes),
        "verdicts": {
            "lines": list(inp.verdict_lines),
            "tables": {
                k: f.reset_index().to_dict("records") for k, f in inp.verdict_tables.items()
            },
        },
        "files": files,
    }


def _write_files(inp: ReportInput, folder: Path) -> None:
    """Every report file into `folder` (run.json last, listing the others with their hashes)."""
    created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    fingerprint = inp.data.fingerprint()
    out = ReportFolder(folder)

    stats = inp.stats.copy()
    stats.index.name = stats.index.name or "metric"
    yearly = inp.yearly.copy()
    yearly.index.name = yearly.index.name or "year"
    out.write_csv("stats.csv", stats)
    out.write_csv("yearly_returns.csv", yearly)
    out.write_csv("equity.csv", equity_frame(inp))
    out.write_csv("weights.csv", weights_frame(inp))
    out.write_csv("target_weights.csv", target_weights_frame(inp))
    out.write_csv("orders.csv", inp.strategy.orders, index=False)
    for key, frame in inp.tables.items():
        name = f"{key}.csv"
        if not _SAFE_NAME.match(str(key)) or name in FIXED_FILES:
            raise ReportError(
                f"strategy table {key!r} cannot be written as {name}: use letters, digits, "
                "'_', '-' or '.', not starting with a dot, and not a name the report uses"
            )
        has_index = html.has_meaningful_index(frame)
        out.write_csv(name, frame, index=has_index)
    out.write_text("config.toml", inp.config_toml)

    equity_png = plots.equity_png(inp)
    out.write_bytes("equity.png", equity_png)
    drawdown_png = plots.drawdown_png(inp)
    out.write_bytes("drawdown.png", drawdown_png)

    view = html.build_view(inp, fingerprint=fingerprint, created_at=created_at)
    out.write_text("report.html", html.render_html(view, equity_png, drawdown_png))
    out.write_text("report.md", markdown.render_markdown(view))

    out.write_json("run.json", run_record(inp, fingerprint, created_at, list(out.files)))


# --------------------------------------------------------------------------- publishing


def _check_component(value: str, what: str) -> None:
    """`value` must be usable as one folder name under reports_root."""
    if (
        not value
        or value != value.strip()
        or value in (".", "..")
        or value.startswith(".")
        or any(ch in value for ch in _FORBIDDEN_IN_COMPONENT)
    ):
        raise ReportError(
            f"the report {what} {value!r} cannot be used as a folder name "
            "(empty, leading dot or space, or a path separator)"
        )


def _make_temp_dir(parent: Path, run_id: str) -> Path:
    for _ in range(100):
        candidate = parent / f"{TEMP_PREFIX}{run_id}-{secrets.token_hex(4)}"
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise ReportError(f"could not create a temporary folder in {parent}")


def _write_latest(title_dir: Path, run_id: str) -> None:
    """latest.txt <- run_id, atomically (temporary file in the same folder + os.replace)."""
    target = title_dir / LATEST_FILE
    temp = title_dir / f"{TEMP_PREFIX}{LATEST_FILE}-{secrets.token_hex(4)}"
    try:
        temp.write_text(run_id, encoding="utf-8")
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ReportError(
            f"the report {title_dir / run_id} was written but {target} could not be updated: "
            f"{exc.strerror or exc}"
        ) from exc


def write_report(inp: ReportInput, reports_root: Path) -> Path:
    """Write the complete report of one run and return its folder, reports_root/<title>/<run_id>.

    Raises ReportError if the run folder already exists (it is never overwritten) or if the
    folder cannot be written; in every failure case no partial report folder is left behind.
    """
    return publish_folder(
        reports_root, inp.title, inp.run_id, lambda folder: _write_files(inp, folder)
    )


def publish_folder(
    reports_root: Path, title: str, run_id: str, fill: Callable[[Path], None]
) -> Path:
    """Create reports_root/<title>/<run_id> atomically: `fill` writes into a temporary folder
    that is renamed into place only when it returns; latest.txt then names the run.

    Raises ReportError if the run folder already exists (it is never overwritten) or if the
    folder cannot be written; in every failure case no partial report folder is left behind.
    """
    _check_component(title, "title")
    _check_component(run_id, "run id")
    title_dir = Path(reports_root) / title
    final = title_dir / run_id
    if final.exists():
        raise ReportError(f"report folder {final} already exists; refusing to overwrite it")
    try:
        title_dir.mkdir(parents=True, exist_ok=True)
        temp = _make_temp_dir(title_dir, run_id)
    except OSError as exc:
        raise ReportError(
            f"cannot create the report folder under {title_dir}: {exc.strerror or exc}"
        ) from exc

    try:
        fill(temp)
        if final.exists():  # another process published the same run id meanwhile
            raise ReportError(f"report folder {final} already exists; refusing to overwrite it")
        try:
            # On POSIX, rename onto an existing non-empty folder fails instead of replacing it.
            os.rename(temp, final)
        except OSError as exc:
            if final.exists():
                raise ReportError(
                    f"report folder {final} already exists; refusing to overwrite it"
                ) from exc
            raise
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise ReportError(f"could not write the report {final}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise

    _write_latest(title_dir, run_id)
    return final
