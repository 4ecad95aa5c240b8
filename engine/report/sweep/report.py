"""The sweep report: reports/<strategy>/sweep-<run-id>/, written atomically.

Files: combinations.parquet (and combinations.csv up to CSV_MAX_ROWS rows), top.csv,
heatmap_<x>_<y>.png, top_equity.png/.csv, engine_check.csv, pbo_splits.csv, walk_forward*.csv
and walk_forward.png (with --walk-forward), config.toml, summary.json, report.html (self-contained)
and report.md. Everything is written into a temporary folder beside the final one and renamed
into place only when complete. reports/<strategy>/trials-ledger.csv (engine.tuning.ledger)
records every sweep's number of combinations, so later sweeps can deflate their best result
by every trial made.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from tabulate import tabulate

from engine.errors import RotationLabError
from engine.metrics import METRICS, format_value
from engine.report.toolkit import palette
from engine.report.toolkit.charts import annotated_heatmap, date_axis, equity_ticks, money
from engine.report.toolkit.charts import png as _png
from engine.report.toolkit.folder import ReportFolder, publish_folder
from engine.report.toolkit.format import human_column
from engine.report.toolkit.page import png_data_uri, render_page
from engine.report.toolkit.tables import Table, frame_table
from engine.tuning import ledger
from engine.tuning.columns import LOWER_IS_BETTER, STAT_COLUMNS
from engine.tuning.ledger import LEDGER, recorded_trials  # noqa: F401  (re-exported)
from engine.tuning.study import CHECK_TOLERANCE, Study
from engine.tuning.sweep import row_values

CSV_MAX_ROWS = 100_000
MAX_HEATMAPS = 10
Others = Literal["mean", "best", "default"]
_FORMATS = {k: METRICS[k][1] for k in STAT_COLUMNS if k in METRICS}
_FORMATS.update({"trades": "int", "fees": "money"})


class SweepReportError(RotationLabError):
    """The sweep report could not be written."""


@dataclass
class SweepReport:
    run_id: str
    command: str
    study: Study
    versions: dict[str, str]
    heatmaps: list[tuple[str, str]] = field(default_factory=list)  # [] = every pair
    heatmap_others: Others = "mean"
    benchmarks: pd.DataFrame | None = None  # stats of the config's benchmarks, for context
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


def _figure(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def heatmap_pairs(study: Study, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
    names = [a.name for a in study.sweep.setup.grid.axes if len(a.values) > 1]
    if wanted:
        for x, y in wanted:
            for name in (x, y):
                if name not in names:
                    raise SweepReportError(
                        f"--heatmap {x},{y}: {name!r} is not a swept parameter with two or more "
                        f"values ({', '.join(names) or 'none'})"
                    )
        return wanted
    return list(itertools.combinations(names, 2))[:MAX_HEATMAPS]


def heatmap_frame(study: Study, x: str, y: str, others: Others) -> tuple[pd.DataFrame, str]:
    """Metric over (y rows, x columns); the other parameters averaged or fixed."""
    sweep = study.sweep
    table = sweep.table
    metric = sweep.metric
    rest = [a.name for a in sweep.setup.grid.axes if a.name not in (x, y)]
    note = f"{metric} averaged over {', '.join(rest)}" if rest else metric
    if rest and others != "mean":
        best = row_values(table, sweep.best_row)
        anchor = best if others == "best" else sweep.setup.default_values()
        mask = np.ones(len(table), dtype=bool)
        for name in rest:
            mask &= (table[name] == anchor[name]).to_numpy()
        if mask.any():
            table = table[mask]
            fixed = ", ".join(f"{n}={anchor[n]}" for n in rest)
            note = f"{metric} with {fixed} (the {others} combination's values)"
        else:
            note += f" (the {others} values of the others are not on the grid)"
    grid = table.groupby([y, x], sort=False)[metric].mean().unstack(x)
    axes = {a.name: list(a.values) for a in sweep.setup.grid.axes}
    grid = grid.reindex(index=axes[y], columns=axes[x])
    return grid, note


def heatmap_png(
    study: Study, x: str, y: str, others: Others, center: float | None = None
) -> tuple[bytes, str]:
    """The metric over two parameters on a diverging scale centred on `center` (the main
    benchmark's value: green beats it, red does not; the default's value when there is none),
    the default parameters outlined in black and the best combination dashed in blue."""
    grid, note = heatmap_frame(study, x, y, others)
    grid = grid.iloc[::-1]  # the largest y value on top
    metric = study.sweep.metric
    values = grid.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if center is None or not math.isfinite(center):
        center = float(study.sweep.default_stats.get(metric, np.nan))
    if not math.isfinite(center):
        center = float(np.median(finite)) if finite.size else 0.0
    span = float(np.max(np.abs(finite - center))) if finite.size else 1.0
    span = span if span > 0 else 1.0
    norm = TwoSlopeNorm(vmin=center - span, vcenter=center, vmax=center + span)
    cmap = "RdYlGn_r" if metric in LOWER_IS_BETTER else "RdYlGn"
    width = min(12.0, 2.6 + 0.8 * max(4, grid.shape[1]))
    fig = _figure((width, 1.6 + 0.5 * max(4, grid.shape[0])))
    ax = fig.add_subplot()
    texts = [[_cell(v, metric) if np.isfinite(v) else "" for v in row] for row in values]
    if values.size > 225:
        texts = [["" for _ in row] for row in values]
    annotated_heatmap(ax, values, norm, cmap, texts, fontsize=7.5, bar_label=metric)
    ax.set_xticks(range(grid.shape[1]), [_tick(v) for v in grid.columns], rotation=45)
    ax.set_yticks(range(grid.shape[0]), [_tick(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{note}; colour centred on {_cell(center, metric)}", fontsize=9)
    cols, rows = list(grid.columns), list(grid.index)
    marks = []
    default = study.sweep.setup.default_values()
    if default[x] in cols and default[y] in rows:
        j, i = cols.index(default[x]), rows.index(default[y])
        ax.add_patch(_rect((j - 0.5, i - 0.5), edgecolor="black", label="default parameters"))
        marks.append("default")
    best = row_values(study.sweep.table, study.sweep.best_row)
    if best[x] in cols and best[y] in rows:
        j, i = cols.index(best[x]), rows.index(best[y])
        ax.add_patch(_rect((j - 0.42, i - 0.42), edgecolor=palette.STRATEGY, linestyle="--",
                           label="best combination", size=0.84))  # fmt: skip
        marks.append("best")
    if marks:
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.2), fontsize=8, frameon=False,
                  ncols=2, facecolor="#999999")  # fmt: skip
    return _png(fig), note


def _rect(xy: tuple[float, float], size: float = 1.0, **kwargs: Any):
    from matplotlib.patches import Rectangle

    return Rectangle(xy, size, size, fill=False, linewidth=2, **kwargs)


def _tick(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cell(value: float, metric: str) -> str:
    fmt = _FORMATS.get(metric, "ratio")
    if fmt == "pct":
        return f"{value * 100:.1f}"
    if fmt in ("int", "money"):
        return f"{value:,.0f}"
    return f"{value:.2f}"


def equity_png(curves: pd.DataFrame, title: str, log: bool = True) -> bytes:
    """The curves on one log axis labelled over its whole range, the default in black."""
    fig = _figure((12, 5.5))
    ax = fig.add_subplot()
    colors = palette.run_colors([str(c) for c in curves.columns if not _is_default(c)], [])
    for name in curves.columns:
        is_default = _is_default(name)
        ax.plot(
            curves.index,
            curves[name],
            label=str(name),
            linewidth=2.0 if is_default or name == curves.columns[0] else 1.1,
            color=palette.MAIN_BENCHMARK if is_default else colors[str(name)],
            zorder=5 if is_default else 3,
        )
    if log:
        ax.set_yscale("log")
        finite = curves.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite) & (finite > 0)]
        if finite.size:
            lo, hi = float(finite.min()) / 1.04, float(finite.max()) * 1.04
            start = float(curves.iloc[0].dropna().iloc[0]) if curves.iloc[0].notna().any() else lo
            ax.set_ylim(lo, hi)
            ax.yaxis.set_major_locator(mticker.FixedLocator(equity_ticks(lo, hi, keep=[start])))
        ax.yaxis.set_major_formatter(mticker.FuncFormatter(money))
        ax.yaxis.set_minor_locator(mticker.NullLocator())
    date_axis(ax)
    ax.set_title(title)
    ax.grid(True, color="#d0d5db", linewidth=0.7)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def _is_default(name: object) -> bool:
    return str(name).startswith("default")


# --------------------------------------------------------------------------- words


def _fmt(value: object, metric: str) -> str:
    return format_value(value, _FORMATS.get(metric, "ratio"))


def explanations(study: Study) -> dict[str, str]:
    """Plain-words paragraphs with the study's own numbers."""
    sweep = study.sweep
    setup = sweep.setup
    metric = sweep.metric
    n = setup.n_combos
    best = row_values(sweep.table, sweep.best_row)
    d = study.dsr
    words: dict[str, str] = {}
    words["ranking"] = (
        f"{n:,} combinations were tried"
        + (f" ({setup.skipped:,} more were refused by the strategy)" if setup.skipped else "")
        + f". Ranked by {metric}, the best scores {_fmt(best[metric], metric)}; the default "
        f"parameters score {_fmt(sweep.default_stats[metric], metric)} and rank "
        f"{sweep.default_rank:,} of {n:,}"
        + ("" if setup.default_in_grid else " (they are not on the grid; ranked among it)")
        + ". The best of many tries looks better than it will be: that is what the two "
        "statistics below measure."
    )
    if math.isfinite(d.probability):
        verdict = (
            "clears the usual 0.95 bar"
            if d.probability >= 0.95
            else "does not clear the usual 0.95 bar: the best result is compatible with luck"
        )
        words["dsr"] = (
            f"Deflated Sharpe ratio {d.probability:.3f}. It estimates the probability that the "
            f"best combination has a real edge (a true Sharpe ratio above what luck explains) "
            f"once we account for having picked it as the best of {d.n_trials:,} tries (whose "
            f"daily Sharpe ratios vary with standard "
            f"deviation {math.sqrt(d.sr_variance):.4f}), for the length of its record "
            f"({d.n_obs:,} days) and for its skewness ({d.skew:.2f}) and kurtosis "
            f"({d.kurtosis:.1f}; 3 for a normal distribution). Luck alone would give the best "
            f"of {d.n_trials:,} a daily Sharpe ratio of about {d.sr0:.4f} (annualised "
            f"{d.sr0 * math.sqrt(252):.2f}); the best has {d.sharpe:.4f} (annualised "
            f"{d.sharpe * math.sqrt(252):.2f}); the deflated Sharpe ratio is the probability that "
            f"its true Sharpe ratio exceeds that luck level. The result {verdict}."
        )
        if study.dsr_all is not None:
            a = study.dsr_all
            words["dsr"] += (
                f" Counting every combination recorded for this strategy in earlier sweeps "
                f"({a.n_trials:,} in all), the deflated Sharpe ratio is {a.probability:.3f}."
            )
    else:
        words["dsr"] = "The deflated Sharpe ratio is undefined (the best has no return variance)."
    if study.dsr_excess is not None:
        e = study.dsr_excess
        words["dsr"] += (
            f" Against {e.benchmark} rather than zero (the best's daily returns minus the "
            f"benchmark bought and held over the same sessions): daily Sharpe ratio "
            f"{e.dsr.sharpe:.4f} vs {e.dsr.sr0:.4f} from luck, deflated Sharpe ratio "
            f"{e.dsr.probability:.3f}. {e.note}"
        )
    if study.reconciliation:
        words["dsr"] += " " + study.reconciliation
    if study.pbo is not None:
        p = study.pbo
        level = (
            "low: the in-sample winner usually stays above the median"
            if p.pbo < 0.25
            else "high: choosing by backtest here is close to picking at random, or worse"
            if p.pbo >= 0.5
            else "moderate"
        )
        words["pbo"] = (
            f"Probability of backtest overfitting {p.pbo:.2f} ({level}). The daily returns were "
            f"cut into {p.blocks} consecutive pieces; for each of {p.n_splits:,} ways of using "
            f"half of them to pick the best combination and the other half to test it, we "
            f"checked whether the pick landed in the worse half of all combinations on the "
            f"unseen half. It did in {p.pbo:.0%} of the splits. The picked combination's "
            f"out-of-sample Sharpe ratio was below zero in {p.prob_oos_loss:.0%} of them. "
            + study.pbo_note
        )
    else:
        words["pbo"] = f"The probability of backtest overfitting was not computed. {study.pbo_note}"
    w = study.walk_forward
    words["walk_forward"] = ""
    if w is not None:
        s = w.summary
        words["walk_forward"] = (
            f"Walk-forward ({w.spec.describe()}, choosing by {w.metric}): in each of "
            f"{len(w.windows)} training windows the best combination was chosen and then run on "
            f"the following test window, which it had not seen. In-sample, the chosen "
            f"combinations averaged a Sharpe ratio of {s.loc['chosen', 'is_sharpe_mean']:.2f} "
            f"and a CAGR of {s.loc['chosen', 'is_cagr_mean']:.2%}; out-of-sample (the test "
            f"windows stitched) they made a Sharpe ratio of {s.loc['chosen', 'oos_sharpe']:.2f} "
            f"and a CAGR of {s.loc['chosen', 'oos_cagr']:.2%}. The default parameters over the "
            f"same windows: in-sample Sharpe {s.loc['default', 'is_sharpe_mean']:.2f}, "
            f"out-of-sample {s.loc['default', 'oos_sharpe']:.2f} (CAGR "
            f"{s.loc['default', 'oos_cagr']:.2%}). A large drop from in-sample to out-of-sample, "
            "or a tuned result no better than the default, means the tuning fitted noise. Each "
            "test window starts from cash at the last training session, so the stitched curve "
            "pays one entry per window."
        )
        if "benchmark" in s.index:
            words["walk_forward"] += (
                f" {w.benchmark}, bought and held over the same test windows: Sharpe ratio "
                f"{s.loc['benchmark', 'oos_sharpe']:.2f}, "
                f"CAGR {s.loc['benchmark', 'oos_cagr']:.2%}."
            )
    if study.check is not None:
        gap = float(study.check["relative_gap"].max())
        words["check"] = (
            f"Cross-check: {len(study.check)} combinations (the best and random ones) were re-run "
            f"through the standard engine (vectorbt); the largest relative gap in final equity is "
            f"{gap:.1e} (tolerance {CHECK_TOLERANCE:g})."
            + ("" if study.check_passed else " WARNING: above the tolerance.")
        )
    return words


