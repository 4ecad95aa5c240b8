"""Several strategies side by side on one common period.

Each compared strategy has a label: its name, or NAME@SUFFIX to run one strategy twice under
different configs (`first10days first10days@n15`). `--set LABEL.KEY=VALUE` overrides go to that
label's config and `--config LABEL=FILE` replaces its default file.

The prices of every ticker any of them needs are loaded once. Each strategy then decides on the
view of those prices its own run would load (its tickers, from its own lookback), so its
weights are the ones it would produce alone; the simulation runs on the intersection of every
strategy's own period, and the benchmarks of the first strategy's config run on it too.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.api.report_input import closing_notes
from engine.config.run_config import RunConfig, load_config
from engine.config.settings import Benchmark
from engine.data import load_market_data
from engine.data.model import MarketData
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, ConfigError, unknown_name
from engine.report.compare.report import ComparedStrategy, CompareInput, check_names
from engine.report.toolkit.folder import ReportError
from engine.report.toolkit.provenance import new_run_id, package_versions
from engine.simulate.pipeline import (
    Period,
    beta_returns,
    data_window,
    intersect_periods,
    needed_tickers,
    simulate_benchmarks,
    simulate_strategy,
    strategy_period,
)
from engine.simulate.result import BacktestResult
from engine.stats.metrics import stats_table, yearly_table

SUFFIX_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Contender:
    """One compared strategy with its label and its validated config."""

    label: str
    strategy: Strategy
    cfg: RunConfig


# --------------------------------------------------------------------------- the command line


def parse_spec(spec: str, strategies: Mapping[str, Strategy]) -> tuple[str, Strategy]:
    """'first10days' or 'first10days@n15' -> (label, strategy); refuses unknown names."""
    name, sep, suffix = spec.partition("@")
    if name not in strategies:
        raise BadInputError(f"{unknown_name('strategy', name, sorted(strategies))} in {spec!r}")
    if sep and not SUFFIX_RE.match(suffix):
        raise BadInputError(
            f"{spec!r}: the label after '@' must be letters, digits, '_' or '-' (e.g. {name}@n15)"
        )
    return spec, strategies[name]


def route_overrides(overrides: Sequence[str], labels: Sequence[str]) -> dict[str, list[str]]:
    """'LABEL.key=value' -> {LABEL: ['key=value']}; any other first part is refused.

    Labels hold no dot, so the first part of the key is the label.
    """
    routed: dict[str, list[str]] = {label: [] for label in labels}
    listed = ", ".join(labels)
    for text in overrides:
        key, sep, _ = text.strip().partition("=")
        label, dot, _rest = key.partition(".")
        if not sep or not dot:
            raise BadInputError(
                f"--set {text!r}: expected LABEL.KEY=VALUE with LABEL one of the compared "
                f"strategies ({listed}), e.g. --set {labels[0]}.backtest.fees_bps=3"
            )
        if label.strip() not in routed:
            raise BadInputError(
                f"--set {text!r}: {label.strip()!r} is not one of the compared strategies "
                f"({listed}); start the key with the one the value is for, e.g. "
                f"--set {labels[0]}.{key.strip()}=..."
            )
        routed[label.strip()].append(text.strip()[len(label) + 1 :])
    return routed


def route_config_files(configs: Sequence[str], labels: Sequence[str]) -> dict[str, Path]:
    """'LABEL=FILE' -> {LABEL: Path(FILE)}; unknown labels and repeats are refused."""
    files: dict[str, Path] = {}
    for text in configs:
        label, sep, path = text.partition("=")
        label = label.strip()
        if not sep or not path.strip():
            raise BadInputError(f"--config {text!r}: expected LABEL=FILE, e.g. {labels[0]}=my.toml")
        if label not in labels:
            raise BadInputError(
                f"--config {text!r}: {label!r} is not one of the compared strategies "
                f"({', '.join(labels)})"
            )
        if label in files:
            raise BadInputError(f"--config: {label} is given two config files")
        files[label] = Path(path.strip())
    return files


def _check_shared_data(contenders: Sequence[Contender]) -> None:
    """The prices are loaded once, so every config must agree on where they come from."""
    lead = contenders[0]
    reference = lead.cfg.data.model_dump()
    for other in contenders[1:]:
        differ = [k for k, v in other.cfg.data.model_dump().items() if reference[k] != v]
        if differ:
            shown = "; ".join(
                f"data.{k}: {lead.label}={reference[k]!r}, "
                f"{other.label}={getattr(other.cfg.data, k)!r}"
                for k in differ
            )
            raise BadInputError(
                f"the compared strategies must share their [data] settings (prices are loaded "
                f"once for all): {shown}. Set them equal, e.g. --set {other.label}.data.{differ[0]}"
                "=..."
            )


def build_contenders(
    specs: Sequence[str],
    strategies: Mapping[str, Strategy],
    configs: Sequence[str] = (),
    overrides: Sequence[str] = (),
    defaults_file: Path | None = None,
    values: Mapping[str, Mapping[str, object]] | None = None,
) -> list[Contender]:
    """Validate the command line: labels, config files and overrides, each strategy's config.

    `defaults_file` is a shared-defaults layer for every label (`--defaults FILE`); `values`
    holds, per label, config values given in Python (the top layer)."""
    if len(specs) < 2:
        raise BadInputError(
            "compare needs at least two strategies; to compare one strategy with itself under "
            "another config, label the second: compare first10days first10days@n15 "
            "--set first10days@n15.lead_days=15"
        )
    parsed = [parse_spec(spec, strategies) for spec in specs]
    labels = [label for label, _ in parsed]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise BadInputError(
            f"{', '.join(twice)} is listed twice; give the second one a label, e.g. "
            f"{twice[0]}@other"
        )
    routed = route_overrides(overrides, labels)
    files = route_config_files(configs, labels)
    contenders = []
    for label, strategy in parsed:
        try:
            cfg = load_config(
                strategy,
                files.get(label),
                routed[label],
                defaults_file=defaults_file,
                values=(values or {}).get(label),
            )
        except ConfigError as exc:
            raise ConfigError(f"{label}: {exc}") from None
        contenders.append(Contender(label, strategy, cfg))
    _check_shared_data(contenders)
    return contenders


# --------------------------------------------------------------------------- data and periods


def contender_tickers(contender: Contender) -> list[str]:
    """What its own run would load: the needed tickers, then the optional ones."""
    optional = contender.strategy.optional_tickers(contender.cfg.params)
    names = needed_tickers(contender.strategy, contender.cfg) + [t.upper() for t in optional]
    return list(dict.fromkeys(names))


def load_compare_data(contenders: Sequence[Contender], project_root: Path) -> MarketData:
    """Every ticker of every contender, once, over the union of their data windows."""
    tickers = list(dict.fromkeys(t for c in contenders for t in contender_tickers(c)))
    windows = [data_window(c.strategy, c.cfg) for c in contenders]
    first = min(w[0] for w in windows)
    last = max(w[1] for w in windows)
    return load_market_data(tickers, first, last, contenders[0].cfg.data, project_root)


def contender_view(data: MarketData, contender: Contender) -> MarketData:
    """The prices its own run would have loaded: its tickers, over its own data window."""
    first, last = data_window(contender.strategy, contender.cfg)
    return data.select(contender_tickers(contender), start=first, end=last)


def unique_benchmarks(benchmarks: Sequence[Benchmark]) -> tuple[list[Benchmark], list[str]]:
    """The benchmarks with repeated names dropped (the first kept), and the names dropped."""
    kept: dict[str, Benchmark] = {}
    dropped: list[str] = []
    for bench in benchmarks:
        if bench.name in kept:
            dropped.append(bench.name)
        else:
            kept[bench.name] = bench
    return list(kept.values()), dropped


def return_correlations(results: Mapping[str, BacktestResult]) -> pd.DataFrame:
    """Pearson correlations of the daily returns (the first session, a 0 by construction, out)."""
    returns = pd.DataFrame({name: r.returns.iloc[1:] for name, r in results.items()})
    corr = returns.corr()
    corr.index.name = "series"
    return corr


# --------------------------------------------------------------------------- the run


def _execution_text(cfg: RunConfig) -> str:
    bt = cfg.backtest
    text = (
        f"trade {bt.lag} session(s) after the decision close at the {bt.trade_at}; fees "
        f"{bt.fees_bps:g} bps and slippage {bt.slippage_bps:g} bps on traded value; "
    )
    if bt.cash_ticker:
        return text + f"uninvested cash earns {bt.cash_ticker} ({bt.cash_ticker_kind})"
    return text + "uninvested cash earns nothing"


def _notes(
    contenders: Sequence[Contender],
    own: Mapping[str, Period],
    period: Period,
    results: Mapping[str, BacktestResult],
    data: MarketData,
    dropped_benchmarks: list[str],
) -> list[str]:
    lead = contenders[0]
    texts = {c.label: _execution_text(c.cfg) for c in contenders}
    if len(set(texts.values())) == 1:
        notes = [
            f"Every strategy and benchmark: decisions use closes up to day t and "
            f"{texts[lead.label]}. Returns from adjusted closes (dividends reinvested)."
        ]
    else:
        notes = [f"{label}: decisions {text}." for label, text in texts.items()]
        notes.append(
            f"The benchmarks use the execution settings of {lead.label}. Returns from adjusted "
            "closes (dividends reinvested)."
        )
    for c in contenders:
        if c.cfg.backtest.cash_ticker:
            earned = results[c.label].cash_earned
            notes.append(f"{c.label}: uninvested cash earned {earned:,.2f} over the period.")
    longer = [label for label, p in own.items() if (p.start, p.end) != (period.start, period.end)]
    if longer:
        notes.append(
            f"{', '.join(longer)} would run on a longer period alone, so their numbers here "
            "differ from their own runs; each strategy still decides on the same prices (from "
            "its own lookback), only the simulated period is shared."
        )
    rf, beta = lead.cfg.backtest.risk_free_pct, lead.cfg.report.beta_benchmark
    notes.append(
        f"Sharpe and Sortino use a risk-free rate of {rf:g}% a year and beta and correlation "
        f"use {beta}'s daily returns, as set in {lead.label}'s config, for every column."
    )
    other = [
        c.label
        for c in contenders[1:]
        if (c.cfg.backtest.risk_free_pct, c.cfg.report.beta_benchmark) != (rf, beta)
    ]
    if other:
        notes.append(
            f"{', '.join(other)} set a different risk-free rate or beta benchmark, not used here "
            "so that the columns stay comparable."
        )
    if dropped_benchmarks:
        notes.append(
            f"Benchmark name(s) {sorted(set(dropped_benchmarks))} appear more than once in "
            f"{lead.label}'s config; the first definition of each is used."
        )
    return notes + closing_notes(period, data, "the period")


def run_comparison(
    contenders: Sequence[Contender], data: MarketData, command: str, run_id: str | None = None
) -> CompareInput:
    """Every contender and the first one's benchmarks on their common period, with statistics."""
    if not contenders:
        raise BadInputError("nothing to compare")
    lead = contenders[0]
    benchmarks_list, dropped = unique_benchmarks(lead.cfg.benchmarks)
    try:
        check_names([c.label for c in contenders], [b.name for b in benchmarks_list])
    except ReportError as exc:
        raise BadInputError(str(exc)) from None
    views = {c.label: contender_view(data, c) for c in contenders}
    own = {c.label: strategy_period(c.strategy, c.cfg, views[c.label]) for c in contenders}
    period = intersect_periods(own)
    results = {
        c.label: simulate_strategy(
            dataclasses.replace(c.strategy, name=c.label), c.cfg, views[c.label], period
        )
        for c in contenders
    }
    bench_cfg = dataclasses.replace(lead.cfg, benchmarks=tuple(benchmarks_list))
    benchmarks = simulate_benchmarks(bench_cfg, views[lead.label], period)
    everything = {**results, **benchmarks}
    stats = stats_table(
        everything,
        beta_returns(lead.cfg, views[lead.label], period),
        lead.cfg.backtest.risk_free_pct,
    )
    compared = [
        ComparedStrategy(
            label=c.label,
            strategy=c.strategy.name,
            description=c.strategy.description,
            result=results[c.label],
            config=c.cfg.as_dict(),
            config_toml=c.cfg.to_toml(),
            own_period=(own[c.label].start.date(), own[c.label].end.date()),
            own_period_note=own[c.label].note,
        )
        for c in contenders
    ]
    return CompareInput(
        run_id=run_id or new_run_id(),
        command=command,
        strategies=compared,
        benchmarks=benchmarks,
        benchmarks_from=lead.label,
        stats=stats,
        yearly=yearly_table(everything),
        correlations=return_correlations(everything),
        data=data,
        period=(period.start.date(), period.end.date()),
        period_note=period.note,
        versions=package_versions(),
        notes=_notes(contenders, own, period, results, data, dropped),
    )


def compare(
    contenders: Sequence[Contender], project_root: Path, command: str, run_id: str | None = None
) -> CompareInput:
    """Load the prices once for every contender, then run the comparison."""
    data = load_compare_data(contenders, project_root)
    return run_comparison(contenders, data, command, run_id)
