"""Walk-forward: choose on a training window, run the choice on the next (unseen) test window.

Windows are calendar spans over the sweep's period: `train=8y,test=2y` (units y = years, m =
months), `mode=rolling` (the training window slides by the test length) or `expanding` (it
always starts at the period start). A last test window shorter than `test` is kept when it has
at least MIN_TEST_SESSIONS sessions.

No test-window data reaches a choice: each training run ends at the training window's last
session (the kernel stops there; indicators only look back), and the test run starts from cash
at that same last training session, so its first decision is the state known at that close and
its first trade falls on the test window's first session. The stitched out-of-sample curve
chains the test windows' daily returns; the default parameters are run over the same windows
the same way, so the two curves differ only by the choice of parameters. The main benchmark
(the config's first) is bought and held over the same windows (`engine.tuning.benchmark`):
bought at the last training close, it earns every test session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from engine.errors import BadInputError
from engine.stats import metrics
from engine.tuning.benchmark import main_benchmark, main_benchmark_returns
from engine.tuning.summary import SweepSummary
from engine.tuning.sweep import SweepSetup, run_plan
from engine.tuning.windows import STAT_INDEX, Window

MIN_TEST_SESSIONS = 20
_SPAN = re.compile(r"^\s*(\d+)\s*([ym])\s*$")


@dataclass(frozen=True)
class WalkForwardSpec:
    train: str
    test: str
    mode: Literal["rolling", "expanding"] = "rolling"

    @staticmethod
    def offset(text: str) -> pd.DateOffset:
        match = _SPAN.match(text)
        if not match or int(match.group(1)) <= 0:
            raise BadInputError(f"walk-forward span {text!r}: use a positive number of y or m")
        count, unit = int(match.group(1)), match.group(2)
        return pd.DateOffset(years=count) if unit == "y" else pd.DateOffset(months=count)

    @classmethod
    def parse(cls, text: str) -> WalkForwardSpec:
        """'train=8y,test=2y[,mode=rolling|expanding]'."""
        parts: dict[str, str] = {}
        for item in text.split(","):
            key, sep, value = item.partition("=")
            if not sep or key.strip() not in ("train", "test", "mode"):
                raise BadInputError(
                    f"--walk-forward {text!r}: expected train=8y,test=2y[,mode=expanding]"
                )
            parts[key.strip()] = value.strip()
        if "train" not in parts or "test" not in parts:
            raise BadInputError(f"--walk-forward {text!r}: both train= and test= are needed")
        mode = parts.get("mode", "rolling")
        if mode not in ("rolling", "expanding"):
            raise BadInputError(f"--walk-forward mode {mode!r}: use rolling or expanding")
        spec = cls(parts["train"], parts["test"], mode)  # type: ignore[arg-type]
        cls.offset(spec.train), cls.offset(spec.test)
        return spec

    def describe(self) -> str:
        return f"train={self.train},test={self.test},mode={self.mode}"


@dataclass(frozen=True)
class Split:
    """Positions in the data index (ends included)."""

    train_start: int
    train_end: int
    test_start: int
    test_end: int


FULL_WINDOW_SLACK = pd.Timedelta(days=7)  # a span ending on a weekend or holiday still fits


def splits(data_index: pd.DatetimeIndex, period: pd.DatetimeIndex, spec: WalkForwardSpec):
    """The train/test windows over the period, as data-index positions."""
    train, test = spec.offset(spec.train), spec.offset(spec.test)
    first, last = period[0], period[-1]
    out: list[Split] = []
    k = 0
    while True:
        if spec.mode == "rolling":
            train_from = first + test * k if k else first
            train_to = train_from + train
        else:
            train_from = first
            train_to = first + train + test * k if k else first + train
        test_to = train_to + test
        if k == 0 and train_to <= last < test_to - FULL_WINDOW_SLACK:  # never shorten silently
            raise BadInputError(
                f"walk-forward {spec.describe()}: the first test window would run "
                f"{train_to.date()}..{(test_to - pd.Timedelta(days=1)).date()}, past the end of "
                f"the data ({last.date()}); shorten train or test to fit the period "
                f"{first.date()}..{last.date()}"
            )
        train_days = period[(period >= train_from) & (period < train_to)]
        test_days = period[(period >= train_to) & (period < test_to)]
        if len(test_days) < MIN_TEST_SESSIONS or len(train_days) < 3:
            break
        pos = data_index.get_indexer
        out.append(
            Split(
                train_start=int(pos([train_days[0]])[0]),
                train_end=int(pos([train_days[-1]])[0]),
                test_start=int(pos([test_days[0]])[0]),
                test_end=int(pos([test_days[-1]])[0]),
            )
        )
        if test_days[-1] >= last:
            break
        k += 1
    if not out:
        raise BadInputError(
            f"walk-forward {spec.describe()} leaves no test window in the period "
            f"{first.date()}..{last.date()}: shorten train or test"
        )
    return out


def summary_stats(returns: pd.Series, initial: float, risk_free_pct: float) -> dict[str, float]:
    """Sharpe, CAGR and friends of a daily return series (first entry = first step)."""
    equity = pd.concat(
        [pd.Series([initial]), initial * (1.0 + returns.reset_index(drop=True)).cumprod()],
        ignore_index=True,
    )
    return {
        "sharpe": metrics.sharpe(returns, risk_free_pct),
        "cagr": metrics.cagr(equity),
        "total_return": metrics.total_return(equity),
        "max_drawdown": metrics.max_drawdown(equity),
        "ann_volatility": metrics.ann_volatility(returns),
    }


@dataclass
class WalkForwardResult:
    spec: WalkForwardSpec
    metric: str
    windows: pd.DataFrame  # one row per window: dates, choice, in/out-of-sample stats
    oos_returns: pd.DataFrame  # columns chosen, default: stitched test-window daily returns
    oos_equity: pd.DataFrame  # the same chained from the initial cash
    summary: pd.DataFrame  # rows chosen/default(/benchmark); IS and OOS Sharpe/CAGR side by side
    benchmark: str = ""  # the main benchmark bought and held over the same windows, if any


def run_walk_forward(
    setup: SweepSetup,
    executor: Any,
    spec: WalkForwardSpec,
    metric: str,
    chunk_size: int,
    progress: bool = True,
) -> WalkForwardResult:
    """Per window: the whole grid on the training window, the best (by metric) on the test."""
    parts = splits(setup.data.index, setup.index, spec)
    col = STAT_INDEX[metric]
    rows = []
    chosen_returns, default_returns, bench_returns = [], [], []
    dates = setup.data.index
    bench = main_benchmark(setup.cfg)
    initial, rf = setup.cfg.backtest.initial_cash, setup.cfg.backtest.risk_free_pct
    # One bar over the windows (the grid's own bars would print a "0%" line per window).
    bar = tqdm(total=len(parts), unit="window", desc="walk-forward", disable=not progress)
    for i, part in enumerate(parts, start=1):
        train = Window.of(part.train_start, part.train_end)
        # the best on the training window (ties in grid order) and the default, as they stream
        kept = SweepSummary(
            setup.combos, metric, 1, 1, {setup.default_row}, heatmaps=False, pbo=False
        )
        run_plan(setup.plan, setup.plan_size, train, executor, chunk_size, kept.add, False)
        best = int(kept.top_rows[0])
        test = Window.of(part.train_end, part.test_end)  # starts from cash at the last train day
        picked = [best, setup.default_row]
        test_stats = setup.plan.core.run(setup.plan.select(np.asarray(picked)), test).stats
        test_returns = setup.plan.core.returns(setup.plan.select(np.asarray(picked)), test)
        index = dates[part.test_start : part.test_end + 1]
        chosen_returns.append(pd.Series(test_returns[0, 1:], index=index))
        default_returns.append(pd.Series(test_returns[1, 1:], index=index))
        train_best, train_default = kept.top_stats[0], kept.watched[setup.default_row]
        choice = setup.plan.values(best)
        row: dict[str, Any] = {
            "window": i,
            "train_start": dates[part.train_start].date(),
            "train_end": dates[part.train_end].date(),
            "test_start": dates[part.test_start].date(),
            "test_end": dates[part.test_end].date(),
            **{f"chosen_{k}": v for k, v in choice.items()},
        }
        if metric not in ("sharpe", "cagr"):
            row[f"chosen_train_{metric}"] = train_best[col]
        for who, train_stats, test_row in (
            ("chosen", train_best, test_stats[0]),
            ("default", train_default, test_stats[1]),
        ):
            for stat in ("sharpe", "cagr"):
                row[f"{who}_is_{stat}"] = train_stats[STAT_INDEX[stat]]
                row[f"{who}_oos_{stat}"] = test_row[STAT_INDEX[stat]]
        if bench is not None:
            cfg, data = setup.cfg, setup.data
            is_ret = main_benchmark_returns(cfg, data, part.train_start, part.train_end)
            oos_ret = pd.Series(
                main_benchmark_returns(cfg, data, part.train_end, part.test_end), index
            )
            bench_returns.append(oos_ret)
            is_stats = summary_stats(pd.Series(is_ret), initial, rf)
            oos_stats = summary_stats(oos_ret, initial, rf)
            for stat in ("sharpe", "cagr"):
                row[f"benchmark_is_{stat}"] = is_stats[stat]
                row[f"benchmark_oos_{stat}"] = oos_stats[stat]
        rows.append(row)
        bar.set_postfix_str(
            "chose " + ", ".join(f"{k}={v}" for k, v in choice.items()), refresh=False
        )
        bar.update(1)
    bar.close()
    windows = pd.DataFrame(rows)
    oos = pd.DataFrame({"chosen": pd.concat(chosen_returns), "default": pd.concat(default_returns)})
    who_all = ["chosen", "default"]
    if bench is not None:
        oos["benchmark"] = pd.concat(bench_returns)
        who_all.append("benchmark")
    oos.index.name = "date"
    equity = initial * (1.0 + oos).cumprod()
    summary_rows = {}
    for who in who_all:
        oos_stats = summary_stats(oos[who], initial, rf)
        summary_rows[who] = {
            "is_sharpe_mean": float(windows[f"{who}_is_sharpe"].mean()),
            "oos_sharpe": oos_stats["sharpe"],
            "is_cagr_mean": float(windows[f"{who}_is_cagr"].mean()),
            "oos_cagr": oos_stats["cagr"],
            "oos_total_return": oos_stats["total_return"],
            "oos_max_drawdown": oos_stats["max_drawdown"],
        }
    summary = pd.DataFrame(summary_rows).T
    summary.index.name = "parameters"
    name = bench[0] if bench is not None else ""
    return WalkForwardResult(spec, metric, windows, oos, equity, summary, name)