# --------------------------------------------------------------------------- tables


def format_table(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy().astype(object)
    for col in frame.columns:
        if col in _FORMATS:
            out[col] = [_fmt(v, col) for v in frame[col]]
        elif col.endswith(("_sharpe", "sharpe_mean")):
            out[col] = [format_value(v, "ratio") for v in frame[col]]
        elif col.endswith(("_cagr", "cagr_mean", "max_drawdown")) or "return" in col:
            out[col] = [format_value(v, "pct") for v in frame[col]]
    return out


def top_table(study: Study) -> pd.DataFrame:
    sweep = study.sweep
    top = sweep.table.iloc[sweep.order[: study.options.top]]
    columns = ["rank", *sweep.setup.grid.names, *STAT_COLUMNS]
    return top[columns].reset_index(drop=True)


def default_row(study: Study) -> pd.DataFrame:
    sweep = study.sweep
    row = {"rank": sweep.default_rank, **sweep.setup.default_values(), **sweep.default_stats}
    return pd.DataFrame([row])


def summary_record(report: SweepReport, files: list[str], trials_before: int) -> dict:
    study = report.study
    sweep = study.sweep
    setup = sweep.setup
    best = row_values(sweep.table, sweep.best_row)
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
        "best": {k: _jsonable(best[k]) for k in [*setup.grid.names, *STAT_COLUMNS]},
        "default": {
            "in_grid": setup.default_in_grid,
            "rank": sweep.default_rank,
            **{k: _jsonable(v) for k, v in setup.default_values().items()},
            **{k: _jsonable(v) for k, v in sweep.default_stats.items()},
        },
        "deflated_sharpe": _jsonable(study.dsr.__dict__),
        "deflated_sharpe_excess": None
        if study.dsr_excess is None
        else {
            "benchmark": study.dsr_excess.benchmark,
            "note": study.dsr_excess.note,
            **_jsonable(study.dsr_excess.dsr.__dict__),
        },
        "dsr_pbo_reconciliation": study.reconciliation,
        "deflated_sharpe_all_recorded_trials": (
            _jsonable(study.dsr_all.__dict__) if study.dsr_all else None
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
            "summary": _jsonable(study.walk_forward.summary.to_dict(orient="index")),
        },
        "config": setup.cfg.as_dict(),
        "data_fingerprint_sha256": setup.data.fingerprint(),
        "versions": report.versions,
        "files": sorted(files),
    }
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return None  # arrays (per-split logits...) live in their own CSV
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- HTML / Markdown


