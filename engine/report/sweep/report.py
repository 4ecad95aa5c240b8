"""The sweep report: reports/<strategy>/sweep-<run-id>/, written atomically.

Files: combinations.parquet (and combinations.csv up to CSV_MAX_ROWS rows) for sweeps the
table of which is read back (READ_BACK_LIMIT rows); above that combinations/, the sweep's own
Parquet dataset (one part per chunk, hard-linked, with the CSCV block sums); top.csv,
heatmap_<x>_<y>.csv (each heatmap's cells; the page draws them as tables of coloured cells),
top_equity.png/.csv, engine_check.csv, pbo_splits.csv, walk_forward*.csv
and walk_forward.png (with --walk-forward), config.toml, summary.json, report.html (self-contained)
and report.md. Everything is written into a temporary folder beside the final one and renamed
into place only when complete. reports/<strategy>/trials-ledger.csv (engine.tuning.ledger)
records every sweep's number of combinations, so later sweeps can deflate their best result
by every trial made.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.report.sweep.charts import (
    Others,
    SweepReportError,
    cell_text,
    equity_png,
    heatmap_csv_frame,
    heatmap_markdown,
    heatmap_pairs,
    heatmap_table,
)
from engine.report.sweep.files import (
    CSV_MAX_ROWS,
    DATASET,
    SweepFolder,
    files_words,
    parquet_safe,
    shown_files,
)
from engine.report.sweep.tables import (
    compact,
    compact_windows,
    default_row,
    display_table,
    top_table,
)
from engine.report.sweep.words import explanations
from engine.report.toolkit.escape import markdown_cell
from engine.report.toolkit.folder import jsonable, publish_folder
from engine.report.toolkit.markdown import table_markdown
from engine.report.toolkit.page import png_data_uri, render_page
from engine.stats.sweep_columns import STAT_COLUMNS
from engine.tuning import ledger
from engine.tuning.results import READ_BACK_LIMIT
from engine.tuning.study import CHECK_TOLERANCE, Study
from engine.tuning.sweep import combos_of

__all__ = ["SweepReport", "SweepReportError", "write_sweep_report"]


@dataclass
class SweepReport:
    run_id: str
    command: str
    study: Study
    versions: dict[str, str]
    heatmaps: list[tuple[str, str]] = field(default_factory=list)  # [] = every pair
    heatmap_others: Others = "mean"
    benchmarks: pd.DataFrame | None = None  # stats of the config's benchmarks, for context
    benchmark_equity: pd.DataFrame | None = None  # their equity curves (a column each)
    executor: str = "local"
    created_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )


# --------------------------------------------------------------------------- trials ledger


def _record_trials(strategy_dir: Path, report: SweepReport) -> None:
    setup = report.study.sweep.setup
    ledger.record(
        strategy_dir,
        {
            "run_id": report.run_id,
            "created_at": report.created_at,
            "combinations": setup.n_combos,
            "engine": setup.engine,
            "grid": setup.grid.describe(),
        },
    )


# --------------------------------------------------------------------------- figures


# --------------------------------------------------------------------------- words


# --------------------------------------------------------------------------- tables


def _scalars(fields: dict[str, Any]) -> dict[str, Any]:
    """A result's fields without its arrays (per-split values live in their own CSV files)."""
    return {k: v for k, v in fields.items() if not isinstance(v, np.ndarray)}


