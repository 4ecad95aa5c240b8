"""`rl.compare`: several strategies on their common period, as `run_backtest.py compare`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from engine.api.catalog import StrategySpec, catalog_of
from engine.api.display import curves_figure, numeric_stats, summary_html, summary_text
from engine.api.inputs import Sections, as_overrides, section_values, shown_call
from engine.api.startup import check_reports_root, report_once, start_up
from engine.config.run_config import merge
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError
from engine.paths import project_root, resolve

if TYPE_CHECKING:  # matplotlib is imported when a figure is drawn
    from matplotlib.figure import Figure

    from engine.report.compare.report import CompareInput

__all__ = ["CompareResult", "compare"]


@dataclass
class CompareResult:
    """A finished comparison. `stats` is metrics x runs (each label, then the benchmarks of the
    first), all floats, dates in `period`; `weights` maps each label to its realised weights."""

    input: CompareInput
    output_dir: str
    _folders: dict[Path, Path] = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> list[str]:
        return self.input.labels

    @property
    def stats(self) -> pd.DataFrame:
        return numeric_stats(self.input.stats)

    @property
    def period(self) -> tuple[Any, Any]:
        return self.input.period

    @property
    def equity(self) -> pd.DataFrame:
        return pd.DataFrame({n: r.equity for n, r in self.input.results.items()})

    @property
    def returns(self) -> pd.DataFrame:
        return pd.DataFrame({n: r.returns for n, r in self.input.results.items()})

    @property
    def weights(self) -> dict[str, pd.DataFrame]:
        return {s.label: s.result.weights for s in self.input.strategies}

    @property
    def orders(self) -> dict[str, pd.DataFrame]:
        return {s.label: s.result.orders for s in self.input.strategies}

    @property
    def yearly(self) -> pd.DataFrame:
        return self.input.yearly

    @property
    def correlations(self) -> pd.DataFrame:
        return self.input.correlations

    @property
    def notes(self) -> list[str]:
        return self.input.notes

    def plot(self) -> Figure:
        """Equity (log scale) and drawdown of every strategy and benchmark."""
        return curves_figure(self.equity, "comparison: growth and drawdown", self.labels)

    def report(self, folder: str | Path | None = None) -> Path:
        """Write the comparison report under `folder` (default: the first strategy's
        report.output_dir); return its folder, reports/compare/<run-id>."""
        from engine.report.compare.report import write_compare_report

        write = partial(write_compare_report, self.input)
        return report_once(self._folders, folder, self.output_dir, write)

    def _repr_html_(self) -> str:
        return summary_html(f"compare {', '.join(self.labels)}", self.period, self.stats)

    def __str__(self) -> str:
        """The key metrics of every strategy and benchmark, in plain text."""
        return summary_text(f"compare {', '.join(self.labels)}", self.period, self.stats)

    def __repr__(self) -> str:
        return f"<CompareResult {', '.join(self.labels)} {self.period[0]} to {self.period[1]}>"


def _specs(items: Sequence[StrategySpec]) -> tuple[list[str], dict[str, Strategy]]:
    """Spec strings for `build_contenders`, and the Strategy objects given directly."""
    if isinstance(items, str | Strategy):
        raise BadInputError("compare takes a list of strategies, e.g. ['first10days', 'rsi_trim']")
    specs: list[str] = []
    objects: dict[str, Strategy] = {}
    for item in items:
        if isinstance(item, Strategy):
            specs.append(item.name)
            objects[item.name] = item
        elif isinstance(item, str):
            specs.append(item)
        else:
            raise BadInputError(
                f"compare: {item!r} is neither a strategy name ('NAME' or 'NAME@LABEL') nor a "
                "Strategy object"
            )
    return specs, objects


def _config_texts(configs: Mapping[str, str | Path] | Sequence[str] | None) -> list[str]:
    if configs is None:
        return []
    if isinstance(configs, Mapping):
        return [f"{label}={path}" for label, path in configs.items()]
    return list(configs)


def compare(
    strategies: Sequence[StrategySpec],
    *,
    configs: Mapping[str, str | Path] | Sequence[str] | None = None,
    overrides: Sequence[str] | str | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    backtest: Sections = None,
    data: Sections = None,
    report: Sections = None,
    defaults: str | Path | None = None,
    strategies_dir: str | Path | None = None,
    catalog: Mapping[str, Strategy] | None = None,
    command: str | None = None,
) -> CompareResult:
    """Run two or more strategies (names, 'NAME@LABEL' or Strategy objects) on the period they
    all share, with the benchmarks of the first.

    `overrides` are the CLI's 'LABEL.KEY=VALUE' strings and `configs` maps a label to a TOML file
    replacing its default; `params` maps a label to rule parameters; `backtest=`, `data=` and
    `report=` apply to every strategy. Bad input raises `rl.BadInputError` with the CLI's message.
    """
    from engine.api.comparison import build_contenders
    from engine.api.comparison import compare as run_compare

    specs, objects = _specs(strategies)
    known = {**catalog_of(strategies_dir, catalog), **objects}
    labels = list(dict.fromkeys(specs))
    unknown = sorted(set(params or {}) - set(labels))
    if unknown:
        raise BadInputError(
            f"params= names {', '.join(unknown)}, not among the compared strategies "
            f"({', '.join(labels)})"
        )
    shared = section_values(None, backtest, data, report)
    values = {label: merge(shared, section_values((params or {}).get(label))) for label in labels}
    contenders = build_contenders(
        specs,
        known,
        _config_texts(configs),
        as_overrides(overrides),
        defaults_file=None if defaults is None else Path(defaults),
        values=values,
    )
    start_up(contenders[0].cfg.data, None)  # prices are loaded once, with the first's settings
    check_reports_root(resolve(contenders[0].cfg.report.output_dir))
    shown = command or shown_call(
        "compare", specs, configs=configs, overrides=overrides, params=params, **shared
    )
    inp = run_compare(contenders, project_root(), shown)
    return CompareResult(inp, contenders[0].cfg.report.output_dir)