def display_table(frame: pd.DataFrame, title: str = "", note: str = "") -> Table:
    """A sweep table in words: formatted values, human column names, numbers right-aligned."""
    shown = format_table(frame).fillna("n/a")
    table = frame_table(shown, title, note, label=human_column)
    offset = len(table.columns) - len(frame.columns)
    table.numeric = [False] * offset + [
        bool(pd.api.types.is_numeric_dtype(frame.iloc[:, i].dtype))
        for i in range(len(frame.columns))
    ]
    return table


def _md_table(frame: pd.DataFrame) -> str:
    shown = format_table(frame)
    return tabulate(
        shown.values.tolist(), headers=list(shown.columns), tablefmt="pipe", disable_numparse=True
    )


# --------------------------------------------------------------------------- writing


class _Folder(ReportFolder):
    """The sweep folder: ReportFolder (files with their SHA-256) with the sweep's CSV default
    of no index."""

    def write(self, name: str, data: bytes | str) -> None:
        if isinstance(data, str):
            self.write_text(name, data)
        else:
            self.write_bytes(name, data)

    def csv(self, name: str, frame: pd.DataFrame, index: bool = False) -> None:
        self.write_csv(name, frame, index=index)


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """Parameter columns mixing types (horizon = "year_end" or 63) as text: parquet columns
    hold one type. The CSV and the in-memory table keep the values as they are."""
    out = table.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object and len({type(v) for v in column}) > 1:
            out[name] = column.map(str)
    return out