def summary_record(report: SweepReport, files: list[str], trials_before: int) -> dict:
    study = report.study
    sweep = study.sweep
    setup = sweep.setup
    best = combos_of(sweep.top.head(1))[0]
    record: dict[str, Any] = {
        "run_id": report.run_id,
        "strategy": setup.strategy.name,
        "command": report.command,
        "created_at": report.created_at,
        "period": {
            "start": setup.period.start.date().isoformat(),
            "end": setup.period.end.date().isoformat(),
            "sessions": len(setup.index),
            "note": setup.period.note,
        },
        "grid": {a.name: list(a.values) for a in setup.grid.axes},
        "grid_spec": setup.grid.describe(),
        "combinations_tried": setup.n_combos,
        "combinations_refused": setup.skipped,
        "refusal_example": setup.skip_reason,
        "trials_recorded_before": trials_before,
        "metric": sweep.metric,
        "engine": setup.engine,
        "engine_note": setup.engine_note,
        "executor": report.executor,
        "timings_s": {k: round(v, 4) for k, v in study.timings.items()},
        "best": {k: jsonable(best[k]) for k in [*setup.grid.names, *STAT_COLUMNS]},
        "default": {
            "in_grid": setup.default_in_grid,
            "rank": sweep.default_rank,
            **{k: jsonable(v) for k, v in setup.default_values().items()},
            **{k: jsonable(v) for k, v in sweep.default_stats.items()},
        },
        "deflated_sharpe": jsonable(_scalars(study.dsr.__dict__)),
        "deflated_sharpe_excess": None
        if study.dsr_excess is None
        else {
            "benchmark": study.dsr_excess.benchmark,
            "note": study.dsr_excess.note,
            **jsonable(_scalars(study.dsr_excess.dsr.__dict__)),
        },
        "dsr_pbo_reconciliation": study.reconciliation,
        "spa_stepm": None if study.snooping is None else study.snooping.as_dict(),
        "deflated_sharpe_all_recorded_trials": (
            jsonable(_scalars(study.dsr_all.__dict__)) if study.dsr_all else None
        ),
        "pbo": None
        if study.pbo is None
        else {
            "pbo": study.pbo.pbo,
            "splits": study.pbo.n_splits,
            "total_splits": study.pbo.total_splits,
            "blocks": study.pbo.blocks,
            "prob_oos_loss": study.pbo.prob_oos_loss,
            "standard_error": study.pbo.standard_error,
        },
        "pbo_note": study.pbo_note,
        "engine_check": None
        if study.check is None
        else {
            "rows": len(study.check),
            "max_relative_gap": float(study.check["relative_gap"].max()),
            "tolerance": CHECK_TOLERANCE,
            "passed": study.check_passed,
        },
        "walk_forward": None
        if study.walk_forward is None
        else {
            "spec": study.walk_forward.spec.describe(),
            "metric": study.walk_forward.metric,
            "windows": len(study.walk_forward.windows),
            "summary": jsonable(study.walk_forward.summary.to_dict(orient="index")),
        },
        "config": setup.cfg.as_dict(),
        "data_fingerprint_sha256": setup.data.fingerprint(),
        "versions": report.versions,
        "files": sorted(files),
    }
    return record


# --------------------------------------------------------------------------- HTML / Markdown


# --------------------------------------------------------------------------- writing


def _write_files(report: SweepReport, out: SweepFolder, trials_before: int) -> None:
    study = report.study
    sweep = study.sweep
    setup = sweep.setup
    if setup.n_combos <= READ_BACK_LIMIT:
        table = sweep.table
        out.write_bytes("combinations.parquet", parquet_safe(table).to_parquet(index=False))
        if len(table) <= CSV_MAX_ROWS:
            out.csv("combinations.csv", table)
    else:  # the dataset itself: reading it back would not fit in memory
        out.link_dataset(DATASET, sweep.dataset)
    top = top_table(study)
    out.csv("top.csv", top)
    out.csv("top_equity.csv", study.equity.rename_axis("date"), index=True)
    equity_bytes = equity_png(
        study.equity,
        f"{setup.strategy.name}: best combinations, the default and the benchmarks",
        report.benchmark_equity,
    )
    out.write("top_equity.png", equity_bytes)
    heatmaps = []
    heatmaps_md: list[str] = []
    center = _benchmark_value(report, sweep.metric)
    for x, y in heatmap_pairs(study, report.heatmaps):
        table, frame, note = heatmap_table(study, x, y, report.heatmap_others, center)
        name = f"heatmap_{x}_{y}.csv"
        out.csv(name, heatmap_csv_frame(frame, x, y), index=True)
        heading = f"{y} (rows) by {x} (columns): {note}"
        heatmaps.append((heading, table, name))
        heatmaps_md += [f"### {markdown_cell(heading)}", heatmap_markdown(table, name)]
    if study.check is not None:
        out.csv("engine_check.csv", study.check)
    if study.pbo is not None:
        splits = pd.DataFrame(
            {
                "is_sharpe": study.pbo.is_sharpe,
                "oos_sharpe": study.pbo.oos_sharpe,
                "logit": study.pbo.logits,
            }
        )
        out.csv("pbo_splits.csv", splits)
    wf = study.walk_forward
    wf_png = ""
    if wf is not None:
        out.csv("walk_forward.csv", wf.windows)
        out.csv("walk_forward_summary.csv", wf.summary, index=True)
        out.csv("walk_forward_equity.csv", wf.oos_equity, index=True)
        named = wf.oos_equity.rename(
            columns={"chosen": "walk-forward choice", "default": "default parameters"}
        )
        held = named.pop("benchmark") if "benchmark" in named.columns else None
        wf_bytes = equity_png(
            named,
            "out-of-sample (test windows stitched)",
            None if held is None else held.rename(f"{wf.benchmark} (bought and held)").to_frame(),
        )
        out.write("walk_forward.png", wf_bytes)
        wf_png = png_data_uri(wf_bytes)
    out.write("config.toml", setup.cfg.to_toml())

    words = explanations(study)
    words["files"] = files_words(setup.n_combos, study.options.top)
    period = f"{setup.period.start.date()} to {setup.period.end.date()}"
    benchmarks = report.benchmarks
    files_now = shown_files([*out.names, "report.html", "report.md", "summary.json"])
    main = _main_benchmark(report)
    html = render_page(
        "sweep.html.j2",
        title=f"{setup.strategy.name}: parameter sweep",
        run_id=report.run_id,
        created_at=report.created_at,
        command=report.command,
        period=period,
        sessions=f"{len(setup.index):,}",
        grid=setup.grid.describe(),
        tried=f"{setup.n_combos:,}",
        refused=f"{setup.skipped:,}" if setup.skipped else "",
        engine=setup.engine_note,
        executor=report.executor,
        sweep_s=f"{sweep.seconds:.2f}",
        metric=sweep.metric,
        words=words,
        check_failed=not study.check_passed,
        top=display_table(
            compact(top, sweep.metric),
            f"Top combinations by {sweep.metric}",
            "The key statistics; every statistic of these rows is in top.csv. " + words["files"],
        ),
        default=display_table(compact(default_row(study), sweep.metric), "Default parameters"),
        benchmarks=display_table(
            benchmarks.rename_axis("benchmark").reset_index(), "Benchmarks over the same period"
        )
        if benchmarks is not None
        else None,
        center_note=(
            f"Heatmap colours are centred on {main}'s {sweep.metric} "
            f"({cell_text(center, sweep.metric)}): green beats it, red does not."
            if main and center is not None
            else "Heatmap colours are centred on the default parameters' value."
        ),
        wf_summary=display_table(wf.summary.reset_index(), "Summary") if wf is not None else None,
        wf_windows=display_table(
            compact_windows(wf.windows),
            "Windows",
            "Test windows; the training dates and in-sample CAGRs are in walk_forward.csv.",
        )
        if wf is not None
        else None,
        wf_png=wf_png,
        equity_png=png_data_uri(equity_bytes),
        heatmaps=heatmaps,
        check=display_table(study.check, "Cross-check") if study.check is not None else None,
        files=files_now,
        config_toml=setup.cfg.to_toml(),
        versions=display_table(
            pd.DataFrame(
                {"package": list(report.versions), "version": list(report.versions.values())}
            ),
            "Package versions",
        ),
        fingerprint=setup.data.fingerprint(),
    )
    out.write("report.html", html)
    md = [
        f"# {markdown_cell(setup.strategy.name)}: parameter sweep {report.run_id}",
        f"`{report.command}`",
        f"Period {period} ({len(setup.index)} sessions). Grid: `{setup.grid.describe()}`. "
        f"{setup.n_combos:,} combinations tried. Engine: {setup.engine_note}. "
        f"Executor: {report.executor}. Sweep time {sweep.seconds:.2f} s.",
        f"**{words['answer']}**",
        "## Ranking",
        words["ranking"],
        f"### Top combinations by {sweep.metric}",
        table_markdown(display_table(top)),
        words["files"],
        "### Default parameters",
        table_markdown(display_table(default_row(study))),
        "## Is the best result luck?",
        words["dsr"],
        words["pbo"],
        words["spa"],
    ]
    if wf is not None:
        md += [
            "## Walk-forward (out-of-sample)",
            words["walk_forward"],
            table_markdown(display_table(wf.summary.reset_index())),
            table_markdown(display_table(wf.windows)),
            "![walk-forward](walk_forward.png)",
        ]
    md += ["## Equity", "![equity](top_equity.png)"]
    md += ["## Heatmaps", *heatmaps_md] if heatmaps_md else []
    if "check" in words:
        md += ["## Cross-check against the engine", words["check"]]
    out.write("report.md", "\n\n".join(md) + "\n")
    record = summary_record(report, shown_files([*out.names, "summary.json"]), trials_before)
    out.write("summary.json", json.dumps(jsonable(record), indent=2, allow_nan=False) + "\n")


def _main_benchmark(report: SweepReport) -> str | None:
    frame = report.benchmarks
    return None if frame is None or frame.empty else str(frame.index[0])


def _benchmark_value(report: SweepReport, metric: str) -> float | None:
    """The main (first) benchmark's value of the ranking metric, when the table has it."""
    frame = report.benchmarks
    if frame is None or frame.empty or metric not in frame.columns:
        return None
    value = float(frame.iloc[0][metric])
    return value if math.isfinite(value) else None


def write_sweep_report(report: SweepReport, reports_root: Path) -> Path:
    """reports_root/<strategy>/sweep-<run_id>/, complete or not at all; updates the ledger."""
    strategy_dir = Path(reports_root) / report.study.sweep.setup.strategy.name
    trials_before = report.study.options.prior_trials
    final = publish_folder(
        Path(reports_root),
        report.study.sweep.setup.strategy.name,
        f"sweep-{report.run_id}",
        lambda folder: _write_files(report, SweepFolder(folder), trials_before),
        latest=False,
        error=SweepReportError,
    )
    _record_trials(strategy_dir, report)
    return final