def _write_files(report: SweepReport, out: _Folder, trials_before: int) -> None:
    study = report.study
    sweep = study.sweep
    setup = sweep.setup
    table = sweep.table
    out.write_bytes("combinations.parquet", _parquet_safe(table).to_parquet(index=False))
    if len(table) <= CSV_MAX_ROWS:
        out.csv("combinations.csv", table)
    top = top_table(study)
    out.csv("top.csv", top)
    out.csv("top_equity.csv", study.equity.rename_axis("date"), index=True)
    equity_bytes = equity_png(study.equity, f"{setup.strategy.name}: best combinations and default")
    out.write("top_equity.png", equity_bytes)
    heatmaps = []
    center = _benchmark_value(report, sweep.metric)
    for x, y in heatmap_pairs(study, report.heatmaps):
        png, note = heatmap_png(study, x, y, report.heatmap_others, center)
        name = f"heatmap_{x}_{y}.png"
        out.write(name, png)
        heatmaps.append((f"{y} (rows) by {x} (columns): {note}", png_data_uri(png)))
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
        wf_bytes = equity_png(
            wf.oos_equity.rename(
                columns={
                    "chosen": "walk-forward choice",
                    "default": "default parameters",
                    "benchmark": f"{wf.benchmark} (bought and held)",
                }
            ),
            "out-of-sample (test windows stitched)",
        )
        out.write("walk_forward.png", wf_bytes)
        wf_png = png_data_uri(wf_bytes)
    out.write("config.toml", setup.cfg.to_toml())

    words = explanations(study)
    period = f"{setup.period.start.date()} to {setup.period.end.date()}"
    benchmarks = report.benchmarks
    files_now = [*out.names, "report.html", "report.md", "summary.json"]
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
        top=display_table(top, f"Top combinations by {sweep.metric}"),
        default=display_table(default_row(study), "Default parameters"),
        benchmarks=display_table(
            benchmarks.rename_axis("benchmark").reset_index(), "Benchmarks over the same period"
        )
        if benchmarks is not None
        else None,
        center_note=(
            f"Heatmap colours are centred on {main}'s {sweep.metric} "
            f"({_cell(center, sweep.metric)}): green beats it, red does not."
            if main and center is not None
            else "Heatmap colours are centred on the default parameters' value."
        ),
        wf_summary=display_table(wf.summary.reset_index(), "Summary") if wf is not None else None,
        wf_windows=display_table(wf.windows, "Windows") if wf is not None else None,
        wf_png=wf_png,
        equity_png=png_data_uri(equity_bytes),
        heatmaps=heatmaps,
        check=display_table(study.check, "Cross-check") if study.check is not None else None,
        files=sorted(files_now),
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
        f"# {setup.strategy.name}: parameter sweep {report.run_id}",
        f"`{report.command}`",
        f"Period {period} ({len(setup.index)} sessions). Grid: `{setup.grid.describe()}`. "
        f"{setup.n_combos:,} combinations tried. Engine: {setup.engine_note}. "
        f"Executor: {report.executor}. Sweep time {sweep.seconds:.2f} s.",
        "## Ranking",
        words["ranking"],
        f"### Top combinations by {sweep.metric}",
        _md_table(top),
        "### Default parameters",
        _md_table(default_row(study)),
        "## Is the best result luck?",
        words["dsr"],
        words["pbo"],
    ]
    if wf is not None:
        md += [
            "## Walk-forward (out-of-sample)",
            words["walk_forward"],
            _md_table(wf.summary.reset_index()),
            _md_table(wf.windows),
            "![walk-forward](walk_forward.png)",
        ]
    md += ["## Equity", "![equity](top_equity.png)", "## Heatmaps"]
    md += [f"![{name}]({name})" for name in out.names if name.startswith("heatmap_")]
    if "check" in words:
        md += ["## Cross-check against the engine", words["check"]]
    out.write("report.md", "\n\n".join(md) + "\n")
    record = summary_record(report, [*out.names, "summary.json"], trials_before)
    out.write("summary.json", json.dumps(_jsonable(record), indent=2, allow_nan=False) + "\n")


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
        lambda folder: _write_files(report, _Folder(folder), trials_before),
        latest=False,
        error=SweepReportError,
    )
    _record_trials(strategy_dir, report)
    return final
